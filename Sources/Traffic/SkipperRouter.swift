import KubeCore
import SerinAPI

/// Skipper (Flagger's `provider: skipper`): a canary Ingress `<spec.ingressRef.name>-canary`
/// copied from the user's Ingress, each path to `<svc>` switched to `<svc>-primary` with a copy
/// of it to `<svc>-canary`, the split in `zalando.org/backend-weights` and the route made to
/// win over the user's with `zalando.org/skipper-predicate: Weight(100)`, or switched off with
/// `False()` at canary weight 0 (Flagger's pkg/router/skipper.go). The user's Ingress is read only.
public struct SkipperRouter: TrafficRouter {
    public init() {}

    public static let weightsAnnotation = "zalando.org/backend-weights"
    public static let predicateAnnotation = "zalando.org/skipper-predicate"
    static let routeWeight = "Weight(100)"
    static let routeDisabled = "False()"

    static func canaryName(_ spec: CanarySpec) -> String { CanaryIngressCopy.name(spec) }
    static let copy = CanaryIngressCopy(provider: CanaryProviders.skipper) { source, names in canarySpec(source, names: names) }

    /// `first`, then the predicates of `raw` other than Serin's own (Flagger's insertPredicate).
    static func predicate(_ raw: String?, first: String) -> String {
        let rest = (raw ?? "").components(separatedBy: "&&").map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && $0 != routeWeight && $0 != routeDisabled }
        return ([first] + rest).joined(separator: " && ")
    }

    /// `spec` of `source` with each path to `apex` pointed at `primary` and copied to `canary`; nil when none is.
    static func canarySpec(_ source: JSONValue, names: CanaryNames) -> JSONValue? {
        var spec = source["spec"]
        var rules = spec["rules"].arrayValue ?? []
        var found = false
        for r in rules.indices {
            var paths: [JSONValue] = []
            for var p in rules[r][path: ["http", "paths"]].arrayValue ?? [] {
                guard p[path: ["backend", "service", "name"]].stringValue == names.apexService else {
                    paths.append(p)
                    continue
                }
                found = true
                p[path: ["backend", "service", "name"]] = .string(names.primaryService)
                var c = p
                c[path: ["backend", "service", "name"]] = .string(names.canaryService)
                paths += [p, c]
            }
            if !paths.isEmpty { rules[r][path: ["http", "paths"]] = .array(paths) }
        }
        guard found else { return nil }
        spec["rules"] = .array(rules)
        return spec
    }

    /// `{"<canary>":N,"<primary>":M}`, keys sorted as Go's encoding/json writes a map.
    static func weightsJSON(_ weights: [String: Int]) -> String {
        "{" + weights.keys.sorted().map { "\"\($0)\":\(weights[$0]!)" }.joined(separator: ",") + "}"
    }
}

extension SkipperRouter {
    public var families: [String] { [CanaryProviders.skipper] }
    public var splitsTraffic: Bool { true }
    public var supportsMirroring: Bool { false }
    public var supportsMatch: Bool { false }
    public var writes: [ResourceType] { [.services, .ingresses] }
    public var watches: [ResourceType] { [.services] }
    public var serviceRoles: [ServiceBuilder.Role] { [.apex, .primary, .canary] }

    public func sourceObjects(spec: CanarySpec, names: CanaryNames) -> [RouterObjectRef] { Self.copy.sources(spec) }

    public func routingProblem(spec: CanarySpec, names: CanaryNames, existing: [String: JSONValue]) -> String? {
        Self.copy.problem(spec, names: names, existing: existing)
    }

    public func routingObjects(spec: CanarySpec, names: CanaryNames, selector: SelectorLabel, weights: RouteWeights,
                               existing: [String: JSONValue], ownerReference: JSONValue?) -> [JSONValue] {
        var (obj, a) = Self.copy.object(spec, names: names, existing: existing, ownerReference: ownerReference)
        // As Flagger: the user's annotations on creation (less kubectl's copy of the object), then the canary's own.
        a["kubectl.kubernetes.io/last-applied-configuration"] = nil
        a[Self.weightsAnnotation] = Self.weightsJSON([names.primaryService: weights.primary, names.canaryService: weights.canary])
        a[Self.predicateAnnotation] = Self.predicate(a[Self.predicateAnnotation],
                                                     first: weights.canary == 0 ? Self.routeDisabled : Self.routeWeight)
        obj[path: ["metadata", "annotations"]] = .object(a.mapValues { .string($0) })
        return [obj]
    }

    public func weightObject(names: CanaryNames) -> RouterObjectRef { RouterObjectRef(.ingresses, names.apexService + "-canary") }
    public func weightObject(spec: CanarySpec, names: CanaryNames) -> RouterObjectRef { RouterObjectRef(.ingresses, Self.canaryName(spec)) }

    public func readWeights(names: CanaryNames, selector: SelectorLabel, object: JSONValue?) -> RouteWeights? {
        guard let text = object?.annotations[Self.weightsAnnotation], let json = try? JSONValue(parsing: text),
              let p = json[names.primaryService].intValue, let c = json[names.canaryService].intValue, p + c > 0 else { return nil }
        let canary = Int((Double(c) * 100 / Double(p + c)).rounded())
        return RouteWeights(primary: 100 - canary, canary: canary)
    }

    public func cleanupObjects(names: CanaryNames) -> [RouterObjectRef] { [weightObject(names: names)] }
    public func cleanupObjects(spec: CanarySpec, names: CanaryNames) -> [RouterObjectRef] { [weightObject(spec: spec, names: names)] }

    // Argo Rollouts has no Skipper router.
    public func rolloutObjects(_ routing: RolloutTrafficRouting, namespace: String) -> [RolloutRouteObject] { [] }
    public func rolloutRoute(_ existing: JSONValue, object: RolloutRouteObject, names: CanaryNames,
                             traffic: RolloutRouteSettings) throws(RolloutRoutingError) -> JSONValue { existing }
}
