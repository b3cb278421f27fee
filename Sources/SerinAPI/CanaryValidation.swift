import KubeCore

/// One thing wrong with a Canary spec: where, what, and how to fix it.
public struct CanarySpecProblem: Sendable, Hashable, CustomStringConvertible {
    /// Field path, e.g. `spec.analysis.stepWeight`.
    public var path: String
    public var message: String
    public var fix: String

    public init(path: String, message: String, fix: String) {
        self.path = path
        self.message = message
        self.fix = fix
    }

    public var description: String { "\(path): \(message); \(fix)" }
}

/// Routers Serin implements, by their `spec.provider` spelling.
public enum CanaryProviders {
    public static let kubernetes = "kubernetes"
    public static let gatewayAPI = "gatewayapi"
    public static let istio = "istio"
    public static let nginx = "nginx"
    public static let smi = "smi"
    public static let linkerd = "linkerd"
    public static let traefik = "traefik"
    public static let skipper = "skipper"
    public static let kuma = "kuma"
    public static let contour = "contour"
    public static let gloo = "gloo"
    public static let apisix = "apisix"
    /// Open Service Mesh: Flagger routes it through an SMI v1alpha2 TrafficSplit.
    public static let osm = "osm"
    /// Accepted spellings; Flagger writes the Gateway API and SMI versions after a colon.
    public static let known: Set<String> = ["kubernetes", "gatewayapi", "gatewayapi:v1", "gatewayapi:v1beta1", "istio", "nginx",
                                            "linkerd", "smi:v1alpha1", "smi:v1alpha2", "smi:v1alpha3", "traefik", "skipper", "kuma", "contour",
                                            "gloo", "apisix", "osm"]
    /// The families of `known`.
    public static let knownFamilies = Set(known.map(family))
    /// The families whose routers mirror traffic to the canary.
    public static let mirroring: Set<String> = [gatewayAPI, istio]
    /// The families Serin routes with, as the fix of an unsupported provider lists them.
    public static let supportedList = "kubernetes, gatewayapi, istio, nginx, linkerd, smi:v1alpha1, smi:v1alpha2, smi:v1alpha3, osm, traefik, skipper, kuma, contour, gloo, apisix"
    /// Flagger's other mesh and ingress providers (families: `smi:v1alpha2` → smi): the CRD
    /// accepts them so Flagger manifests apply; validation refuses them by name.
    public static let flaggerOnly: Set<String> = [
        "knative",
    ]
    /// Knative Serving: its router (Traffic.KnativeRouter) is built; the Canary controller cannot deliver its target yet.
    public static let knative = "knative"
    public static let knativeMissing = "the Canary controller delivers Deployments only, not the revisions of a serving.knative.dev/v1 Service (recording the primary revision, waiting for a revision to be Ready, promoting by revision)"
    /// AWS App Mesh (`appmesh`, `appmesh:v1beta2`; Argo's `trafficRouting.appMesh`): refused for good.
    public static let appMesh = "appmesh"
    /// Why App Mesh is refused, and what to use instead (one text for both shapes).
    public static let appMeshRetired = "AWS shut App Mesh down on 2026-09-30, so there is no App Mesh to route through"
    public static let appMeshFix = "route through the Gateway API instead (AWS's Gateway API Controller for VPC Lattice, or any Gateway API implementation): provider gatewayapi"
    public static let appMeshRolloutFix = "remove appMesh and route through the Gateway API instead (AWS's Gateway API Controller for VPC Lattice, or any Gateway API implementation): plugins.argoproj-labs/gatewayAPI"

    /// The router family of a provider string (`gatewayapi:v1` → `gatewayapi`).
    public static func family(_ provider: String) -> String {
        String(provider.split(separator: ":", maxSplits: 1).first ?? "")
    }
}

extension CanarySpec {
    public static let builtinMetrics: Set<String> = ["request-success-rate", "request-duration", "error-rate"]
    public static let minimumIntervalSeconds = 10.0
    /// A day: longer intervals are typos (a unit slip) rather than plans.
    public static let maximumIntervalSeconds = 86_400.0

    /// Why a query's `{{ … }}` placeholders do not parse, or nil.
    static func placeholderProblem(_ query: String) -> String? {
        var rest = query[...]
        while let open = rest.range(of: "{{") {
            guard let close = rest[open.upperBound...].range(of: "}}") else {
                let offset = query.distance(from: query.startIndex, to: open.lowerBound)
                return "the placeholder \"{{\" at character \(offset + 1) is not closed"
            }
            rest = rest[close.upperBound...]
        }
        return nil
    }

