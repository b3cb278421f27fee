import Foundation
import KubeCore

/// One thing wrong with a Rollout spec: where, what, and how to fix it.
public struct RolloutSpecProblem: Sendable, Hashable, CustomStringConvertible {
    /// Field path, e.g. `spec.strategy.canary.steps[2].setWeight`.
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

extension Rollout {
    /// Every problem of the spec (empty when valid).
    public func validate() -> [RolloutSpecProblem] { spec.validate() }

    /// Problems of a Rollout document as stored or written: a decode error (wrong type at a
    /// field) is one problem naming the field; otherwise `validate()`'s list.
    public static func problems(in json: JSONValue) -> [RolloutSpecProblem] {
        do {
            return try Rollout(json: json).validate()
        } catch {
            let path = error.path.isEmpty ? "spec" : error.path
            return [RolloutSpecProblem(path: path, message: error.message,
                                       fix: "fix the value to match the Rollout schema (kubectl explain rollout.\(path))")]
        }
    }
}

extension RolloutSpec {
    /// Every problem of the spec (empty when valid).
    public func validate() -> [RolloutSpecProblem] {
        var v = RolloutValidator()
        v.check(self)
        return v.out
    }
}

/// Collects problems with paths below `spec.`.
struct RolloutValidator {
    var out: [RolloutSpecProblem] = []

    mutating func add(_ path: String, _ message: String, _ fix: String) {
        out.append(RolloutSpecProblem(path: "spec." + path, message: message, fix: fix))
    }

    mutating func check(_ s: RolloutSpec) {
        let hasTemplate = s.template != nil && s.template != .null
        switch (hasTemplate, s.workloadRef) {
        case (true, _?):
            add("workloadRef", "is set together with template", "set only one of template or workloadRef")
        case (false, nil):
            add("template", "is missing", "write the pod template (as in a Deployment) or point workloadRef at a Deployment")
        default: break
        }
        if let r = s.replicas, r < 0 { add("replicas", "\(r) is negative", "set 0 or more replicas") }
        if let m = s.minReadySeconds, m < 0 { add("minReadySeconds", "\(m) is negative", "set 0 or more seconds") }
        if let h = s.revisionHistoryLimit, h < 0 {
            add("revisionHistoryLimit", "\(h) is negative", "set how many old ReplicaSets to keep, e.g. 10")
        }
        if let d = s.progressDeadlineSeconds {
            if d < 1 {
                add("progressDeadlineSeconds", "\(d) must be positive", "set the seconds an update may go without progress, e.g. 600")
            } else if d <= (s.minReadySeconds ?? 0) {
                add("progressDeadlineSeconds", "\(d) is not greater than minReadySeconds \(s.minReadySeconds ?? 0)",
                    "make progressDeadlineSeconds greater than minReadySeconds")
            }
        }
        if let t = s.restartAt, KubeTime.parse(t) == nil {
            add("restartAt", "\"\(t)\" is not an RFC 3339 time", "write a time such as 2025-01-02T15:04:05Z")
        }
        if let w = s.rollbackWindow?.revisions, w < 0 {
            add("rollbackWindow.revisions", "\(w) is negative", "set how many recent revisions a rollback may skip steps for, e.g. 3")
        }
        if let a = s.analysis {
            for (k, v) in [("successfulRunHistoryLimit", a.successfulRunHistoryLimit),
                           ("unsuccessfulRunHistoryLimit", a.unsuccessfulRunHistoryLimit)] {
                if let v, v < 0 { add("analysis.\(k)", "\(v) is negative", "set 0 or more runs to keep") }
            }
        }
        if hasTemplate { checkTemplate(s) } else if s.selector != nil { checkSelector(s.selector!) }
        if let w = s.workloadRef { checkWorkloadRef(w) }
        if s.workloadRef?.isStatefulSet == true { checkStatefulSet(s) }
        if let p = s.resourcePlugin {
            if p.name != RolloutResourcePlugin.statefulSet {
                add("resourcePlugin.name", "resource plugin \"\(p.name)\" is not supported by Serin",
                    "use name: statefulset with a StatefulSet workloadRef, or remove resourcePlugin")
            } else if s.workloadRef?.isStatefulSet != true {
                add("resourcePlugin", "the statefulset plugin needs workloadRef.kind: StatefulSet",
                    "point workloadRef at the StatefulSet, or remove resourcePlugin")
            }
            if let c = p.config, c != .null, c.objectValue?.isEmpty != true {
                add("resourcePlugin.config", "resourcePlugin.config is not supported by Serin (its StatefulSet support takes no settings; the StatefulSet's own volumeClaimTemplates apply)",
                    "remove resourcePlugin.config")
            }
        }

        switch (s.strategy.canary, s.strategy.blueGreen) {
        case (nil, nil):
            add("strategy", "names no strategy", "set strategy.canary (steps) or strategy.blueGreen (activeService)")
        case (let c?, let b?):
            add("strategy", "sets both canary and blueGreen", "keep only one of strategy.canary or strategy.blueGreen")
            // What is wrong inside each is said too, so one pass names every problem.
            checkCanary(c)
            checkBlueGreen(b)
        case (let c?, nil):
            checkCanary(c)
        case (nil, let b?):
            checkBlueGreen(b)
        }
    }

