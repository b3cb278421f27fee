import KubeCore
import SerinAPI

// Rollouts route through objects the user owns (Argo's model): an HTTPRoute or VirtualService
// that already sends traffic to the stable and canary Services. Serin sets the two weights and
// adds or removes its managed header and mirror routes; every other field is kept.

extension CanaryNames {
    /// Names for a Rollout's routing: `route` is the HTTPRoute or VirtualService, the primary
    /// role is the stable Service.
    public init(rollout: String, namespace: String, route: String, stableService: String, canaryService: String) {
        canaryName = rollout
        self.namespace = namespace
        target = rollout
        primary = rollout
        apexService = route
        primaryService = stableService
        self.canaryService = canaryService
    }
}

/// Why a router object cannot carry a Rollout's weights.
public struct RolloutRoutingError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Istio-style string match (`{exact: v}`) from Argo's StringMatch.
func istioStringMatch(_ m: RolloutStringMatch) -> JSONValue {
    if let v = m.exact { return ["exact": .string(v)] }
    if let v = m.regex { return ["regex": .string(v)] }
    if let v = m.prefix { return ["prefix": .string(v)] }
    return .object([:])
}

/// The Istio HTTPMatchRequests of a header route (one per header, all must match: one request).
func istioHeaderMatch(_ route: RolloutSetHeaderRoute) -> JSONValue {
    var headers: [String: JSONValue] = [:]
    for m in route.match ?? [] { headers[m.headerName] = istioStringMatch(m.headerValue) }
    return ["headers": .object(headers)]
}

/// The Istio HTTPMatchRequests of a mirror route.
func istioMirrorMatches(_ route: RolloutSetMirrorRoute) -> [JSONValue] {
    (route.match ?? []).map { m in
        var o: JSONValue = .object([:])
        if let v = m.method { o["method"] = istioStringMatch(v) }
        if let v = m.path { o["uri"] = istioStringMatch(v) }
        if let h = m.headers, !h.isEmpty { o["headers"] = .object(h.mapValues(istioStringMatch)) }
        return o
    }
}

extension GatewayAPIRouter {
    /// Serin's managed rules carry this name prefix (HTTPRoute rule `name`).
    public static let managedRulePrefix = "serin-"

    /// `httpRoute` with the weights of every rule routing to both the stable and canary Services
    /// set, and a rule per header route in force (Serin's previous managed rules replaced).
    public static func rolloutRoute(_ httpRoute: JSONValue, names: CanaryNames, canaryWeight: Int,
                                    headerRoutes: [RolloutSetHeaderRoute] = []) throws(RolloutRoutingError) -> JSONValue {
        var route = httpRoute
        var rules = (route[path: ["spec", "rules"]].arrayValue ?? []).filter {
            !($0["name"].stringValue ?? "").hasPrefix(managedRulePrefix)
        }
        var found = false
        for i in rules.indices where isManaged(rules[i], names) {
            var refs = rules[i]["backendRefs"].arrayValue ?? []
            let hasBoth = refs.contains { $0["name"].stringValue == names.primaryService }
                && refs.contains { $0["name"].stringValue == names.canaryService }
            guard hasBoth else { continue }
            found = true
            for j in refs.indices {
                if refs[j]["name"].stringValue == names.primaryService { refs[j]["weight"] = .int(Int64(100 - canaryWeight)) }
                if refs[j]["name"].stringValue == names.canaryService { refs[j]["weight"] = .int(Int64(canaryWeight)) }
            }
            rules[i]["backendRefs"] = .array(refs)
        }
        guard found else {
            throw RolloutRoutingError("HTTPRoute \(names.apexService) has no rule with backendRefs to both \(names.primaryService) and \(names.canaryService); add one (Serin sets their weights)")
        }
        let template = rules.first { isManaged($0, names) }
        let canaryRef = template?["backendRefs"].arrayValue?.first { $0["name"].stringValue == names.canaryService }
        var managed: [JSONValue] = []
        for h in headerRoutes {
            var ref = canaryRef ?? ["group": "", "kind": "Service", "name": .string(names.canaryService)]
            ref["weight"] = 100
            var rule: JSONValue = ["name": .string(managedRulePrefix + h.name), "backendRefs": [ref]]
            rule["matches"] = [httpRouteMatch(istioHeaderMatch(h))]
            managed.append(rule)
        }
        route[path: ["spec", "rules"]] = .array(managed + rules)
        return route
    }
}