    /// The provider in force: `spec.provider`, else the operator's default.
    public func effectiveProvider(default fallback: String) -> String { provider ?? fallback }

    /// A DaemonSet runs one pod per node whatever the split: its release is analysed
    /// blue/green-style (iterations, then all traffic at once), as Flagger does.
    func checkDaemonSetTarget(_ add: (String, String, String) -> Void) {
        let a = effectiveAnalysis
        let weights = [("stepWeight", a.stepWeight != nil), ("maxWeight", a.maxWeight != nil),
                       ("stepWeights", !(a.stepWeights ?? []).isEmpty), ("stepWeightPromotion", a.stepWeightPromotion != nil)]
        for (field, set) in weights where set {
            add("analysis.\(field)", "traffic weights are not supported with a DaemonSet target (every node runs one pod of each)",
                "remove \(field) and set analysis.iterations: the release is analysed blue/green-style, then promoted")
        }
        if a.iterations == nil {
            add("analysis.iterations", "is required with a DaemonSet target",
                "set iterations (e.g. 10): the number of analysis intervals before promotion")
        }
        if autoscalerRef != nil {
            add("autoscalerRef", "an autoscaler is not supported with a DaemonSet target (a DaemonSet has no replicas)",
                "remove autoscalerRef")
        }
    }

    /// Every problem of the spec (empty when valid). `defaultProvider` is the operator's `--provider`.
    public func validate(defaultProvider: String = CanaryProviders.kubernetes) -> [CanarySpecProblem] {
        var out: [CanarySpecProblem] = []
        func add(_ path: String, _ message: String, _ fix: String) {
            out.append(CanarySpecProblem(path: "spec." + path, message: message, fix: fix))
        }

        if targetRef.name.isEmpty { add("targetRef.name", "is empty", "name the Deployment to deliver") }
        if let k = targetRef.kind, k != "Deployment", k != "DaemonSet" {
            add("targetRef.kind", "\(k) is not supported", "point targetRef at a Deployment or a DaemonSet")
        }
        if targetRef.kind == "DaemonSet" { checkDaemonSetTarget(add) }
        if let a = autoscalerRef, let k = a.kind, k != "HorizontalPodAutoscaler", k != CanaryAutoscalerRef.scaledObjectKind {
            add("autoscalerRef.kind", "\(k) is not supported",
                "use kind: HorizontalPodAutoscaler (autoscaling/v2) or ScaledObject (keda.sh/v1alpha1)")
        }
        if let a = autoscalerRef, a.isScaledObject, let v = a.apiVersion, v != CanaryAutoscalerRef.kedaAPIVersion {
            add("autoscalerRef.apiVersion", "\(v) is not KEDA's ScaledObject API", "use apiVersion: \(CanaryAutoscalerRef.kedaAPIVersion)")
        }
        if !(1...65535).contains(service.port) {
            add("service.port", "\(service.port) is not a port number", "use a port between 1 and 65535")
        }
        if case .int(let p)? = service.targetPort, !(1...65535).contains(p) {
            add("service.targetPort", "\(p) is not a port number", "use a port between 1 and 65535 or a named port")
        }
        if let t = service.timeout, GoDuration.secondsOrNil(t) == nil {
            add("service.timeout", "\"\(t)\" is not a duration", "write a duration such as 30s or 1m")
        }
        if let d = progressDeadlineSeconds, d < 1 {
            add("progressDeadlineSeconds", "\(d) must be positive", "set it to the seconds a rollout may take, e.g. 600")
        }

        let provider = effectiveProvider(default: defaultProvider)
        let family = CanaryProviders.family(provider)
        if family == CanaryProviders.appMesh {
            add("provider", "the \(provider) provider is not supported: \(CanaryProviders.appMeshRetired)", CanaryProviders.appMeshFix)
        } else if family == CanaryProviders.knative {
            add("provider", "the \(provider) provider is not supported by Serin yet: \(CanaryProviders.knativeMissing)",
                "use one of \(CanaryProviders.supportedList)")
        } else if CanaryProviders.flaggerOnly.contains(family) {
            add("provider", "the \(provider) provider is not supported by Serin yet",
                "use one of \(CanaryProviders.supportedList)")
        } else if !CanaryProviders.known.contains(provider) {
            add("provider", "unknown provider \"\(provider)\"",
                "use one of \(CanaryProviders.supportedList)")
        }
        validateFlaggerFields(add: add)

        let a = effectiveAnalysis
        validateAnalysis(a, family: family, add: add)
        return out
    }

