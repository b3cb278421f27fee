import KubeCore
import SerinAPI

/// NGINX Ingress (ingress-nginx): a second, "canary" Ingress copied from the user's Ingress,
/// its backends switched to the canary Service and the split in ingress-nginx's canary
/// annotations. The user's Ingress is read, never written.
///
/// Flagger (`provider: nginx`): `<spec.ingressRef.name>-canary`, backends `<svc>` → `<svc>-canary`,
/// `canary-weight`, and for A/B `canary-by-header`, `canary-by-header-value`,
/// `canary-by-header-pattern` and `canary-by-cookie` (Flagger's pkg/router/ingress.go).
/// Argo (`trafficRouting.nginx`): `<rollout>-<stableIngress>-canary` for each stable Ingress,
/// only the rules with a stableService backend, ingress class, TLS, `additionalIngressAnnotations`
/// (prefixed) and `canaryIngressAnnotations` (as written) (Argo's rollout/trafficrouting/nginx).
public struct NginxRouter: TrafficRouter {
    public init() {}

    public static let defaultPrefix = "nginx.ingress.kubernetes.io"
    static let ingressClassAnnotation = "kubernetes.io/ingress.class"

    /// The canary annotation keys, under `prefix`.
    public struct Keys: Sendable {
        public var prefix: String
        public init(prefix: String = NginxRouter.defaultPrefix) { self.prefix = prefix }
        func key(_ name: String) -> String { "\(prefix)/\(name)" }
        public var canary: String { key("canary") }
        public var weight: String { key("canary-weight") }
        public var weightTotal: String { key("canary-weight-total") }
        public var byHeader: String { key("canary-by-header") }
        public var byHeaderValue: String { key("canary-by-header-value") }
        public var byHeaderPattern: String { key("canary-by-header-pattern") }
        public var byCookie: String { key("canary-by-cookie") }
        /// Every key ingress-nginx reads for a canary starts with this (Flagger drops them all
        /// before writing its own).
        var canaryPrefix: String { key("canary") }
    }

    /// Argo's name of the canary Ingress (`<rollout>-<stableIngress>-canary`, at most 253 characters).
    public static func canaryIngressName(rollout: String, stableIngress: String) -> String {
        String("\(rollout)-\(stableIngress)-canary".prefix(253))
    }

    /// `spec` of `source` with every path backend naming `from` switched to `to`; nil when none
    /// does. With `onlyMatchingRules`, rules without such a backend are left out (Argo).
    static func canarySpec(_ source: JSONValue, from: String, to: String, onlyMatchingRules: Bool) -> JSONValue? {
        var spec = source["spec"].objectValue ?? [:]
        var rules: [JSONValue] = []
        var found = false
        for var rule in source[path: ["spec", "rules"]].arrayValue ?? [] {
            var paths = rule[path: ["http", "paths"]].arrayValue ?? []
            var hit = false
            for i in paths.indices where paths[i][path: ["backend", "service", "name"]].stringValue == from {
                paths[i][path: ["backend", "service", "name"]] = .string(to)
                hit = true
            }
            if hit { rule[path: ["http", "paths"]] = .array(paths) }
            found = found || hit
            if hit || !onlyMatchingRules { rules.append(rule) }
        }
        guard found else { return nil }
        spec["rules"] = .array(rules)
        if onlyMatchingRules {
            // Argo copies only the rules, TLS and the class: a default backend would catch all.
            spec = spec.filter { ["rules", "tls", "ingressClassName"].contains($0.key) }
        }
        return .object(spec)
    }

    /// `annotations` without any canary key, then `canary: "true"` and the weight.
    static func canaryAnnotations(_ annotations: [String: String], keys: Keys, weight: Int) -> [String: String] {
        var out = annotations.filter { !$0.key.contains(keys.canaryPrefix) }
        out[keys.canary] = "true"
        out[keys.weight] = String(weight)
        return out
    }