    mutating func checkSelector(_ sel: JSONValue) {
        let labels = sel["matchLabels"].objectValue ?? [:]
        let exprs = sel["matchExpressions"].arrayValue ?? []
        if labels.isEmpty && exprs.isEmpty {
            add("selector", "is empty", "select the pods by their labels, e.g. matchLabels: {app: NAME}")
        }
    }

    mutating func checkTemplate(_ s: RolloutSpec) {
        guard let t = s.template else { return }
        guard let sel = s.selector, sel != .null else {
            add("selector", "is missing", "add selector.matchLabels with the template's labels, e.g. {app: NAME}")
            return
        }
        checkSelector(sel)
        let labels = (t[path: ["metadata", "labels"]].objectValue ?? [:]).compactMapValues(\.stringValue)
        for (k, v) in s.matchLabels.sorted(by: { $0.key < $1.key }) where labels[k] != v {
            add("template.metadata.labels", "does not carry the selector's label \(k)=\(v)",
                "add \(k): \(v) to template.metadata.labels (the selector must match the template)")
        }
        let containers = t[path: ["spec", "containers"]].arrayValue ?? []
        if containers.isEmpty {
            add("template.spec.containers", "is empty", "list at least one container with a name and an image")
        }
        for (i, c) in containers.enumerated() where (c["name"].stringValue ?? "").isEmpty {
            add("template.spec.containers[\(i)].name", "is empty", "name the container")
        }
    }

    mutating func checkWorkloadRef(_ w: RolloutWorkloadRef) {
        if w.name.isEmpty { add("workloadRef.name", "is empty", "name the Deployment whose pod template to use") }
        if let k = w.kind, k != "Deployment", k != RolloutWorkloadRef.statefulSetKind {
            add("workloadRef.kind", "\(k) is not supported", "point workloadRef at a Deployment or a StatefulSet")
        }
        if let a = w.apiVersion, a != "apps/v1" {
            add("workloadRef.apiVersion", "\(a) is not supported", "use apiVersion: apps/v1")
        }
        if w.effectiveScaleDown == nil {
            add("workloadRef.scaleDown", "\"\(w.scaleDown ?? "")\" is not one of never, onsuccess, progressively",
                "use never (default), onsuccess or progressively")
        }
    }

