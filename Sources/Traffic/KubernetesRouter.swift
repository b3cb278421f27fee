import KubeCore
import SerinAPI

/// Kubernetes: blue/green by switching the apex Service's selector between the primary and
/// the target; no weights, no mirroring, no match. The apex Service is its routing object.
public struct KubernetesRouter: TrafficRouter {
    public init() {}

    public var families: [String] { [CanaryProviders.kubernetes] }
    public var splitsTraffic: Bool { false }
    public var supportsMirroring: Bool { false }
    public var supportsMatch: Bool { false }
    public var writes: [ResourceType] { [.services] }
    public var watches: [ResourceType] { [.services] }
    public var serviceRoles: [ServiceBuilder.Role] { [.primary, .canary] }

    public func routingObjects(spec: CanarySpec, names: CanaryNames, selector: SelectorLabel, weights: RouteWeights,
                               existing: [String: JSONValue], ownerReference: JSONValue?) -> [JSONValue] {
        [ServiceBuilder.service(.apex, spec: spec, names: names, selector: selector,
                                existing: existing["Service/\(names.apexService)"],
                                ownerReference: ownerReference, apexSelectsCanary: weights.canary >= 100)]
    }

    public func weightObject(names: CanaryNames) -> RouterObjectRef { RouterObjectRef(.services, names.apexService) }

    public func readWeights(names: CanaryNames, selector: SelectorLabel, object: JSONValue?) -> RouteWeights? {
        guard let object, !object.isNull else { return nil }
        return ServiceBuilder.readSelectorWeights(apex: object, selector: selector)
    }

    /// The apex Service outlives the Canary (its selector is reverted, not deleted).
    public func cleanupObjects(names: CanaryNames) -> [RouterObjectRef] { [] }

    /// Rollouts switch Service selectors themselves (no routing object).
    public func rolloutObjects(_ routing: RolloutTrafficRouting, namespace: String) -> [RolloutRouteObject] { [] }

    public func rolloutRoute(_ existing: JSONValue, object: RolloutRouteObject, names: CanaryNames,
                             traffic: RolloutRouteSettings) throws(RolloutRoutingError) -> JSONValue {
        existing
    }
}