    static func setAnnotations(_ obj: inout JSONValue, _ annotations: [String: String]) {
        obj[path: ["metadata", "annotations"]] = annotations.isEmpty ? .null : .object(annotations.mapValues { .string($0) })
    }
}

// MARK: - Canaries (Flagger)

extension NginxRouter {
    public var families: [String] { [CanaryProviders.nginx] }
    public var splitsTraffic: Bool { true }
    public var supportsMirroring: Bool { false }
    public var supportsMatch: Bool { true }
    public var writes: [ResourceType] { [.services, .ingresses] }
    public var watches: [ResourceType] { [.services] }
    public var serviceRoles: [ServiceBuilder.Role] { [.apex, .primary, .canary] }

    static func canaryName(_ spec: CanarySpec) -> String { CanaryIngressCopy.name(spec) }

    static let copy = CanaryIngressCopy(provider: CanaryProviders.nginx) { source, names in
        canarySpec(source, from: names.apexService, to: names.canaryService, onlyMatchingRules: false)
    }

    public func sourceObjects(spec: CanarySpec, names: CanaryNames) -> [RouterObjectRef] { Self.copy.sources(spec) }

    public func routingProblem(spec: CanarySpec, names: CanaryNames, existing: [String: JSONValue]) -> String? {
        Self.copy.problem(spec, names: names, existing: existing)
    }

    /// The A/B annotations of Flagger: the last header and cookie named in `analysis.match`.
    static func matchAnnotations(_ match: [JSONValue], keys: Keys) -> [String: String] {
        var out: [String: String] = [:]
        for m in match {
            for (name, cond) in m["headers"].objectValue ?? [:] {
                if name == "cookie" {
                    if let v = cond["exact"].stringValue { out[keys.byCookie] = v }
                } else {
                    out[keys.byHeader] = name
                    if let v = cond["exact"].stringValue { out[keys.byHeaderValue] = v }
                    if let v = cond["regex"].stringValue { out[keys.byHeaderPattern] = v }
                }
            }
        }
        return out
    }

    public func routingObjects(spec: CanarySpec, names: CanaryNames, selector: SelectorLabel, weights: RouteWeights,
                               existing: [String: JSONValue], ownerReference: JSONValue?) -> [JSONValue] {
        let copied = Self.copy.object(spec, names: names, existing: existing, ownerReference: ownerReference)
        var obj = copied.object
        let keys = Keys()
        var annotations = Self.canaryAnnotations(copied.annotations, keys: keys, weight: weights.canary)
        if weights.abMatch {
            annotations.merge(Self.matchAnnotations(spec.analysis?.match?.arrayValue ?? [], keys: keys)) { $1 }
        }
        Self.setAnnotations(&obj, annotations)
        return [obj]
    }

    /// Without the spec the Ingress's name is unknown; the controllers use `weightObject(spec:names:)`.
    public func weightObject(names: CanaryNames) -> RouterObjectRef { RouterObjectRef(.ingresses, names.apexService + "-canary") }
    public func weightObject(spec: CanarySpec, names: CanaryNames) -> RouterObjectRef {
        RouterObjectRef(.ingresses, Self.canaryName(spec))
    }

    public func readWeights(names: CanaryNames, selector: SelectorLabel, object: JSONValue?) -> RouteWeights? {
        guard let object, !object.isNull else { return nil }
        return Self.readWeights(ingress: object, keys: Keys())
    }

    /// The split of a canary Ingress; nil when it is not one (no `canary: "true"`).
    public static func readWeights(ingress: JSONValue, keys: Keys) -> RouteWeights? {
        let a = ingress.annotations
        guard a[keys.canary] == "true" else { return nil }
        let total = max(1, Int(a[keys.weightTotal] ?? "") ?? 100)
        let weight = min(total, max(0, Int(a[keys.weight] ?? "") ?? 0))
        let canary = Int((Double(weight) * 100 / Double(total)).rounded())
        var w = RouteWeights(primary: 100 - canary, canary: canary)
        w.abMatch = a[keys.byHeader] != nil || a[keys.byCookie] != nil
        return w
    }

