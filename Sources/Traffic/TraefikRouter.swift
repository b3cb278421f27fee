import KubeCore
import SerinAPI

/// Traefik Proxy: a TraefikService (traefik.io/v1alpha1) with weighted round robin over the
/// primary and canary Services.
///
/// Flagger (`provider: traefik`): the TraefikService `<svc>`, `spec.weighted.services` the
/// primary (and the canary while its weight is above 0) with `namespace`, `port` and `weight`,
/// labels and annotations from `service.apex` (Flagger's pkg/router/traefik.go); the user's
/// IngressRoute points at it. Argo (`trafficRouting.traefik.weightedTraefikServiceName`): the
/// user's TraefikService, whose canaryService and stableService entries get the weights
/// (Argo's rollout/trafficrouting/traefik).
public struct TraefikRouter: TrafficRouter {
    public init() {}

    public static let apiVersion = "traefik.io/v1alpha1"

    static func service(_ name: String, namespace: String, port: Int, weight: Int) -> JSONValue {
        ["name": .string(name), "namespace": .string(namespace), "port": .int(Int64(port)), "weight": .int(Int64(weight))]
    }

    /// The split of a weighted TraefikService, as percentages; nil when it names neither Service.
    public static func readWeights(traefikService ts: JSONValue, primary: String, canary: String) -> RouteWeights? {
        var p: Int?, c = 0
        for s in ts[path: ["spec", "weighted", "services"]].arrayValue ?? [] {
            // Traefik's default weight is 1.
            let w = s["weight"].intValue ?? 1
            if s["name"].stringValue == primary { p = (p ?? 0) + w }
            if s["name"].stringValue == canary { c += w }
        }
        guard let primaryWeight = p else { return c > 0 ? RouteWeights(primary: 0, canary: 100) : nil }
        let total = primaryWeight + c
        guard total > 0 else { return RouteWeights(primary: 0, canary: 0) }
        let canaryShare = Int((Double(c) * 100 / Double(total)).rounded())
        return RouteWeights(primary: 100 - canaryShare, canary: canaryShare)
    }
}

// MARK: - Canaries (Flagger)

extension TraefikRouter {
    public var families: [String] { [CanaryProviders.traefik] }
    public var splitsTraffic: Bool { true }
    public var supportsMirroring: Bool { false }
    public var supportsMatch: Bool { false }
    public var writes: [ResourceType] { [.services, .traefikServices] }
    public var watches: [ResourceType] { [.services] }
    public var serviceRoles: [ServiceBuilder.Role] { [.apex, .primary, .canary] }

    public func routingObjects(spec: CanarySpec, names: CanaryNames, selector: SelectorLabel, weights: RouteWeights,
                               existing: [String: JSONValue], ownerReference: JSONValue?) -> [JSONValue] {
        let apex = spec.service.apex
        var ts = ObjectMerge.base(existing: existing["TraefikService/\(names.apexService)"], apiVersion: Self.apiVersion,
                                  kind: "TraefikService", name: names.apexService, namespace: names.namespace,
                                  labels: apex?.labels ?? [:], annotations: apex?.annotations ?? [:], ownerReference: ownerReference)
        let port = spec.service.port
        var services = [Self.service(names.primaryService, namespace: names.namespace, port: port, weight: weights.primary)]
        if weights.canary > 0 {
            services.append(Self.service(names.canaryService, namespace: names.namespace, port: port, weight: weights.canary))
        }
        ts[path: ["spec", "weighted", "services"]] = .array(services)
        return [ts]
    }

    public func weightObject(names: CanaryNames) -> RouterObjectRef { RouterObjectRef(.traefikServices, names.apexService) }

    public func readWeights(names: CanaryNames, selector: SelectorLabel, object: JSONValue?) -> RouteWeights? {
        guard let object, !object.isNull else { return nil }
        return Self.readWeights(traefikService: object, primary: names.primaryService, canary: names.canaryService)
    }

    public func cleanupObjects(names: CanaryNames) -> [RouterObjectRef] { [weightObject(names: names)] }
}

// MARK: - Rollouts (Argo)

extension TraefikRouter {
    public func rolloutObjects(_ routing: RolloutTrafficRouting, namespace: String) -> [RolloutRouteObject] {
        guard let name = routing.traefik?["weightedTraefikServiceName"].stringValue, !name.isEmpty else { return [] }
        return [RolloutRouteObject(resource: .traefikServices, namespace: namespace, name: name)]
    }

    public func rolloutRoute(_ existing: JSONValue, object: RolloutRouteObject, names: CanaryNames,
                             traffic: RolloutRouteSettings) throws(RolloutRoutingError) -> JSONValue {
        var services = existing[path: ["spec", "weighted", "services"]].arrayValue ?? []
        var stable = false, canary = false
        for i in services.indices {
            if services[i]["name"].stringValue == names.canaryService {
                services[i]["weight"] = .int(Int64(traffic.canaryWeight))
                canary = true
            } else if services[i]["name"].stringValue == names.primaryService {
                services[i]["weight"] = .int(Int64(traffic.stableWeight))
                stable = true
            }
        }
        guard stable && canary else {
            throw RolloutRoutingError("TraefikService \(object.name) has no weighted services \(names.primaryService) and \(names.canaryService); list both under spec.weighted.services")
        }
        var ts = existing
        ts[path: ["spec", "weighted", "services"]] = .array(services)
        return ts
    }
}