extension IstioRouter {
    static func isHost(_ host: String?, _ service: String, namespace: String) -> Bool {
        guard let host else { return false }
        return host == service || host == "\(service).\(namespace)" || host.hasPrefix("\(service).\(namespace).svc")
    }

    /// `virtualService` with the weights of the named HTTP routes (all routes when `routes` is
    /// empty) set on their stable and canary destinations, and Serin's header and mirror routes
    /// (named after the managed route) in front of them.
    public static func rolloutRoute(_ virtualService: JSONValue, names: CanaryNames, routes: [String], canaryWeight: Int,
                                    headerRoutes: [RolloutSetHeaderRoute] = [], mirrorRoutes: [RolloutSetMirrorRoute] = [],
                                    managedRoutes: [String] = []) throws(RolloutRoutingError) -> JSONValue {
        var vs = virtualService
        let ns = names.namespace
        var http = (vs[path: ["spec", "http"]].arrayValue ?? []).filter {
            !managedRoutes.contains($0["name"].stringValue ?? "")
        }
        var found = false
        for i in http.indices {
            let routeName = http[i]["name"].stringValue ?? ""
            if !routes.isEmpty, !routes.contains(routeName) { continue }
            var dests = http[i]["route"].arrayValue ?? []
            let hasStable = dests.contains { isHost($0[path: ["destination", "host"]].stringValue, names.primaryService, namespace: ns) }
            let hasCanary = dests.contains { isHost($0[path: ["destination", "host"]].stringValue, names.canaryService, namespace: ns) }
            guard hasStable && hasCanary else { continue }
            found = true
            for j in dests.indices {
                let host = dests[j][path: ["destination", "host"]].stringValue
                if isHost(host, names.primaryService, namespace: ns) { dests[j]["weight"] = .int(Int64(100 - canaryWeight)) }
                if isHost(host, names.canaryService, namespace: ns) { dests[j]["weight"] = .int(Int64(canaryWeight)) }
            }
            http[i]["route"] = .array(dests)
        }
        guard found else {
            let which = routes.isEmpty ? "no HTTP route" : "no HTTP route named \(routes.joined(separator: ", "))"
            throw RolloutRoutingError("VirtualService \(names.apexService) has \(which) with destinations \(names.primaryService) and \(names.canaryService); add one (Serin sets their weights)")
        }
        let template = http.first { r in (r["route"].arrayValue ?? []).contains {
            isHost($0[path: ["destination", "host"]].stringValue, names.canaryService, namespace: ns) } }
        func destination(_ service: String) -> JSONValue {
            let d = template?["route"].arrayValue?.first { isHost($0[path: ["destination", "host"]].stringValue, service, namespace: ns) }
            var dest = d?["destination"] ?? ["host": .string(service)]
            dest["subset"] = .null
            return dest
        }
        var managed: [JSONValue] = []
        for h in headerRoutes {
            managed.append(["name": .string(h.name), "match": [istioHeaderMatch(h)],
                            "route": [["destination": destination(names.canaryService), "weight": 100]]])
        }
        for m in mirrorRoutes {
            var r: JSONValue = ["name": .string(m.name),
                                "route": [["destination": destination(names.primaryService), "weight": 100]],
                                "mirror": destination(names.canaryService)]
            let matches = istioMirrorMatches(m)
            if !matches.isEmpty { r["match"] = .array(matches) }
            if let p = m.percentage { r["mirrorPercentage"] = ["value": .double(Double(p))] }
            managed.append(r)
        }
        vs[path: ["spec", "http"]] = .array(managed + http)
        return vs
    }
}