    /// A StatefulSet is updated in place: setWeight moves its partition, so only what acts on
    /// the pods' share (setWeight, pause, analysis, background analysis) applies.
    mutating func checkStatefulSet(_ s: RolloutSpec) {
        let fix = "remove it: a StatefulSet's pods are updated in place (setWeight moves its partition), behind its own Service"
        if s.strategy.blueGreen != nil {
            add("strategy.blueGreen", "blueGreen is not supported by Serin with a StatefulSet workloadRef (a second StatefulSet would need its own volumes and data)",
                "use strategy.canary with setWeight, pause and analysis steps")
        }
        guard let c = s.strategy.canary else { return }
        let p = "strategy.canary"
        if c.trafficRouting != nil { add("\(p).trafficRouting", "traffic routing with a StatefulSet workloadRef is not supported by Serin", fix) }
        if c.canaryService != nil { add("\(p).canaryService", "a canary Service with a StatefulSet workloadRef is not supported by Serin", fix) }
        if c.stableService != nil { add("\(p).stableService", "a stable Service with a StatefulSet workloadRef is not supported by Serin", fix) }
        for (i, step) in c.effectiveSteps.enumerated() {
            for f in ["setCanaryScale", "setHeaderRoute", "setMirrorRoute"] where step.setFields.contains(f) {
                add("\(p).steps[\(i)].\(f)", "\(f) with a StatefulSet workloadRef is not supported by Serin", fix)
            }
        }
    }

    mutating func checkBlueGreen(_ b: RolloutBlueGreenStrategy) {
        let p = "strategy.blueGreen"
        if b.activeService.isEmpty { add("\(p).activeService", "is empty", "name the Service production traffic goes through") }
        if let pv = b.previewService, pv == b.activeService {
            add("\(p).previewService", "is the same Service as activeService", "use a separate Service for the preview")
        }
        if let n = b.previewReplicaCount, n < 0 { add("\(p).previewReplicaCount", "\(n) is negative", "set 0 or more replicas") }
        for (field, set) in [("activeMetadata", b.activeMetadata != nil), ("previewMetadata", b.previewMetadata != nil)] where set {
            add("\(p).\(field)", "\(field) (labels and annotations on the active or preview pods) is not supported by Serin yet",
                "remove \(field); select the pods by their rollouts-pod-template-hash label instead")
        }
        if b.antiAffinity != nil {
            add("\(p).antiAffinity", "antiAffinity (keeping active and preview pods on different nodes) is not supported by Serin yet",
                "remove antiAffinity, or write a podAntiAffinity rule into the pod template")
        }
        if let n = b.autoPromotionSeconds, n < 0 {
            add("\(p).autoPromotionSeconds", "\(n) is negative", "set the seconds to wait before promoting, e.g. 30")
        }
        for (k, v) in [("scaleDownDelaySeconds", b.scaleDownDelaySeconds), ("abortScaleDownDelaySeconds", b.abortScaleDownDelaySeconds),
                       ("scaleDownDelayRevisionLimit", b.scaleDownDelayRevisionLimit)] {
            if let v, v < 0 { add("\(p).\(k)", "\(v) is negative", "set 0 or more") }
        }
        if let m = b.maxUnavailable { checkIntOrPercent("\(p).maxUnavailable", m) }
        if let a = b.prePromotionAnalysis { checkAnalysis(a, path: "\(p).prePromotionAnalysis") }
        if let a = b.postPromotionAnalysis { checkAnalysis(a, path: "\(p).postPromotionAnalysis") }
    }

    mutating func checkProgressThreshold(_ t: RolloutReplicaProgressThreshold, path p: String) {
        if !RolloutReplicaProgressThreshold.types.contains(t.type) {
            add("\(p).type", "\"\(t.type)\" is not Percent or Pod", "use type: Percent (value: a percentage) or type: Pod (value: a pod count)")
        }
        if t.value < 1 {
            add("\(p).value", "\(t.value) is below 1", "set at least 1 (a step is never complete with no canary pod available)")
        } else if t.type == "Percent", t.value > 100 {
            add("\(p).value", "\(t.value) is above 100", "write a percentage of the step's canary pods, 1 to 100")
        }
    }

    mutating func checkIntOrPercent(_ path: String, _ v: IntOrString) {
        guard let n = v.scaled(total: 100, roundUp: true) else {
            add(path, "\"\(v)\" is neither a number nor a percentage", "write a count such as 1 or a percentage such as 25%")
            return
        }
        if n < 0 { add(path, "\(v) is negative", "write 0 or more") }
    }