    public func cleanupObjects(names: CanaryNames) -> [RouterObjectRef] { [weightObject(names: names)] }
    public func cleanupObjects(spec: CanarySpec, names: CanaryNames) -> [RouterObjectRef] { [weightObject(spec: spec, names: names)] }
}

// MARK: - Rollouts (Argo)

extension NginxRouter {
    /// Argo's `trafficRouting.nginx` fields Serin reads.
    struct ArgoConfig {
        var keys: Keys
        var additional: [String: String]
        var canaryAnnotations: [String: String]

        init(_ nginx: JSONValue) {
            keys = Keys(prefix: nginx["annotationPrefix"].stringValue ?? NginxRouter.defaultPrefix)
            additional = JSONValue.stringMap(nginx["additionalIngressAnnotations"])
            canaryAnnotations = JSONValue.stringMap(nginx["canaryIngressAnnotations"])
        }
    }

    public func rolloutObjects(_ routing: RolloutTrafficRouting, namespace: String) -> [RolloutRouteObject] {
        routing.nginxStableIngresses.map { RolloutRouteObject(resource: .ingresses, namespace: namespace, name: $0) }
    }

    /// The stable Ingress is the user's and stays as it is.
    public func rolloutRoute(_ existing: JSONValue, object: RolloutRouteObject, names: CanaryNames,
                             traffic: RolloutRouteSettings) throws(RolloutRoutingError) -> JSONValue {
        existing
    }

    public func rolloutDerivedObjects(_ object: RolloutRouteObject, routing: RolloutTrafficRouting,
                                      rollout: String) -> [RolloutRouteObject] {
        guard object.resource == .ingresses, routing.nginx.map({ $0 != .null }) ?? false else { return [] }
        return [RolloutRouteObject(resource: .ingresses, namespace: object.namespace,
                                   name: Self.canaryIngressName(rollout: rollout, stableIngress: object.name))]
    }

    public func rolloutDerived(_ derived: RolloutRouteObject, source: JSONValue?, existing: JSONValue?, routing: RolloutTrafficRouting,
                               names: CanaryNames, traffic: RolloutRouteSettings,
                               owner: JSONValue) throws(RolloutRoutingError) -> JSONValue {
        guard let source else { throw RolloutRoutingError("Ingress \(derived.name): the stable Ingress it is copied from is missing") }
        // Header and mirror routes are left to the other routers of the Rollout, as Argo's nginx
        // router does (validation refuses managedRoutes with nginx alone).
        let stable = source.name ?? ""
        try RolloutOwnership.check(existing, owner: owner, what: "Ingress \(derived.name)", rollout: names.canaryName,
                                   role: "the canary Ingress of \(stable)")
        guard let spec = Self.canarySpec(source, from: names.primaryService, to: names.canaryService, onlyMatchingRules: true) else {
            throw RolloutRoutingError("Ingress \(stable) has no rules using service \(names.primaryService) backend; route a path of it to the stableService")
        }
        let cfg = ArgoConfig(routing.nginx ?? .null)
        var obj = ObjectMerge.base(existing: existing, apiVersion: "networking.k8s.io/v1", kind: "Ingress", name: derived.name,
                                   namespace: derived.namespace, ownerReference: owner)
        obj["spec"] = spec
        var annotations: [String: String] = [:]
        if let cls = source.annotations[Self.ingressClassAnnotation] { annotations[Self.ingressClassAnnotation] = cls }
        for (k, v) in cfg.additional { annotations[k.hasPrefix(cfg.keys.prefix) ? k : cfg.keys.key(k)] = v }
        annotations.merge(cfg.canaryAnnotations) { $1 }
        annotations[cfg.keys.canary] = "true"
        annotations[cfg.keys.weight] = String(traffic.canaryWeight)
        if let total = routing.maxTrafficWeight { annotations[cfg.keys.weightTotal] = String(total) }
        Self.setAnnotations(&obj, annotations)
        return obj
    }
}
