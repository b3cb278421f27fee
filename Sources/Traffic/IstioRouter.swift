import KubeCore
import SerinAPI

/// Istio: a VirtualService on the apex host splitting between `<svc>-primary` and `<svc>-canary`
/// (with `service.delegation`, a delegate without hosts or gateways, as Flagger writes), and a
/// DestinationRule for each carrying `service.trafficPolicy`. Rollouts: IstioRolloutRoute.swift.
public struct IstioRouter: TrafficRouter {
    public init() {}

    public static let apiVersion = "networking.istio.io/v1beta1"

    static func destination(_ host: String, port: Int, weight: Int) -> JSONValue {
        ["destination": ["host": .string(host), "port": ["number": .int(Int64(port))]], "weight": .int(Int64(weight))]
    }

    /// The route's fields from `spec.service` (rewrite, timeout, retries, headers, corsPolicy).
    static func routeExtras(_ s: CanaryService) -> JSONValue {
        var r: JSONValue = .object([:])
        if let v = s.rewrite { r["rewrite"] = v }
        if let v = s.timeout { r["timeout"] = .string(v) }
        if let v = s.retries { r["retries"] = v }
        if let v = s.headers { r["headers"] = v }
        if let v = s.corsPolicy { r["corsPolicy"] = v }
        return r
    }

    /// The VirtualService for these weights, merged into `existing` (fields Serin does not set,
    /// such as `tls`, `tcp` or `exportTo`, and all metadata are kept).
    public static func virtualService(spec: CanarySpec, names: CanaryNames, weights: RouteWeights,
                                      existing: JSONValue? = nil, ownerReference: JSONValue? = nil) -> JSONValue {
        let s = spec.service
        var vs = ObjectMerge.base(existing: existing, apiVersion: apiVersion, kind: "VirtualService",
                                  name: names.apexService, namespace: names.namespace,
                                  labels: s.apex?.labels ?? [:], annotations: s.apex?.annotations ?? [:],
                                  ownerReference: ownerReference)
        if s.delegation == true {
            // As Flagger: a delegate has no hosts or gateways; a root VirtualService delegates to it.
            vs[path: ["spec", "hosts"]] = .null
            vs[path: ["spec", "gateways"]] = .null
        } else {
            var hosts = s.hosts ?? []
            if !hosts.contains(names.apexService) && !hosts.contains("*") { hosts.append(names.apexService) }
            vs[path: ["spec", "hosts"]] = .array(hosts.map { .string($0) })
            vs[path: ["spec", "gateways"]] = ObjectMerge.strings(s.gateways) ?? .null
        }

        var main = routeExtras(s)
        if let m = s.match { main["match"] = m }
        main["route"] = [
            destination(names.primaryService, port: s.port, weight: weights.primary),
            destination(names.canaryService, port: s.port, weight: weights.canary),
        ]
        if let m = weights.mirror {
            main["mirror"] = ["host": .string(names.canaryService), "port": ["number": .int(Int64(s.port))]]
            main["mirrorPercentage"] = ["value": .double(Double(m))]
        }
        var http: [JSONValue] = []
        if weights.abMatch, let abMatches = spec.analysis?.match?.arrayValue, !abMatches.isEmpty {
            var ab = routeExtras(s)
            ab["match"] = .array(abMatches.map { merged($0, with: s.match?.arrayValue?.first) })
            ab["route"] = [
                destination(names.primaryService, port: s.port, weight: 0),
                destination(names.canaryService, port: s.port, weight: 100),
            ]
            http.append(ab)
        }
        http.append(main)
        vs[path: ["spec", "http"]] = .array(http)
        return vs
    }

    /// An A/B match condition narrowed by the apex route's own match (e.g. a URI prefix).
    static func merged(_ ab: JSONValue, with base: JSONValue?) -> JSONValue {
        guard let base = base?.objectValue, var out = ab.objectValue else { return ab }
        for (k, v) in base where out[k] == nil { out[k] = v }
        return .object(out)
    }

    public enum Role: Sendable { case primary, canary }

    /// The DestinationRule of the primary or canary Service with `service.trafficPolicy`.
    public static func destinationRule(_ role: Role, spec: CanarySpec, names: CanaryNames, existing: JSONValue? = nil,
                                       ownerReference: JSONValue? = nil) -> JSONValue {
        let host = role == .primary ? names.primaryService : names.canaryService
        var dr = ObjectMerge.base(existing: existing, apiVersion: apiVersion, kind: "DestinationRule", name: host,
                                  namespace: names.namespace, ownerReference: ownerReference)
        dr[path: ["spec", "host"]] = .string(host)
        dr[path: ["spec", "trafficPolicy"]] = spec.service.trafficPolicy ?? .null
        return dr
    }

    /// The weights a VirtualService routes with (its last route to the primary/canary pair).
    public static func readWeights(virtualService vs: JSONValue, names: CanaryNames) -> RouteWeights? {
        let http = vs[path: ["spec", "http"]].arrayValue ?? []
        func weight(_ route: JSONValue, _ host: String) -> Int? {
            for d in route["route"].arrayValue ?? [] where d["destination"]["host"].stringValue == host {
                return d["weight"].intValue ?? 0
            }
            return nil
        }
        let managed = http.filter { weight($0, names.primaryService) != nil || weight($0, names.canaryService) != nil }
        guard let main = managed.last else { return nil }
        var w = RouteWeights(primary: weight(main, names.primaryService) ?? 0, canary: weight(main, names.canaryService) ?? 0)
        if main["mirror"]["host"].stringValue == names.canaryService {
            w.mirror = Int((main["mirrorPercentage"]["value"].doubleValue ?? 100).rounded())
        }
        w.abMatch = managed.dropLast().contains { weight($0, names.canaryService) == 100 && !$0["match"].isNull }
        return w
    }
}

// MARK: - TrafficRouter

extension IstioRouter {
    public var families: [String] { [CanaryProviders.istio] }
    public var splitsTraffic: Bool { true }
    public var supportsMirroring: Bool { true }
    public var supportsMatch: Bool { true }
    public var writes: [ResourceType] { [.services, .virtualServices, .destinationRules] }
    public var watches: [ResourceType] { [.services] }
    public var serviceRoles: [ServiceBuilder.Role] { [.apex, .primary, .canary] }

    public func routingObjects(spec: CanarySpec, names: CanaryNames, selector: SelectorLabel, weights: RouteWeights,
                               existing: [String: JSONValue], ownerReference: JSONValue?) -> [JSONValue] {
        [
            Self.virtualService(spec: spec, names: names, weights: weights,
                                existing: existing["VirtualService/\(names.apexService)"], ownerReference: ownerReference),
            Self.destinationRule(.primary, spec: spec, names: names,
                                 existing: existing["DestinationRule/\(names.primaryService)"], ownerReference: ownerReference),
            Self.destinationRule(.canary, spec: spec, names: names,
                                 existing: existing["DestinationRule/\(names.canaryService)"], ownerReference: ownerReference),
        ]
    }

    public func weightObject(names: CanaryNames) -> RouterObjectRef { RouterObjectRef(.virtualServices, names.apexService) }

    public func readWeights(names: CanaryNames, selector: SelectorLabel, object: JSONValue?) -> RouteWeights? {
        guard let object, !object.isNull else { return nil }
        return Self.readWeights(virtualService: object, names: names)
    }

    public func cleanupObjects(names: CanaryNames) -> [RouterObjectRef] {
        [RouterObjectRef(.virtualServices, names.apexService), RouterObjectRef(.destinationRules, names.primaryService),
         RouterObjectRef(.destinationRules, names.canaryService)]
    }

}