    mutating func checkAnalysis(_ a: RolloutAnalysis, path p: String, background: Bool = false, stepCount: Int = 0) {
        let templates = a.templates ?? []
        if templates.isEmpty {
            add("\(p).templates", "is empty", "list the AnalysisTemplate(s) to run, e.g. [{templateName: success-rate}]")
        }
        for (i, t) in templates.enumerated() where t.templateName.isEmpty {
            add("\(p).templates[\(i)].templateName", "is empty", "name the AnalysisTemplate (or ClusterAnalysisTemplate with clusterScope: true)")
        }
        var names: Set<String> = []
        for (i, arg) in (a.args ?? []).enumerated() {
            let ap = "\(p).args[\(i)]"
            if arg.name.isEmpty { add("\(ap).name", "is empty", "name the argument as the template declares it") }
            if !names.insert(arg.name).inserted { add("\(ap).name", "\"\(arg.name)\" is given twice", "give each argument once") }
            let from = arg.valueFrom
            let sources = [arg.value != nil, from?.podTemplateHashValue != nil, from?.fieldRef != nil].filter { $0 }.count
            if sources == 0 {
                add(ap, "argument \"\(arg.name)\" has no value", "set value, valueFrom.podTemplateHashValue or valueFrom.fieldRef")
            } else if sources > 1 {
                add(ap, "argument \"\(arg.name)\" has more than one value", "set only one of value or valueFrom")
            }
            if let h = from?.podTemplateHashValue, h != "Stable", h != "Latest" {
                add("\(ap).valueFrom.podTemplateHashValue", "\"\(h)\" is not Stable or Latest", "use Stable or Latest")
            }
            if let f = from?.fieldRef, f.fieldPath.isEmpty {
                add("\(ap).valueFrom.fieldRef.fieldPath", "is empty", "name a field of the Rollout, e.g. metadata.name")
            }
        }
        if background, let s = a.startingStep, !(0...stepCount).contains(s) {
            add("\(p).startingStep", "\(s) is outside 0...\(stepCount)", "start the background analysis at a step index of the steps list")
        }
        if !background, a.startingStep != nil {
            add("\(p).startingStep", "only applies to the background analysis", "remove startingStep here")
        }
    }