    /// Flagger fields the CRD accepts but Serin does not honour yet, each refused by name when
    /// set to something that would change what Flagger does.
    private func validateFlaggerFields(add: (String, String, String) -> Void) {
        if let m = metricsServer, !(m.hasPrefix("http://") || m.hasPrefix("https://")) {
            add("metricsServer", "\"\(m)\" is not an http(s) URL", "write the Prometheus URL, e.g. http://prometheus.monitoring:9090")
        }
        if let r = autoscalerRef?.primaryScalerReplicas {
            for (key, v) in [("minReplicas", r.minReplicas), ("maxReplicas", r.maxReplicas)] {
                if let v, v < 1 { add("autoscalerRef.primaryScalerReplicas.\(key)", "\(v) must be at least 1", "set 1 or more replicas") }
            }
            if let lo = r.minReplicas, let hi = r.maxReplicas, lo > hi {
                add("autoscalerRef.primaryScalerReplicas", "minReplicas \(lo) is greater than maxReplicas \(hi)",
                    "make minReplicas less than or equal to maxReplicas")
            }
        }
        let s = service
        if !(s.mirror ?? []).isEmpty {
            add("service.mirror", "mirroring requests to other backends is not supported by Serin yet",
                "remove service.mirror (analysis.mirror mirrors traffic to the canary)")
        }
        if s.backendTimeout != nil {
            add("service.backendTimeout", "a backend request timeout is not supported by Serin yet",
                "remove backendTimeout (service.timeout sets the route's request timeout)")
        }
        if s.headless == true {
            add("service.headless", "headless Services are not supported by Serin yet", "remove headless")
        }
        if let u = s.unmanagedMetadata, !(u.labels ?? []).isEmpty || !(u.annotations ?? []).isEmpty {
            add("service.unmanagedMetadata", "keeping labels or annotations unmanaged is not supported by Serin yet",
                "remove unmanagedMetadata")
        }
    }

