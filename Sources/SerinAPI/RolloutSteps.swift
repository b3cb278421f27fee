import KubeCore

/// One step of `strategy.canary.steps`: at least one field is set, at most one of setWeight, pause, experiment, analysis.
public struct RolloutCanaryStep: Codable, Sendable, Hashable {
    /// Percentage of traffic (or, without trafficRouting, of replicas) for the canary.
    public var setWeight: Int?
    public var pause: RolloutPause?
    public var analysis: RolloutAnalysis?
    public var setCanaryScale: RolloutSetCanaryScale?
    public var setHeaderRoute: RolloutSetHeaderRoute?
    public var setMirrorRoute: RolloutSetMirrorRoute?
    /// Argo's experiment step: an Experiment of the stable and/or canary pod spec.
    public var experiment: RolloutExperimentStep?
    /// Argo's step plugins: kept so validation can name them (not supported).
    public var plugin: JSONValue?
    /// Argo's docs write replicaProgressThreshold as a step: it holds for the steps after it.
    public var replicaProgressThreshold: RolloutReplicaProgressThreshold?

    public init(setWeight: Int? = nil, pause: RolloutPause? = nil, analysis: RolloutAnalysis? = nil,
                setCanaryScale: RolloutSetCanaryScale? = nil, setHeaderRoute: RolloutSetHeaderRoute? = nil,
                setMirrorRoute: RolloutSetMirrorRoute? = nil, experiment: RolloutExperimentStep? = nil, plugin: JSONValue? = nil,
                replicaProgressThreshold: RolloutReplicaProgressThreshold? = nil) {
        self.replicaProgressThreshold = replicaProgressThreshold
        self.setWeight = setWeight
        self.pause = pause
        self.analysis = analysis
        self.setCanaryScale = setCanaryScale
        self.setHeaderRoute = setHeaderRoute
        self.setMirrorRoute = setMirrorRoute
        self.experiment = experiment
        self.plugin = plugin
    }

    public static func weight(_ w: Int) -> RolloutCanaryStep { RolloutCanaryStep(setWeight: w) }
    public static func pause(_ duration: IntOrString? = nil) -> RolloutCanaryStep {
        RolloutCanaryStep(pause: RolloutPause(duration: duration))
    }
    public static func analysis(_ a: RolloutAnalysis) -> RolloutCanaryStep { RolloutCanaryStep(analysis: a) }

    /// The actions a step may hold only one of (Argo's rule); the others combine freely.
    public static let exclusiveFields: Set<String> = ["setWeight", "pause", "experiment", "analysis"]

    /// The names of the fields set (validation wants at least one, and at most one of `exclusiveFields`).
    public var setFields: [String] {
        var out: [String] = []
        if setWeight != nil { out.append("setWeight") }
        if pause != nil { out.append("pause") }
        if analysis != nil { out.append("analysis") }
        if setCanaryScale != nil { out.append("setCanaryScale") }
        if setHeaderRoute != nil { out.append("setHeaderRoute") }
        if setMirrorRoute != nil { out.append("setMirrorRoute") }
        if experiment != nil { out.append("experiment") }
        if plugin != nil { out.append("plugin") }
        if replicaProgressThreshold != nil { out.append("replicaProgressThreshold") }
        return out
    }
}

/// `pause: {}` waits for a promote; `pause: {duration: 30s}` (or a number of seconds) waits that long.
public struct RolloutPause: Codable, Sendable, Hashable {
    public var duration: IntOrString?
    public init(duration: IntOrString? = nil) { self.duration = duration }

    /// Seconds to wait; nil for an indefinite pause (or an unreadable duration, which validation reports).
    public var seconds: Double? {
        switch duration {
        case nil: return nil
        case .int(let i)?: return Double(i)
        case .string(let s)?:
            if let i = Int(s) { return Double(i) }
            return GoDuration.secondsOrNil(s)
        }
    }
}

public struct RolloutSetCanaryScale: Codable, Sendable, Hashable {
    /// Percentage of `replicas` for the canary.
    public var weight: Int?
    public var replicas: Int?
    /// Back to the default: replicas follow the traffic weight.
    public var matchTrafficWeight: Bool?
    public init(weight: Int? = nil, replicas: Int? = nil, matchTrafficWeight: Bool? = nil) {
        self.weight = weight
        self.replicas = replicas
        self.matchTrafficWeight = matchTrafficWeight
    }
}

/// Argo's `StringMatch`: exactly one of exact, regex, prefix.
public struct RolloutStringMatch: Codable, Sendable, Hashable {
    public var exact: String?
    public var regex: String?
    public var prefix: String?
    public init(exact: String? = nil, regex: String? = nil, prefix: String? = nil) {
        self.exact = exact
        self.regex = regex
        self.prefix = prefix
    }
    var count: Int { [exact, regex, prefix].compactMap { $0 }.count }
}

public struct RolloutHeaderRoutingMatch: Codable, Sendable, Hashable {
    public var headerName: String
    public var headerValue: RolloutStringMatch
    public init(headerName: String, headerValue: RolloutStringMatch) {
        self.headerName = headerName
        self.headerValue = headerValue
    }
}

