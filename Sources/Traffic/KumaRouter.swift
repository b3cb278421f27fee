import KubeCore
import SerinAPI

/// Kuma (Flagger's `provider: kuma`): the cluster-scoped TrafficRoute `<svc>` (kuma.io/v1alpha1)
/// splitting requests for `<svc>_<ns>_svc_<port>` between the primary's and the canary's Kuma
/// services, from every source, as Flagger's pkg/router/kuma.go writes it. The mesh is
/// `default` (Flagger reads a `kuma.io/mesh` annotation of the Canary, which a router does not see).
public struct KumaRouter: TrafficRouter {
    public init() {}

    public static let serviceTag = "kuma.io/service"

    /// Kuma's name of a Kubernetes Service port: `<name>_<namespace>_svc_<port>`.
    public static func kumaService(_ name: String, namespace: String, port: Int) -> String { "\(name)_\(namespace)_svc_\(port)" }

    static func split(_ service: String, weight: Int) -> JSONValue {
        ["weight": .int(Int64(weight)), "destination": [serviceTag: .string(service)]]
    }
}

extension KumaRouter {
    public var families: [String] { [CanaryProviders.kuma] }
    public var splitsTraffic: Bool { true }
    public var supportsMirroring: Bool { false }
    public var supportsMatch: Bool { false }
    public var writes: [ResourceType] { [.services, .kumaTrafficRoutes] }
    public var watches: [ResourceType] { [.services] }
    public var serviceRoles: [ServiceBuilder.Role] { [.apex, .primary, .canary] }

    public func routingObjects(spec: CanarySpec, names: CanaryNames, selector: SelectorLabel, weights: RouteWeights,
                               existing: [String: JSONValue], ownerReference: JSONValue?) -> [JSONValue] {
        let port = spec.service.port, ns = names.namespace
        // As Flagger: the apex metadata's annotations, else Kuma's protocol annotation for the port.
        let annotations = spec.service.apex?.annotations ?? ["\(port).service.kuma.io": "http"]
        var tr = ObjectMerge.base(existing: existing["TrafficRoute/\(names.apexService)"], apiVersion: "kuma.io/v1alpha1",
                                  kind: "TrafficRoute", name: names.apexService, namespace: ns,
                                  labels: spec.service.apex?.labels ?? [:], annotations: annotations, ownerReference: ownerReference)
        tr[path: ["metadata", "namespace"]] = .null  // cluster-scoped
        if tr["mesh"].isNull { tr["mesh"] = "default" }
        tr[path: ["spec", "sources"]] = [["match": [Self.serviceTag: "*"]]]
        tr[path: ["spec", "destinations"]] = [["match": [Self.serviceTag: .string(Self.kumaService(names.apexService, namespace: ns, port: port))]]]
        tr[path: ["spec", "conf", "split"]] = [
            Self.split(Self.kumaService(names.primaryService, namespace: ns, port: port), weight: weights.primary),
            Self.split(Self.kumaService(names.canaryService, namespace: ns, port: port), weight: weights.canary),
        ]
        return [tr]
    }

    public func weightObject(names: CanaryNames) -> RouterObjectRef { RouterObjectRef(.kumaTrafficRoutes, names.apexService) }

    public func readWeights(names: CanaryNames, selector: SelectorLabel, object: JSONValue?) -> RouteWeights? {
        guard let object, !object.isNull else { return nil }
        var p: Int?, c: Int?
        for s in object[path: ["spec", "conf", "split"]].arrayValue ?? [] {
            // Flagger compares the Service part of the Kuma service name.
            let service = (s[path: ["destination", Self.serviceTag]].stringValue ?? "").split(separator: "_").first.map(String.init)
            if service == names.primaryService { p = s["weight"].intValue ?? 0 }
            if service == names.canaryService { c = s["weight"].intValue ?? 0 }
        }
        guard let primary = p else { return nil }
        let canary = c ?? 0
        guard primary + canary > 0 else { return RouteWeights(primary: 0, canary: 0) }
        let share = Int((Double(canary) * 100 / Double(primary + canary)).rounded())
        return RouteWeights(primary: 100 - share, canary: share)
    }

    public func cleanupObjects(names: CanaryNames) -> [RouterObjectRef] { [weightObject(names: names)] }

    // Argo Rollouts has no Kuma router.
    public func rolloutObjects(_ routing: RolloutTrafficRouting, namespace: String) -> [RolloutRouteObject] { [] }
    public func rolloutRoute(_ existing: JSONValue, object: RolloutRouteObject, names: CanaryNames,
                             traffic: RolloutRouteSettings) throws(RolloutRoutingError) -> JSONValue { existing }
}