    private func validateAnalysis(_ a: CanaryAnalysis, family: String, add: (String, String, String) -> Void) {
        if let i = a.interval {
            do {
                let s = try GoDuration.seconds(i)
                if s < Self.minimumIntervalSeconds {
                    add("analysis.interval", "\(i) is shorter than 10s", "use an interval of at least 10s")
                } else if s > Self.maximumIntervalSeconds {
                    add("analysis.interval", "\(i) is longer than 24h", "use an interval between 10s and 24h")
                }
            } catch {
                add("analysis.interval", error.description, "write a duration such as 1m or 30s")
            }
        }
        if let t = a.threshold, t < 1 {
            add("analysis.threshold", "\(t) must be at least 1", "set the number of failed checks before rollback, e.g. 5")
        }
        if let m = a.maxWeight, !(1...100).contains(m) {
            add("analysis.maxWeight", "\(m) is outside 1..100", "set maxWeight to a percentage between 1 and 100")
        }
        if let s = a.stepWeight {
            if s < 1 {
                add("analysis.stepWeight", "\(s) must be at least 1", "set a positive step, e.g. 10")
            } else if s > (a.maxWeight ?? 100) {
                add("analysis.stepWeight", "\(s) is greater than maxWeight \(a.maxWeight ?? 100)",
                    "make stepWeight less than or equal to maxWeight")
            }
        }
        if let steps = a.stepWeights {
            if steps.isEmpty {
                add("analysis.stepWeights", "is empty", "list increasing weights, e.g. [1, 10, 50]")
            }
            for (i, w) in steps.enumerated() where !(1...100).contains(w) {
                add("analysis.stepWeights[\(i)]", "\(w) is outside 1..100", "use percentages between 1 and 100")
            }
            for i in steps.indices.dropFirst() where steps[i] <= steps[i - 1] {
                add("analysis.stepWeights[\(i)]", "\(steps[i]) does not increase on \(steps[i - 1])",
                    "list the weights in strictly increasing order")
            }
            // maxWeight does not bound stepWeights: as in Flagger, the last step is the canary's top
            // weight and maxWeight applies to stepWeight only.
            if a.stepWeight != nil {
                add("analysis.stepWeight", "is set together with stepWeights", "set only one of stepWeight or stepWeights")
            }
        }
        if let p = a.stepWeightPromotion, !(1...100).contains(p) {
            add("analysis.stepWeightPromotion", "\(p) is outside 1..100", "use a percentage between 1 and 100")
        }
        if let it = a.iterations, it < 0 {
            add("analysis.iterations", "\(it) is negative", "set the number of intervals to analyse, e.g. 10")
        }
        if let mw = a.mirrorWeight, !(0...100).contains(mw) {
            add("analysis.mirrorWeight", "\(mw) is outside 0..100", "use a percentage between 0 and 100")
        }
        for (key, v) in [("primaryReadyThreshold", a.primaryReadyThreshold), ("canaryReadyThreshold", a.canaryReadyThreshold)] {
            if let v, !(0...100).contains(v) {
                add("analysis.\(key)", "\(v) is outside 0..100", "use the percentage of ready replicas required, e.g. 100")
            }
        }
        let progressive = a.stepWeight != nil || !(a.stepWeights ?? []).isEmpty
        // Never promote on checks that were not asked for: as in Flagger's CRD, analysis is required.
        if analysis == nil {
            add("analysis", "is missing", "add spec.analysis (interval, stepWeight and maxWeight or stepWeights, metrics), or set skipAnalysis: true with an analysis to promote at once")
        } else if skipAnalysis != true, a.strategy == .canary, !progressive {
            add("analysis", "has no plan", "set stepWeight (and maxWeight), stepWeights, or iterations")
        }
        if a.strategy == .abTesting, a.match?.arrayValue == nil {
            add("analysis.match", "must be a list of match conditions", "write match as a list, e.g. [{headers: {x-canary: {exact: insider}}}]")
        }

        switch family {
        case CanaryProviders.kubernetes:
            if a.strategy == .canary && progressive {
                add("provider", "provider kubernetes cannot split traffic",
                    "use iterations (blue/green) or a mesh/gateway provider")
            }
            if a.strategy == .abTesting {
                add("analysis.match", "provider kubernetes cannot route by request headers or cookies",
                    "remove match (blue/green) or use the gatewayapi or istio provider")
            }
            if a.isMirroring {
                add("analysis.mirror", "provider kubernetes cannot mirror traffic", "use the gatewayapi or istio provider")
            }
        case CanaryProviders.gatewayAPI:
            if (service.gatewayRefs ?? []).isEmpty {
                add("service.gatewayRefs", "is required by provider gatewayapi",
                    "list the Gateway(s) the HTTPRoute attaches to, e.g. [{name: public, namespace: gateways}]")
            }
        case CanaryProviders.nginx:
            validateNginx(a, add: add)
        case CanaryProviders.contour:
            for (i, m) in (a.strategy == .abTesting ? a.match?.arrayValue ?? [] : []).enumerated() where m["headers"].objectValue == nil {
                add("analysis.match[\(i)]", "provider contour routes A/B traffic by headers only",
                    "match on headers, e.g. {headers: {x-canary: {exact: insider}}}")
            }
        case CanaryProviders.gloo:
            validateGloo(a, add: add)
        case CanaryProviders.apisix:
            if (routeRef?.name ?? "").isEmpty {
                add("routeRef", "is required by provider apisix",
                    "name the ApisixRoute that routes to the apex Service, e.g. {apiVersion: apisix.apache.org/v2, kind: ApisixRoute, name: podinfo}")
            }
            if a.strategy == .abTesting {
                add("analysis.match", "provider apisix cannot route by request headers or cookies (Flagger's apisix router sets weights only)",
                    "remove match (canary by weight) or use the gatewayapi or istio provider")
            }
        case CanaryProviders.smi, CanaryProviders.linkerd, CanaryProviders.osm, CanaryProviders.traefik, CanaryProviders.skipper,
             CanaryProviders.kuma:
            if family == CanaryProviders.skipper, ingressRef == nil {
                add("ingressRef", "is required by provider skipper",
                    "name the Ingress that routes to the apex Service, e.g. {apiVersion: networking.k8s.io/v1, kind: Ingress, name: podinfo}")
            }
            // A TrafficSplit, weighted TraefikService, Skipper's backend-weights or Kuma's
            // TrafficRoute carry weights only (Flagger's routers for them do no A/B or mirroring).
            if a.strategy == .abTesting {
                add("analysis.match", "provider \(family) cannot route by request headers or cookies (its routing object has weights only)",
                    "remove match (canary by weight) or use the gatewayapi or istio provider")
            }
        default: break
        }
        // Only the Gateway API and Istio mirror (the kubernetes provider says so above).
        if a.isMirroring, family != CanaryProviders.kubernetes, !CanaryProviders.mirroring.contains(family),
           CanaryProviders.knownFamilies.contains(family) {
            add("analysis.mirror", "provider \(family) cannot mirror traffic", "remove mirror or use the gatewayapi or istio provider")
        }

        var metricNames: Set<String> = []
        for (i, m) in (a.metrics ?? []).enumerated() {
            let p = "analysis.metrics[\(i)]"
            if m.name.isEmpty { add("\(p).name", "is empty", "name the metric") }
            if !metricNames.insert(m.name).inserted {
                add("\(p).name", "\"\(m.name)\" is used twice", "give each metric a unique name")
            }
            if let r = m.thresholdRange, let lo = r.min, let hi = r.max, lo > hi {
                add("\(p).thresholdRange", "min \(lo) is greater than max \(hi)", "make thresholdRange.min less than or equal to max")
            }
            // Without a bound a value can never fail, so the check would pass unchecked.
            if m.judge != .compare, m.bounds?.min == nil, m.bounds?.max == nil {
                add(p, "metric \"\(m.name)\" has no threshold, so it could never fail",
                    "set thresholdRange.min and/or thresholdRange.max (or Flagger's threshold), or judge: compare")
            }
            if let iv = m.interval {
                if let secs = GoDuration.secondsOrNil(iv) {
                    if secs > Self.maximumIntervalSeconds {
                        add("\(p).interval", "\(iv) is longer than 24h", "use a query window between 1s and 24h, e.g. 1m")
                    }
                } else {
                    add("\(p).interval", "\"\(iv)\" is not a duration", "write a duration such as 1m")
                }
            }
            if let pc = m.percentile, !(pc > 0 && pc < 1) {
                add("\(p).percentile", "\(pc) is not between 0 and 1", "write the quantile as a fraction, e.g. 0.95 or 0.99")
            }
            if let c = m.confidence, !(c > 0 && c < 1) {
                add("\(p).confidence", "\(c) is not between 0 and 1", "write the confidence level as a fraction, e.g. 0.95")
            }
            if let inc = m.allowedIncrease, !(inc >= 0) || !inc.isFinite {
                add("\(p).allowedIncrease", "\(inc) is not a non-negative number", "write the allowed relative increase, e.g. 0.1 for 10%")
            }
            if let q = m.query, let problem = Self.placeholderProblem(q) {
                add("\(p).query", problem, "close every {{ with }}, e.g. {{ target }}")
            }
            if !Self.builtinMetrics.contains(m.name), m.query == nil, m.templateRef == nil {
                add(p, "\"\(m.name)\" is not a builtin metric and has no query or templateRef",
                    "use request-success-rate, request-duration or error-rate, or set templateRef")
            }
        }

        var hookNames: Set<String> = []
        for (i, h) in (a.webhooks ?? []).enumerated() {
            let p = "analysis.webhooks[\(i)]"
            if h.name.isEmpty { add("\(p).name", "is empty", "name the webhook") }
            if !hookNames.insert(h.name).inserted {
                add("\(p).name", "\"\(h.name)\" is used twice", "give each webhook a unique name")
            }
            if !(h.url.hasPrefix("http://") || h.url.hasPrefix("https://")) {
                add("\(p).url", "\"\(h.url)\" is not an http(s) URL", "write the full URL, e.g. http://loadtester.test/")
            }
            if let t = h.timeout, GoDuration.secondsOrNil(t).map({ $0 > 0 }) != true {
                add("\(p).timeout", "\"\(t)\" is not a positive duration", "write a duration such as 30s")
            }
            if let r = h.retries, r < 0 { add("\(p).retries", "\(r) is negative", "set 0 or more retries") }
        }
        for (i, alert) in (a.alerts ?? []).enumerated() {
            for problem in alert.validate(path: "analysis.alerts[\(i)]") {
                add(problem.path, problem.message, problem.fix)
            }
        }
    }
}