/// A managed route sending requests whose headers match to the canary. No `match`: the route is removed.
public struct RolloutSetHeaderRoute: Codable, Sendable, Hashable {
    public var name: String
    public var match: [RolloutHeaderRoutingMatch]?
    public init(name: String, match: [RolloutHeaderRoutingMatch]? = nil) {
        self.name = name
        self.match = match
    }
}

public struct RolloutRouteMatch: Codable, Sendable, Hashable {
    public var method: RolloutStringMatch?
    public var path: RolloutStringMatch?
    public var headers: [String: RolloutStringMatch]?
    public init(method: RolloutStringMatch? = nil, path: RolloutStringMatch? = nil,
                headers: [String: RolloutStringMatch]? = nil) {
        self.method = method
        self.path = path
        self.headers = headers
    }
}

/// A managed route mirroring `percentage` of matching requests to the canary. No `match`: removed.
public struct RolloutSetMirrorRoute: Codable, Sendable, Hashable {
    public var name: String
    public var match: [RolloutRouteMatch]?
    public var percentage: Int?
    public init(name: String, match: [RolloutRouteMatch]? = nil, percentage: Int? = nil) {
        self.name = name
        self.match = match
        self.percentage = percentage
    }
}

/// Templates and arguments of an analysis (a step, background, pre/post-promotion).
public struct RolloutAnalysis: Codable, Sendable, Hashable {
    public var templates: [RolloutAnalysisTemplateRef]?
    public var args: [RolloutAnalysisArgument]?
    public var dryRun: [AnalysisDryRun]?
    public var measurementRetention: [AnalysisMeasurementRetention]?
    public var analysisRunMetadata: CustomMetadata?
    /// Background analysis only: the step index from which it runs (default 0).
    public var startingStep: Int?

    public init(templates: [RolloutAnalysisTemplateRef]? = nil, args: [RolloutAnalysisArgument]? = nil,
                dryRun: [AnalysisDryRun]? = nil, measurementRetention: [AnalysisMeasurementRetention]? = nil,
                analysisRunMetadata: CustomMetadata? = nil, startingStep: Int? = nil) {
        self.templates = templates
        self.args = args
        self.dryRun = dryRun
        self.measurementRetention = measurementRetention
        self.analysisRunMetadata = analysisRunMetadata
        self.startingStep = startingStep
    }

    /// Shorthand: one namespaced template and plain-value args.
    public static func template(_ name: String, args: [String: String] = [:]) -> RolloutAnalysis {
        RolloutAnalysis(templates: [RolloutAnalysisTemplateRef(templateName: name)],
                        args: args.keys.sorted().map { RolloutAnalysisArgument(name: $0, value: args[$0]) })
    }
}

public struct RolloutAnalysisTemplateRef: Codable, Sendable, Hashable {
    public var templateName: String
    /// A ClusterAnalysisTemplate instead of a namespaced AnalysisTemplate.
    public var clusterScope: Bool?
    public init(templateName: String, clusterScope: Bool? = nil) {
        self.templateName = templateName
        self.clusterScope = clusterScope
    }
}

/// An argument for the templates: a value, the stable or latest pod-template hash, or a field of the Rollout.
public struct RolloutAnalysisArgument: Codable, Sendable, Hashable {
    public var name: String
    public var value: String?
    public var valueFrom: RolloutArgumentValueFrom?
    public init(name: String, value: String? = nil, valueFrom: RolloutArgumentValueFrom? = nil) {
        self.name = name
        self.value = value
        self.valueFrom = valueFrom
    }
}

public struct RolloutArgumentValueFrom: Codable, Sendable, Hashable {
    /// `Stable` or `Latest`.
    public var podTemplateHashValue: String?
    /// A field of the Rollout, e.g. `metadata.labels['env']`.
    public var fieldRef: AnalysisFieldRef?
    public init(podTemplateHashValue: String? = nil, fieldRef: AnalysisFieldRef? = nil) {
        self.podTemplateHashValue = podTemplateHashValue
        self.fieldRef = fieldRef
    }
}

/// `strategy.canary.trafficRouting`: one or more routers, each set to the same weights (see
/// `TrafficRouters.all`); those Serin does not implement are kept so validation can name them.
public struct RolloutTrafficRouting: Codable, Sendable, Hashable {
    public var istio: RolloutIstioRouting?
    /// `{"argoproj-labs/gatewayAPI": {httpRoute: NAME, namespace: NS}}`.
    public var plugins: JSONValue?
    public var managedRoutes: [RolloutManagedRoute]?
    public var maxTrafficWeight: Int?
    public var nginx: JSONValue?
    public var alb: JSONValue?
    public var smi: JSONValue?
    public var ambassador: JSONValue?
    public var appMesh: JSONValue?
    public var traefik: JSONValue?
    public var apisix: JSONValue?

    public init(istio: RolloutIstioRouting? = nil, plugins: JSONValue? = nil, managedRoutes: [RolloutManagedRoute]? = nil,
                maxTrafficWeight: Int? = nil) {
        self.istio = istio
        self.plugins = plugins
        self.managedRoutes = managedRoutes
        self.maxTrafficWeight = maxTrafficWeight
    }

