import KubeCore
import SerinAPI

/// Apache APISIX (ApisixRoute, apisix.apache.org/v2): weighted `backends` of an HTTP route.
///
/// Flagger (`provider: apisix`): the user's ApisixRoute named by `spec.routeRef` is read, never
/// written; Serin writes `<routeRef>-<svc>-canary`, a copy holding only the HTTP route whose one
/// backend is the apex Service, at priority 10000, its backend switched to `<svc>-primary` and a
/// `<svc>-canary` backend added beside it, with the weights (Flagger's pkg/router/apisix.go).
/// Argo (`trafficRouting.apisix.route`): the weights of the stableService and canaryService
/// backends of the named rules (default: the rule named as the route) in the user's ApisixRoute;
/// a setHeaderRoute is an ApisixRoute named after the managed route, a copy of the user's with
/// the canary backend alone, priority one higher and the header `match.exprs`, removed when the
/// route is no longer in force (Argo's rollout/trafficrouting/apisix).
public struct APISIXRouter: TrafficRouter {
    public init() {}

    public static let apiVersion = "apisix.apache.org/v2"
    /// Flagger's priority for the canary route, above the user's routes.
    public static let canaryPriority = 10_000

    /// Flagger's name of the canary ApisixRoute: `<routeRef.name>-<apex>-canary`.
    public static func canaryRouteName(_ spec: CanarySpec) -> String {
        "\(spec.routeRef?.name ?? "")-\(spec.apexServiceName)-canary"
    }

    /// The index of the first HTTP route with a backend named `service`.
    static func routeIndex(_ http: [JSONValue], backend service: String) -> Int? {
        http.firstIndex { r in (r["backends"].arrayValue ?? []).contains { $0["serviceName"].stringValue == service } }
    }

    /// `source` as a new object named `name`: server-set metadata, owners and status dropped.
    static func copy(_ source: JSONValue, name: String) -> JSONValue {
        var obj = source
        for k in ObjectMerge.serverMetadata { obj[path: ["metadata", k]] = .null }
        obj["status"] = .null
        obj[path: ["metadata", "name"]] = .string(name)
        return obj
    }
}

// MARK: - Canaries (Flagger)

extension APISIXRouter {
    public var families: [String] { [CanaryProviders.apisix] }
    public var splitsTraffic: Bool { true }
    public var supportsMirroring: Bool { false }
    public var supportsMatch: Bool { false }
    public var writes: [ResourceType] { [.services, .apisixRoutes] }
    public var watches: [ResourceType] { [.services] }
    public var serviceRoles: [ServiceBuilder.Role] { [.apex, .primary, .canary] }

    public func sourceObjects(spec: CanarySpec, names: CanaryNames) -> [RouterObjectRef] {
        spec.routeRef.map { [RouterObjectRef(.apisixRoutes, $0.name)] } ?? []
    }

    public func routingProblem(spec: CanarySpec, names: CanaryNames, existing: [String: JSONValue]) -> String? {
        guard let ref = spec.routeRef, !ref.name.isEmpty else {
            return "spec.routeRef is required by provider apisix; name the ApisixRoute that routes to Service \(names.apexService)"
        }
        guard let source = existing["ApisixRoute/\(ref.name)"] else {
            return "ApisixRoute \(ref.name) (spec.routeRef) not found in namespace \(names.namespace); create it, routing to Service \(names.apexService)"
        }
        let http = source[path: ["spec", "http"]].arrayValue ?? []
        guard let i = Self.routeIndex(http, backend: names.apexService) else {
            return "ApisixRoute \(ref.name) (spec.routeRef) has no http route with backend \(names.apexService); route one to it"
        }
        if (http[i]["backends"].arrayValue ?? []).count != 1 {
            return "ApisixRoute \(ref.name) (spec.routeRef): http route \(http[i]["name"].stringValue ?? "\(i)") must have one backend, \(names.apexService), as Flagger requires"
        }
        return nil
    }

