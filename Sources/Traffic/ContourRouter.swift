import KubeCore
import SerinAPI

/// Contour (Flagger's `provider: contour`): the HTTPProxy `<svc>` (projectcontour.io/v1) with a
/// route to `<svc>-primary` and `<svc>-canary` by weight, each with the `l5d-dst-override`
/// request header Flagger sets, and for A/B a first route with the match's header conditions
/// (Flagger's pkg/router/contour.go). The user's root HTTPProxy includes it.
public struct ContourRouter: TrafficRouter {
    public init() {}

    public static let apiVersion = "projectcontour.io/v1"

    /// `service.match[0].uri.prefix`, else `/`.
    static func prefix(_ spec: CanarySpec) -> String {
        spec.service.match?[0]["uri"]["prefix"].stringValue ?? "/"
    }

    static func service(_ name: String, spec: CanarySpec, namespace: String, weight: Int) -> JSONValue {
        let port = spec.service.port
        return [
            "name": .string(name), "port": .int(Int64(port)), "weight": .int(Int64(weight)),
            "requestHeadersPolicy": ["set": [["name": "l5d-dst-override", "value": .string("\(name).\(namespace).svc.cluster.local:\(port)")]]],
        ]
    }

    static func route(_ spec: CanarySpec, names: CanaryNames, conditions: [JSONValue], primary: Int, canary: Int) -> JSONValue {
        var r: JSONValue = ["conditions": .array(conditions)]
        if let t = spec.service.timeout { r["timeoutPolicy"] = ["response": .string(t), "idle": "5m"] }
        if let retries = spec.service.retries, let attempts = retries["attempts"].intValue {
            var policy: JSONValue = ["count": .int(Int64(attempts))]
            if let per = retries["perTryTimeout"].stringValue { policy["perTryTimeout"] = .string(per) }
            r["retryPolicy"] = policy
        }
        r["services"] = [service(names.primaryService, spec: spec, namespace: names.namespace, weight: primary),
                         service(names.canaryService, spec: spec, namespace: names.namespace, weight: canary)]
        return r
    }

    /// Flagger's header conditions: `exact`, or `contains` for a prefix or suffix match.
    static func conditions(_ match: [JSONValue], prefix: String) -> [JSONValue] {
        match.flatMap { m in
            (m["headers"].objectValue ?? [:]).keys.sorted().map { name -> JSONValue in
                let cond = m["headers"][name]
                var header: JSONValue = ["name": .string(name)]
                if let v = cond["prefix"].stringValue ?? cond["suffix"].stringValue {
                    header["contains"] = .string(v)
                } else {
                    header["exact"] = .string(cond["exact"].stringValue ?? "")
                }
                return ["prefix": .string(prefix), "header": header]
            }
        }
    }
}

extension ContourRouter {
    public var families: [String] { [CanaryProviders.contour] }
    public var splitsTraffic: Bool { true }
    public var supportsMirroring: Bool { false }
    public var supportsMatch: Bool { true }
    public var writes: [ResourceType] { [.services, .httpProxies] }
    public var watches: [ResourceType] { [.services] }
    public var serviceRoles: [ServiceBuilder.Role] { [.apex, .primary, .canary] }

    public func routingObjects(spec: CanarySpec, names: CanaryNames, selector: SelectorLabel, weights: RouteWeights,
                               existing: [String: JSONValue], ownerReference: JSONValue?) -> [JSONValue] {
        var proxy = ObjectMerge.base(existing: existing["HTTPProxy/\(names.apexService)"], apiVersion: Self.apiVersion,
                                     kind: "HTTPProxy", name: names.apexService, namespace: names.namespace,
                                     ownerReference: ownerReference)
        let prefix = Self.prefix(spec)
        let main = Self.route(spec, names: names, conditions: [["prefix": .string(prefix)]],
                              primary: weights.primary, canary: weights.canary)
        var routes = [main]
        if weights.abMatch, let match = spec.analysis?.match?.arrayValue, !match.isEmpty {
            routes.insert(Self.route(spec, names: names, conditions: Self.conditions(match, prefix: prefix), primary: 0, canary: 100), at: 0)
        }
        proxy[path: ["spec", "routes"]] = .array(routes)
        return [proxy]
    }

    public func weightObject(names: CanaryNames) -> RouterObjectRef { RouterObjectRef(.httpProxies, names.apexService) }

    public func readWeights(names: CanaryNames, selector: SelectorLabel, object: JSONValue?) -> RouteWeights? {
        guard let routes = object?[path: ["spec", "routes"]].arrayValue, let main = routes.last else { return nil }
        var p: Int?, c = 0
        for s in main["services"].arrayValue ?? [] {
            if s["name"].stringValue == names.primaryService { p = s["weight"].intValue ?? 0 }
            if s["name"].stringValue == names.canaryService { c = s["weight"].intValue ?? 0 }
        }
        guard let primary = p else { return nil }
        let total = primary + c
        let share = total == 0 ? 0 : Int((Double(c) * 100 / Double(total)).rounded())
        var w = total == 0 ? RouteWeights(primary: 0, canary: 0) : RouteWeights(primary: 100 - share, canary: share)
        w.abMatch = routes.count > 1
        return w
    }

    public func cleanupObjects(names: CanaryNames) -> [RouterObjectRef] { [weightObject(names: names)] }

    // Argo Rollouts has no Contour router.
    public func rolloutObjects(_ routing: RolloutTrafficRouting, namespace: String) -> [RolloutRouteObject] { [] }
    public func rolloutRoute(_ existing: JSONValue, object: RolloutRouteObject, names: CanaryNames,
                             traffic: RolloutRouteSettings) throws(RolloutRoutingError) -> JSONValue { existing }
}