    mutating func checkCanary(_ c: RolloutCanaryStrategy) {
        let p = "strategy.canary"
        let routing = c.trafficRouting
        if let cs = c.canaryService, let ss = c.stableService, cs == ss {
            add("\(p).stableService", "is the same Service as canaryService", "use two different Services")
        }
        if let cs = c.canaryService, cs.isEmpty { add("\(p).canaryService", "is empty", "name the canary Service or remove the field") }
        if let ss = c.stableService, ss.isEmpty { add("\(p).stableService", "is empty", "name the stable Service or remove the field") }
        if let surge = c.maxSurge { checkIntOrPercent("\(p).maxSurge", surge) }
        if let un = c.maxUnavailable { checkIntOrPercent("\(p).maxUnavailable", un) }
        // Only both written as zero is an error; zero after rounding lets one pod go unavailable (as Deployments do).
        if let surge = c.maxSurge?.scaled(total: 100, roundUp: true), surge == 0,
            let un = c.maxUnavailable?.scaled(total: 100, roundUp: false), un == 0 {
            add("\(p).maxUnavailable", "and maxSurge are both 0", "allow at least one: e.g. maxSurge: 1")
        }
        for (k, v) in [("scaleDownDelaySeconds", c.scaleDownDelaySeconds), ("abortScaleDownDelaySeconds", c.abortScaleDownDelaySeconds),
                       ("scaleDownDelayRevisionLimit", c.scaleDownDelayRevisionLimit), ("minPodsPerReplicaSet", c.minPodsPerReplicaSet)] {
            if let v, v < 0 { add("\(p).\(k)", "\(v) is negative", "set 0 or more") }
        }
        if routing == nil {
            if c.scaleDownDelaySeconds != nil {
                add("\(p).scaleDownDelaySeconds", "only applies with trafficRouting",
                    "remove it (without a router the old pods scale down as the canary scales up) or configure trafficRouting")
            }
            if c.dynamicStableScale == true {
                add("\(p).dynamicStableScale", "only applies with trafficRouting", "remove it or configure trafficRouting")
            }
            if c.minPodsPerReplicaSet != nil {
                add("\(p).minPodsPerReplicaSet", "only applies with trafficRouting", "remove it or configure trafficRouting")
            }
        }
        if let pp = c.pingPong { checkPingPong(pp, canary: c, path: "\(p).pingPong") }
        // Accepted by the CRD (Argo's schema) but not applied yet: refused by name rather than ignored.
        for (field, set) in [("canaryMetadata", c.canaryMetadata != nil), ("stableMetadata", c.stableMetadata != nil)] where set {
            add("\(p).\(field)", "\(field) (labels and annotations on the canary or stable pods) is not supported by Serin yet",
                "remove \(field); select the pods by their rollouts-pod-template-hash label instead")
        }
        if c.antiAffinity != nil {
            add("\(p).antiAffinity", "antiAffinity (keeping canary and stable pods on different nodes) is not supported by Serin yet",
                "remove antiAffinity, or write a podAntiAffinity rule into the pod template")
        }
        if let t = c.replicaProgressThreshold { checkProgressThreshold(t, path: "\(p).replicaProgressThreshold") }
        if let r = routing { checkRouting(r, canary: c, path: "\(p).trafficRouting") }

        let steps = c.effectiveSteps
        let managed = Set((routing?.managedRoutes ?? []).map(\.name))
        let maxWeight = routing?.effectiveMaxTrafficWeight ?? 100
        for (i, step) in steps.enumerated() {
            let sp = "\(p).steps[\(i)]"
            let fields = step.setFields
            if fields.isEmpty {
                add(sp, "sets no action", "set one of setWeight, pause, analysis, setCanaryScale, setHeaderRoute, setMirrorRoute")
                continue
            }
            // As Argo: setWeight, pause, experiment and analysis exclude one another; the route and
            // scale settings may go along with each other (and with one of those).
            let exclusive = fields.filter(RolloutCanaryStep.exclusiveFields.contains)
            if exclusive.count > 1 {
                add(sp, "sets \(exclusive.joined(separator: " and ")) in one step",
                    "split them into separate steps: setWeight, pause, experiment and analysis each need a step of their own")
                continue
            }
            if let w = step.setWeight, !(0...maxWeight).contains(w) {
                add("\(sp).setWeight", "\(w) is outside 0..\(maxWeight)", "use a percentage between 0 and \(maxWeight)")
            }
            if let pause = step.pause, pause.duration != nil {
                if let secs = pause.seconds {
                    if secs < 0 { add("\(sp).pause.duration", "is negative", "write a duration such as 30s, 5m or 1h") }
                    if secs > 365 * 86_400 {
                        add("\(sp).pause.duration", "\"\(pause.duration!)\" is longer than a year",
                            "omit the duration to pause until a promote, or write one such as 1h")
                    }
                } else {
                    add("\(sp).pause.duration", "\"\(pause.duration!)\" is not a duration",
                        "write a number of seconds or a duration such as 30s, 5m or 1h (omit it to wait for a promote)")
                }
            }
            if let a = step.analysis { checkAnalysis(a, path: "\(sp).analysis") }
            if let t = step.replicaProgressThreshold { checkProgressThreshold(t, path: "\(sp).replicaProgressThreshold") }
            if let sc = step.setCanaryScale {
                let set = [sc.weight != nil, sc.replicas != nil, sc.matchTrafficWeight == true].filter { $0 }.count
                if set != 1 {
                    add("\(sp).setCanaryScale", "must set exactly one of weight, replicas, matchTrafficWeight",
                        "e.g. setCanaryScale: {replicas: 1}")
                }
                if let w = sc.weight, !(0...100).contains(w) {
                    add("\(sp).setCanaryScale.weight", "\(w) is outside 0..100", "use a percentage of replicas")
                }
                if let r = sc.replicas, r < 0 { add("\(sp).setCanaryScale.replicas", "\(r) is negative", "set 0 or more") }
                if routing == nil {
                    add("\(sp).setCanaryScale", "needs trafficRouting",
                        "configure trafficRouting (without a router the weight is the replica split) or remove the step")
                }
            }
            if let h = step.setHeaderRoute {
                checkManagedRoute(h.name, path: "\(sp).setHeaderRoute", routing: routing, managed: managed)
                if let routing { checkALBHeaderRoute(h, routing: routing, path: "\(sp).setHeaderRoute") }
                for (j, m) in (h.match ?? []).enumerated() {
                    if m.headerName.isEmpty { add("\(sp).setHeaderRoute.match[\(j)].headerName", "is empty", "name the header") }
                    if m.headerValue.count != 1 {
                        add("\(sp).setHeaderRoute.match[\(j)].headerValue", "must set exactly one of exact, regex, prefix",
                            "e.g. headerValue: {exact: beta}")
                    }
                }
            }
            if let m = step.setMirrorRoute {
                checkManagedRoute(m.name, path: "\(sp).setMirrorRoute", routing: routing, managed: managed)
                if let routing { checkALBMirrorRoute(routing, path: "\(sp).setMirrorRoute") }
                if let pct = m.percentage, !(0...100).contains(pct) {
                    add("\(sp).setMirrorRoute.percentage", "\(pct) is outside 0..100", "use a percentage between 0 and 100")
                }
                // Checked here rather than by CEL: the CRD cannot afford the rule on an unbounded list.
                for (j, match) in (m.match ?? []).enumerated() {
                    let mp = "\(sp).setMirrorRoute.match[\(j)]"
                    var matchers: [(String, RolloutStringMatch)] = []
                    if let method = match.method { matchers.append(("\(mp).method", method)) }
                    if let path = match.path { matchers.append(("\(mp).path", path)) }
                    for (name, value) in (match.headers ?? [:]).sorted(by: { $0.key < $1.key }) {
                        matchers.append(("\(mp).headers[\(name)]", value))
                    }
                    for (field, value) in matchers where value.count != 1 {
                        add(field, "must set exactly one of exact, regex, prefix", "e.g. {exact: GET} or {prefix: /api}")
                    }
                }
            }
            if let e = step.experiment { checkExperiment(e, path: "\(sp).experiment") }
            if step.plugin != nil {
                add("\(sp).plugin", "step plugins are not supported by Serin", "remove the step")
            }
        }
        if let a = c.analysis { checkAnalysis(a, path: "\(p).analysis", background: true, stepCount: steps.count) }
    }