    public func routingObjects(spec: CanarySpec, names: CanaryNames, selector: SelectorLabel, weights: RouteWeights,
                               existing: [String: JSONValue], ownerReference: JSONValue?) -> [JSONValue] {
        let name = Self.canaryRouteName(spec)
        let current = existing["ApisixRoute/\(name)"]
        let source = spec.routeRef.flatMap { existing["ApisixRoute/\($0.name)"] }
        // Labels and annotations come from the user's route when Serin creates the copy (as Flagger).
        var obj = ObjectMerge.base(existing: current, apiVersion: Self.apiVersion, kind: "ApisixRoute", name: name,
                                   namespace: names.namespace, labels: current == nil ? source?.labels ?? [:] : [:],
                                   annotations: current == nil ? source?.annotations ?? [:] : [:], ownerReference: ownerReference)
        guard let source else { return [obj] }
        for (k, v) in source["spec"].objectValue ?? [:] where k != "http" { obj[path: ["spec", k]] = v }
        let http = source[path: ["spec", "http"]].arrayValue ?? []
        guard let i = Self.routeIndex(http, backend: names.apexService) else { return [obj] }
        var route = http[i]
        route["priority"] = .int(Int64(Self.canaryPriority))
        var primary = route["backends"][0]
        primary["serviceName"] = .string(names.primaryService)
        primary["weight"] = .int(Int64(weights.primary))
        var canary: JSONValue = ["serviceName": .string(names.canaryService), "weight": .int(Int64(weights.canary))]
        for k in ["servicePort", "resolveGranularity", "subset"] where !primary[k].isNull { canary[k] = primary[k] }
        route["backends"] = [primary, canary]
        obj[path: ["spec", "http"]] = [route]
        return [obj]
    }

    public func weightObject(names: CanaryNames) -> RouterObjectRef { RouterObjectRef(.apisixRoutes, "-\(names.apexService)-canary") }
    public func weightObject(spec: CanarySpec, names: CanaryNames) -> RouterObjectRef {
        RouterObjectRef(.apisixRoutes, Self.canaryRouteName(spec))
    }

    public func readWeights(names: CanaryNames, selector: SelectorLabel, object: JSONValue?) -> RouteWeights? {
        guard let object, !object.isNull else { return nil }
        return Self.readWeights(route: object, primary: names.primaryService, canary: names.canaryService)
    }

    /// The split of the HTTP route of `route` with a `primary` backend; nil when none has one.
    public static func readWeights(route: JSONValue, primary: String, canary: String) -> RouteWeights? {
        let http = route[path: ["spec", "http"]].arrayValue ?? []
        guard let i = routeIndex(http, backend: primary) else { return nil }
        var p = 0, c = 0
        for b in http[i]["backends"].arrayValue ?? [] {
            // APISIX's default weight is 100.
            if b["serviceName"].stringValue == primary { p = b["weight"].intValue ?? 100 }
            if b["serviceName"].stringValue == canary { c = b["weight"].intValue ?? 100 }
        }
        guard p + c > 0 else { return RouteWeights(primary: 0, canary: 0) }
        let share = Int((Double(c) * 100 / Double(p + c)).rounded())
        return RouteWeights(primary: 100 - share, canary: share)
    }

    public func cleanupObjects(names: CanaryNames) -> [RouterObjectRef] { [weightObject(names: names)] }
    public func cleanupObjects(spec: CanarySpec, names: CanaryNames) -> [RouterObjectRef] { [weightObject(spec: spec, names: names)] }
}

// MARK: - Rollouts (Argo)

extension APISIXRouter {
    /// The rules of Argo's `apisix.route` (default: one named as the route).
    static func rules(_ routing: RolloutTrafficRouting) -> [String] {
        let route = routing.apisix?["route"] ?? .null
        let rules = (route["rules"].arrayValue ?? []).compactMap(\.stringValue)
        return rules.isEmpty ? [route["name"].stringValue ?? ""] : rules
    }

    public func rolloutObjects(_ routing: RolloutTrafficRouting, namespace: String) -> [RolloutRouteObject] {
        guard let name = routing.apisix?["route"]["name"].stringValue, !name.isEmpty else { return [] }
        return [RolloutRouteObject(resource: .apisixRoutes, namespace: namespace, name: name, routes: Self.rules(routing))]
    }

