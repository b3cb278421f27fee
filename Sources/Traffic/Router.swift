import KubeCore
import SerinAPI

/// One router interface for pure code: the routing objects for a set of weights, and the
/// weights read back from the objects found in the cluster.
extension RouterKind {
    /// `Kind/name`, the key of `existing` and `objects` dictionaries.
    public static func key(_ obj: JSONValue) -> String { "\(obj["kind"].stringValue ?? "")/\(obj.name ?? "")" }

    /// Every object this router needs for `weights`, each merged into its existing version
    /// (looked up in `existing` by `Kind/name`). The apex/primary/canary Services come from
    /// `ServiceBuilder`; for the kubernetes router the apex Service is its routing object.
    public func routingObjects(spec: CanarySpec, names: CanaryNames, selector: SelectorLabel, weights: RouteWeights,
                               existing: [String: JSONValue] = [:], ownerReference: JSONValue? = nil) -> [JSONValue] {
        switch self {
        case .kubernetes:
            return [ServiceBuilder.service(.apex, spec: spec, names: names, selector: selector,
                                           existing: existing["Service/\(names.apexService)"],
                                           ownerReference: ownerReference, apexSelectsCanary: weights.canary >= 100)]
        case .gatewayapi:
            return [GatewayAPIRouter.httpRoute(spec: spec, names: names, weights: weights,
                                               existing: existing["HTTPRoute/\(names.apexService)"],
                                               ownerReference: ownerReference)]
        case .istio:
            return [
                IstioRouter.virtualService(spec: spec, names: names, weights: weights,
                                           existing: existing["VirtualService/\(names.apexService)"],
                                           ownerReference: ownerReference),
                IstioRouter.destinationRule(.primary, spec: spec, names: names,
                                            existing: existing["DestinationRule/\(names.primaryService)"],
                                            ownerReference: ownerReference),
                IstioRouter.destinationRule(.canary, spec: spec, names: names,
                                            existing: existing["DestinationRule/\(names.canaryService)"],
                                            ownerReference: ownerReference),
            ]
        }
    }

    /// The object that carries the weights (`Kind/name`), which the controller reads back.
    public func weightObjectKey(names: CanaryNames) -> String {
        switch self {
        case .kubernetes: return "Service/\(names.apexService)"
        case .gatewayapi: return "HTTPRoute/\(names.apexService)"
        case .istio: return "VirtualService/\(names.apexService)"
        }
    }

    /// The resource type of the weight-carrying object.
    public var weightResource: ResourceType {
        switch self {
        case .kubernetes: return .services
        case .gatewayapi:
            return ResourceType(group: "gateway.networking.k8s.io", version: "v1", plural: "httproutes", kind: "HTTPRoute")
        case .istio:
            return ResourceType(group: "networking.istio.io", version: "v1beta1", plural: "virtualservices", kind: "VirtualService")
        }
    }

    public static let destinationRules = ResourceType(
        group: "networking.istio.io", version: "v1beta1", plural: "destinationrules", kind: "DestinationRule")

    /// Weights read back from the weight-carrying object; nil when it is absent or not Serin's.
    public func readWeights(names: CanaryNames, selector: SelectorLabel, object: JSONValue?) -> RouteWeights? {
        guard let object, !object.isNull else { return nil }
        switch self {
        case .kubernetes: return ServiceBuilder.readSelectorWeights(apex: object, selector: selector)
        case .gatewayapi: return GatewayAPIRouter.readWeights(httpRoute: object, names: names)
        case .istio: return IstioRouter.readWeights(virtualService: object, names: names)
        }
    }
}