    public static let gatewayAPIPlugin = "argoproj-labs/gatewayAPI"

    /// The HTTPRoute names of the Gateway API plugin (`httpRoute`, or `httpRoutes[].name`).
    public var gatewayHTTPRoutes: [String] {
        let cfg = plugins?[Self.gatewayAPIPlugin] ?? .null
        var out: [String] = []
        if let one = cfg["httpRoute"].stringValue { out.append(one) }
        for r in cfg["httpRoutes"].arrayValue ?? [] { if let n = r["name"].stringValue { out.append(n) } }
        return out
    }

    /// Namespace of the HTTPRoutes (default the Rollout's).
    public var gatewayNamespace: String? { plugins?[Self.gatewayAPIPlugin]["namespace"].stringValue }

    /// The VirtualServices of the Istio router.
    public var istioVirtualServices: [RolloutIstioVirtualService] {
        guard let i = istio else { return [] }
        return (i.virtualService.map { [$0] } ?? []) + (i.virtualServices ?? [])
    }

    /// The stable Ingresses of Argo's nginx router (`stableIngress`, `stableIngresses`).
    public var nginxStableIngresses: [String] {
        guard let n = nginx, n != .null else { return [] }
        var out: [String] = []
        if let one = n["stableIngress"].stringValue, !one.isEmpty { out.append(one) }
        for v in n["stableIngresses"].arrayValue ?? [] { if let s = v.stringValue { out.append(s) } }
        return out
    }

    /// The Mappings of Argo's ambassador router.
    public var ambassadorMappings: [String] {
        (ambassador?["mappings"].arrayValue ?? []).compactMap(\.stringValue)
    }

    /// Whether Argo's App Mesh router is set (refused: AWS retired App Mesh).
    public var usesAppMesh: Bool { appMesh != nil && appMesh != .null }

    /// Routers present that Serin does not implement (App Mesh apart: see `usesAppMesh`).
    public var unsupportedRouters: [String] {
        var out: [String] = []
        for k in (plugins?.objectValue ?? [:]).keys.sorted() where k != Self.gatewayAPIPlugin { out.append("plugins.\(k)") }
        return out
    }

    public static let defaultMaxTrafficWeight = 100
    public var effectiveMaxTrafficWeight: Int { maxTrafficWeight ?? Self.defaultMaxTrafficWeight }
}

public struct RolloutIstioRouting: Codable, Sendable, Hashable {
    public var virtualService: RolloutIstioVirtualService?
    public var virtualServices: [RolloutIstioVirtualService]?
    /// Subset-level splitting: the VirtualService routes weigh two subsets of one host.
    public var destinationRule: RolloutIstioDestinationRule?
    public init(virtualService: RolloutIstioVirtualService? = nil, virtualServices: [RolloutIstioVirtualService]? = nil,
                destinationRule: RolloutIstioDestinationRule? = nil) {
        self.virtualService = virtualService
        self.virtualServices = virtualServices
        self.destinationRule = destinationRule
    }
}

/// Argo's subset-level splitting: Serin labels the two subsets with the ReplicaSets' pod-template hashes.
public struct RolloutIstioDestinationRule: Codable, Sendable, Hashable {
    public var name: String
    public var canarySubsetName: String
    public var stableSubsetName: String
    public init(name: String, canarySubsetName: String, stableSubsetName: String) {
        self.name = name
        self.canarySubsetName = canarySubsetName
        self.stableSubsetName = stableSubsetName
    }
}

public struct RolloutIstioVirtualService: Codable, Sendable, Hashable {
    public var name: String
    /// Names of the HTTP routes to split; optional when the VirtualService has one route.
    public var routes: [String]?
    /// Argo's TLS routes (matched by port and SNI hosts) and TCP routes (by port) to split too.
    public var tlsRoutes: [RolloutIstioTLSRoute]?
    public var tcpRoutes: [RolloutIstioTCPRoute]?
    public init(name: String, routes: [String]? = nil, tlsRoutes: [RolloutIstioTLSRoute]? = nil,
                tcpRoutes: [RolloutIstioTCPRoute]? = nil) {
        self.name = name
        self.routes = routes
        self.tlsRoutes = tlsRoutes
        self.tcpRoutes = tcpRoutes
    }
}

/// An Istio TLS route of a VirtualService, matched by port and SNI hosts.
public struct RolloutIstioTLSRoute: Codable, Sendable, Hashable {
    public var port: Int?
    public var sniHosts: [String]?
    public init(port: Int? = nil, sniHosts: [String]? = nil) {
        self.port = port
        self.sniHosts = sniHosts
    }
}

/// An Istio TCP route of a VirtualService, matched by port.
public struct RolloutIstioTCPRoute: Codable, Sendable, Hashable {
    public var port: Int?
    public init(port: Int? = nil) { self.port = port }
}

public struct RolloutManagedRoute: Codable, Sendable, Hashable {
    public var name: String
    public init(name: String) { self.name = name }
}