    /// `http` with the backend weights of every rule of `rules` set: `stable` and `canary`
    /// (nil: the stable backend removed, as in a header route).
    static func weighted(_ http: [JSONValue], rules: [String], route: String, names: CanaryNames,
                         stable: Int?, canary: Int) throws(RolloutRoutingError) -> [JSONValue] {
        var out = http
        for rule in rules {
            guard let i = out.firstIndex(where: { $0["name"].stringValue == rule }) else {
                throw RolloutRoutingError("ApisixRoute \(route) has no http rule \(rule); name one of its spec.http rules in trafficRouting.apisix.route.rules")
            }
            var backends = out[i]["backends"].arrayValue ?? []
            let has = { (svc: String) in backends.contains { $0["serviceName"].stringValue == svc } }
            guard has(names.primaryService) || stable == nil, has(names.canaryService) else {
                throw RolloutRoutingError("ApisixRoute \(route) rule \(rule) needs backends \(names.primaryService) and \(names.canaryService); list both under backends")
            }
            if stable == nil { backends.removeAll { $0["serviceName"].stringValue == names.primaryService } }
            for j in backends.indices {
                let svc = backends[j]["serviceName"].stringValue
                if svc == names.canaryService { backends[j]["weight"] = .int(Int64(canary)) }
                if svc == names.primaryService, let stable { backends[j]["weight"] = .int(Int64(stable)) }
            }
            out[i]["backends"] = .array(backends)
        }
        return out
    }

    public func rolloutRoute(_ existing: JSONValue, object: RolloutRouteObject, names: CanaryNames,
                             traffic: RolloutRouteSettings) throws(RolloutRoutingError) -> JSONValue {
        guard let http = existing[path: ["spec", "http"]].arrayValue else {
            throw RolloutRoutingError("ApisixRoute \(object.name) has no spec.http; add the http rule that routes to \(names.primaryService) and \(names.canaryService)")
        }
        var route = existing
        route[path: ["spec", "http"]] = .array(try Self.weighted(http, rules: object.routes, route: object.name, names: names,
                                                                   stable: traffic.stableWeight, canary: traffic.canaryWeight))
        return route
    }

    /// One ApisixRoute per managed route (Argo names the header route's copy after it).
    public func rolloutDerivedObjects(_ object: RolloutRouteObject, routing: RolloutTrafficRouting,
                                      rollout: String) -> [RolloutRouteObject] {
        guard object.resource == .apisixRoutes else { return [] }
        return (routing.managedRoutes ?? []).map {
            RolloutRouteObject(resource: .apisixRoutes, namespace: object.namespace, name: $0.name, routes: object.routes)
        }
    }

    /// APISIX's expressions for one header match (Argo's: a prefix becomes `^prefix.*`).
    static func exprs(_ m: RolloutHeaderRoutingMatch) -> [JSONValue] {
        let subject: JSONValue = ["scope": "Header", "name": .string(m.headerName)]
        var out: [JSONValue] = []
        if let v = m.headerValue.exact { out.append(["subject": subject, "op": "Equal", "value": .string(v)]) }
        if let v = m.headerValue.regex { out.append(["subject": subject, "op": "RegexMatch", "value": .string(v)]) }
        if let v = m.headerValue.prefix { out.append(["subject": subject, "op": "RegexMatch", "value": .string("^\(v).*")]) }
        return out
    }

    /// The header route's ApisixRoute, or null (removed) when the route is not in force.
    public func rolloutDerived(_ derived: RolloutRouteObject, source: JSONValue?, existing: JSONValue?, routing: RolloutTrafficRouting,
                               names: CanaryNames, traffic: RolloutRouteSettings,
                               owner: JSONValue) throws(RolloutRoutingError) -> JSONValue {
        guard let header = traffic.headerRoutes.first(where: { $0.name == derived.name }), !(header.match ?? []).isEmpty else {
            return .null
        }
        try RolloutOwnership.check(existing, owner: owner, what: "ApisixRoute \(derived.name)", rollout: names.canaryName,
                                   role: "the header route \(derived.name)")
        guard let source else { throw RolloutRoutingError("ApisixRoute \(derived.name): the route it is copied from is missing") }
        var obj = Self.copy(source, name: derived.name)
        if let existing { obj["metadata"] = existing["metadata"] }
        obj = ObjectMerge.withOwner(obj, owner)
        var http = try Self.weighted(source[path: ["spec", "http"]].arrayValue ?? [], rules: derived.routes, route: source.name ?? "",
                                     names: names, stable: nil, canary: 100)
        let exprs = (header.match ?? []).flatMap(Self.exprs)
        for i in http.indices where derived.routes.contains(http[i]["name"].stringValue ?? "") {
            http[i]["priority"] = .int(Int64((http[i]["priority"].intValue ?? 0) + 1))
            http[i][path: ["match", "exprs"]] = .array(exprs)
        }
        obj[path: ["spec", "http"]] = .array(http)
        return obj
    }
}
