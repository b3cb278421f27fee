import KubeCore
import SerinAPI

/// Ambassador / Emissary-ingress (Argo's `trafficRouting.ambassador.mappings`): for each of the
/// user's Mappings (getambassador.io/v2, read and never written) a `<mapping>-canary` copy, its
/// metadata dropped, `spec.service` switched to the canaryService (keeping a `:port`) and
/// `spec.weight` the canary's share; Emissary sends the rest to the user's Mapping. At weight 0
/// the copy is removed, as Argo's rollout/trafficrouting/ambassador does. Flagger has no
/// ambassador provider.
public struct AmbassadorRouter: TrafficRouter {
    public init() {}

    public static let apiVersion = "getambassador.io/v2"

    /// Argo's name of the canary Mapping: the first 246 characters of the Mapping's, then `-canary`.
    public static func canaryMappingName(_ mapping: String) -> String { "\(mapping.prefix(246))-canary" }

    /// `service` (`svc`, `svc:port`, `scheme://svc.ns:port`) as Argo rewrites it: the canary
    /// Service, with the port when the last `:` part is a number.
    public static func canaryService(_ service: String, canary: String) -> String {
        let parts = service.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count >= 2, let port = parts.last, Int(port) != nil else { return canary }
        return "\(canary):\(port)"
    }
}

extension AmbassadorRouter {
    public var families: [String] { [] }
    public var splitsTraffic: Bool { true }
    public var supportsMirroring: Bool { false }
    public var supportsMatch: Bool { false }
    public var writes: [ResourceType] { [.ambassadorMappings] }
    public var watches: [ResourceType] { [] }
    public var serviceRoles: [ServiceBuilder.Role] { [] }

    // Canaries: none (Flagger has no ambassador provider).
    public func routingObjects(spec: CanarySpec, names: CanaryNames, selector: SelectorLabel, weights: RouteWeights,
                               existing: [String: JSONValue], ownerReference: JSONValue?) -> [JSONValue] { [] }
    public func weightObject(names: CanaryNames) -> RouterObjectRef { RouterObjectRef(.ambassadorMappings, names.apexService + "-canary") }
    public func readWeights(names: CanaryNames, selector: SelectorLabel, object: JSONValue?) -> RouteWeights? {
        guard let object, !object.isNull else { return nil }
        return Self.readWeights(canaryMapping: object)
    }
    public func cleanupObjects(names: CanaryNames) -> [RouterObjectRef] { [] }

    /// The split a canary Mapping carries (no Mapping: all to the stable one).
    public static func readWeights(canaryMapping: JSONValue?) -> RouteWeights {
        let w = min(100, max(0, canaryMapping?[path: ["spec", "weight"]].intValue ?? 0))
        return RouteWeights(primary: 100 - w, canary: w)
    }

    public func rolloutObjects(_ routing: RolloutTrafficRouting, namespace: String) -> [RolloutRouteObject] {
        (routing.ambassador?["mappings"].arrayValue ?? []).compactMap(\.stringValue).filter { !$0.isEmpty }.map {
            RolloutRouteObject(resource: .ambassadorMappings, namespace: namespace, name: $0)
        }
    }

    /// The user's Mapping stays as it is; one that sets a weight is refused (as Argo does).
    public func rolloutRoute(_ existing: JSONValue, object: RolloutRouteObject, names: CanaryNames,
                             traffic: RolloutRouteSettings) throws(RolloutRoutingError) -> JSONValue {
        if let w = existing[path: ["spec", "weight"]].intValue, w != 0 {
            throw RolloutRoutingError("Mapping \(object.name) sets spec.weight \(w); remove it (Serin weighs the canary Mapping \(Self.canaryMappingName(object.name)) against it)")
        }
        return existing
    }

    public func rolloutDerivedObjects(_ object: RolloutRouteObject, routing: RolloutTrafficRouting,
                                      rollout: String) -> [RolloutRouteObject] {
        guard object.resource == .ambassadorMappings else { return [] }
        return [RolloutRouteObject(resource: .ambassadorMappings, namespace: object.namespace, name: Self.canaryMappingName(object.name))]
    }

    /// The canary Mapping for the weight, or null (removed) at weight 0.
    public func rolloutDerived(_ derived: RolloutRouteObject, source: JSONValue?, existing: JSONValue?, routing: RolloutTrafficRouting,
                               names: CanaryNames, traffic: RolloutRouteSettings,
                               owner: JSONValue) throws(RolloutRoutingError) -> JSONValue {
        guard traffic.canaryWeight > 0 else { return .null }
        try RolloutOwnership.check(existing, owner: owner, what: "Mapping \(derived.name)", rollout: names.canaryName,
                                   role: "the canary Mapping")
        guard let source else { throw RolloutRoutingError("Mapping \(derived.name): the Mapping it is copied from is missing") }
        // As Argo: the user's metadata is not copied; Serin adds its owner so the copy goes with the Rollout.
        var obj = source
        obj["metadata"] = existing?["metadata"] ?? ["name": .string(derived.name), "namespace": .string(derived.namespace)]
        obj["status"] = .null
        obj = ObjectMerge.withOwner(obj, owner)
        obj[path: ["spec", "service"]] = .string(Self.canaryService(source[path: ["spec", "service"]].stringValue ?? "",
                                                                     canary: names.canaryService))
        // A Mapping's weight is a percentage; maxTrafficWeight is the total the Rollout counts in.
        let percent = traffic.maxWeight > 0 ? Int((Double(traffic.canaryWeight) * 100 / Double(traffic.maxWeight)).rounded()) : traffic.canaryWeight
        obj[path: ["spec", "weight"]] = .int(Int64(percent))
        return obj
    }
}