    mutating func checkManagedRoute(_ name: String, path: String, routing: RolloutTrafficRouting?, managed: Set<String>) {
        if name.isEmpty { add("\(path).name", "is empty", "name the managed route") }
        if routing == nil {
            add(path, "needs trafficRouting", "configure trafficRouting (istio or the gatewayAPI plugin) with managedRoutes")
        } else if !name.isEmpty, !managed.contains(name) {
            add("\(path).name", "\"\(name)\" is not listed in trafficRouting.managedRoutes",
                "add {name: \(name)} to strategy.canary.trafficRouting.managedRoutes")
        }
    }

    mutating func checkRouting(_ r: RolloutTrafficRouting, canary c: RolloutCanaryStrategy, path p: String) {
        let unsupported = r.unsupportedRouters
        if !unsupported.isEmpty {
            add(p, "router \(unsupported.joined(separator: ", ")) is not supported by Serin",
                "use istio (virtualService), nginx (stableIngress), alb (ingress), smi, traefik (weightedTraefikServiceName), ambassador (mappings), apisix (route) or plugins.\(RolloutTrafficRouting.gatewayAPIPlugin) (httpRoute)")
        }
        if r.usesAppMesh {
            add("\(p).appMesh", "router appMesh is not supported: \(CanaryProviders.appMeshRetired)",
                CanaryProviders.appMeshRolloutFix)
        }
        let vss = r.istioVirtualServices
        let routes = r.gatewayHTTPRoutes
        let usesNginx = r.nginx.map { $0 != .null } ?? false
        if usesNginx { checkNginx(r, path: "\(p).nginx") }
        let usesALB = r.alb.map { $0 != .null } ?? false
        if usesALB { checkALB(r, path: "\(p).alb") }
        let usesTraefik = r.traefik.map { $0 != .null } ?? false
        if usesTraefik, (r.traefik?["weightedTraefikServiceName"].stringValue ?? "").isEmpty {
            add("\(p).traefik.weightedTraefikServiceName", "is missing", "name the TraefikService whose weighted services Serin sets")
        }
        let usesSMI = r.smi.map { $0 != .null } ?? false
        let usesAmbassador = r.ambassador.map { $0 != .null } ?? false
        if usesAmbassador {
            let mappings = r.ambassadorMappings
            if mappings.isEmpty {
                add("\(p).ambassador.mappings", "is empty", "list the Mappings Serin makes weighted canary copies of, e.g. [echo]")
            }
            for (i, m) in mappings.enumerated() where m.isEmpty {
                add("\(p).ambassador.mappings[\(i)]", "is empty", "name the Mapping")
            }
        }
        let usesAPISIX = r.apisix.map { $0 != .null } ?? false
        if usesAPISIX { checkAPISIX(r, canary: c, path: "\(p).apisix") }
        let weightOnly = [("nginx", usesNginx), ("smi", usesSMI), ("traefik", usesTraefik),
                          ("ambassador", usesAmbassador)].filter(\.1).map(\.0)
        if !(r.managedRoutes ?? []).isEmpty, r.istio == nil, routes.isEmpty, !usesAPISIX, !usesALB, !weightOnly.isEmpty {
            add("\(p).managedRoutes", "header and mirror routes are not supported by Serin's \(weightOnly.joined(separator: ", ")) router (Argo's sets none either)",
                "remove managedRoutes and the setHeaderRoute/setMirrorRoute steps, or route with istio or plugins.\(RolloutTrafficRouting.gatewayAPIPlugin)")
        }
        if r.istio == nil && routes.isEmpty && unsupported.isEmpty && !r.usesAppMesh && !usesNginx && !usesSMI && !usesALB && !usesTraefik
            && !usesAmbassador && !usesAPISIX {
            add(p, "names no router", "set istio.virtualService.name or plugins.\(RolloutTrafficRouting.gatewayAPIPlugin).httpRoute")
        }
        if r.istio != nil {
            if vss.isEmpty { add("\(p).istio.virtualService", "is missing", "name the VirtualService whose route weights Serin sets") }
            for (i, vs) in vss.enumerated() where vs.name.isEmpty {
                add("\(p).istio.virtualServices[\(i)].name", "is empty", "name the VirtualService")
            }
            if let dr = r.istio?.destinationRule { checkDestinationRule(dr, path: "\(p).istio.destinationRule") }
        }
        if let plugin = r.plugins?[RolloutTrafficRouting.gatewayAPIPlugin], plugin != .null, routes.isEmpty {
            add("\(p).plugins.\(RolloutTrafficRouting.gatewayAPIPlugin).httpRoute", "is missing",
                "name the HTTPRoute whose backendRefs weights Serin sets")
        }
        // As Argo: subset-level splitting (an Istio destinationRule) routes by subsets, not by
        // the two Services; pingPong names its own pair.
        let subsetLevel = r.istio?.destinationRule != nil
        if !subsetLevel, c.pingPong == nil, c.canaryService == nil || c.stableService == nil {
            add("strategy.canary", "trafficRouting needs both canaryService and stableService",
                "name the two Services the router splits traffic between")
        }
        if let m = r.maxTrafficWeight, m < 1 {
            add("\(p).maxTrafficWeight", "\(m) must be at least 1", "set the total weight of the router, e.g. 100")
        }
        var seen: Set<String> = []
        for (i, m) in (r.managedRoutes ?? []).enumerated() where !seen.insert(m.name).inserted {
            add("\(p).managedRoutes[\(i)].name", "\"\(m.name)\" is listed twice", "list each managed route once")
        }
    }
}
