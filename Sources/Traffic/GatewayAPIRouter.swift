import KubeCore
import SerinAPI

/// Gateway API: a gateway.networking.k8s.io/v1 HTTPRoute with weighted backendRefs to
/// `<svc>-primary` and `<svc>-canary`. Rules the user added to the route are kept.
public struct GatewayAPIRouter: TrafficRouter {
    public init() {}

    public static let apiVersion = "gateway.networking.k8s.io/v1"

    static func backend(_ name: String, port: Int, weight: Int) -> JSONValue {
        ["group": "", "kind": "Service", "name": .string(name), "port": .int(Int64(port)), "weight": .int(Int64(weight))]
    }

    static func isManaged(_ rule: JSONValue, _ names: CanaryNames) -> Bool {
        (rule["backendRefs"].arrayValue ?? []).contains {
            let n = $0["name"].stringValue
            return n == names.primaryService || n == names.canaryService
        }
    }

    static func isSerinMirror(_ filter: JSONValue, _ names: CanaryNames) -> Bool {
        filter["type"].stringValue == "RequestMirror"
            && filter[path: ["requestMirror", "backendRef", "name"]].stringValue == names.canaryService
    }

    /// The HTTPRoute for these weights, merged into `existing`: rules that do not point at the
    /// primary/canary Services are kept as they are, and so are the user's filters on Serin's rule.
    public static func httpRoute(spec: CanarySpec, names: CanaryNames, weights: RouteWeights,
                                 existing: JSONValue? = nil, ownerReference: JSONValue? = nil) -> JSONValue {
        let s = spec.service
        var route = ObjectMerge.base(existing: existing, apiVersion: apiVersion, kind: "HTTPRoute",
                                     name: names.apexService, namespace: names.namespace,
                                     labels: s.apex?.labels ?? [:], annotations: s.apex?.annotations ?? [:],
                                     ownerReference: ownerReference)
        if let refs = s.gatewayRefs, let json = try? JSONValue(encoding: refs) {
            route[path: ["spec", "parentRefs"]] = json
        }
        if let hosts = ObjectMerge.strings(s.hosts) { route[path: ["spec", "hostnames"]] = hosts }

        let oldRules = existing?[path: ["spec", "rules"]].arrayValue ?? []
        let oldMain = oldRules.last { isManaged($0, names) }
        let userFilters = (oldMain?["filters"].arrayValue ?? []).filter { !isSerinMirror($0, names) }

        var main: JSONValue = oldMain ?? .object([:])
        main["matches"] = s.match.map { .array(($0.arrayValue ?? []).map(httpRouteMatch)) } ?? .null
        main["backendRefs"] = [
            backend(names.primaryService, port: s.port, weight: weights.primary),
            backend(names.canaryService, port: s.port, weight: weights.canary),
        ]
        var filters = userFilters
        if let m = weights.mirror {
            filters.append([
                "type": "RequestMirror",
                "requestMirror": [
                    "backendRef": ["group": "", "kind": "Service", "name": .string(names.canaryService), "port": .int(Int64(s.port))],
                    "percent": .int(Int64(m)),
                ],
            ])
        }
        main["filters"] = filters.isEmpty ? .null : .array(filters)
        if let t = s.timeout { main[path: ["timeouts", "request"]] = .string(t) }

        var managed: [JSONValue] = []
        if weights.abMatch, let abMatches = spec.analysis?.match?.arrayValue, !abMatches.isEmpty {
            var ab: JSONValue = ["matches": .array(abMatches.map(httpRouteMatch))]
            ab["backendRefs"] = [backend(names.primaryService, port: s.port, weight: 0),
                                 backend(names.canaryService, port: s.port, weight: 100)]
            if !userFilters.isEmpty { ab["filters"] = .array(userFilters) }
            if let t = s.timeout { ab[path: ["timeouts", "request"]] = .string(t) }
            managed.append(ab)
        }
        managed.append(main)

        var rules: [JSONValue] = []
        var placed = false
        for r in oldRules {
            if isManaged(r, names) {
                if !placed { rules += managed; placed = true }
            } else {
                rules.append(r)
            }
        }
        if !placed { rules += managed }
        route[path: ["spec", "rules"]] = .array(rules)
        return route
    }

    /// An `HTTPRouteMatch` from a match written either in Gateway API form (kept) or in Flagger's
    /// Istio form (`headers: {x-canary: {exact: insider}}`, `uri: {prefix: /api}`).
    public static func httpRouteMatch(_ m: JSONValue) -> JSONValue {
        guard let o = m.objectValue else { return m }
        if o["headers"]?.arrayValue != nil || o["path"] != nil || o["queryParams"]?.arrayValue != nil { return m }
        var out: JSONValue = .object([:])
        func typed(_ cond: JSONValue) -> (String, String)? {
            if let v = cond["exact"].stringValue { return ("Exact", v) }
            if let v = cond["regex"].stringValue { return ("RegularExpression", v) }
            if let v = cond["prefix"].stringValue { return ("RegularExpression", "^" + escapeRegex(v) + ".*") }
            return nil
        }
        for (istioKey, gwKey) in [("headers", "headers"), ("queryParams", "queryParams")] {
            guard let table = o[istioKey]?.objectValue else { continue }
            let items: [JSONValue] = table.keys.sorted().compactMap { k in
                guard let (t, v) = typed(table[k]!) else { return nil }
                return ["name": .string(k), "type": .string(t), "value": .string(v)]
            }
            if !items.isEmpty { out[gwKey] = .array(items) }
        }
        if let uri = o["uri"] {
            if let v = uri["exact"].stringValue { out["path"] = ["type": "Exact", "value": .string(v)] }
            if let v = uri["prefix"].stringValue { out["path"] = ["type": "PathPrefix", "value": .string(v)] }
            if let v = uri["regex"].stringValue { out["path"] = ["type": "RegularExpression", "value": .string(v)] }
        }
        if let v = o["method"]?["exact"].stringValue { out["method"] = .string(v) }
        return out
    }

    static func escapeRegex(_ s: String) -> String {
        var out = ""
        for c in s {
            if "\\.^$|?*+()[]{}".contains(c) { out.append("\\") }
            out.append(c)
        }
        return out
    }

    /// The weights an HTTPRoute splits with (percentages; absent weights count 1 as the API says).
    public static func readWeights(httpRoute: JSONValue, names: CanaryNames) -> RouteWeights? {
        let managed = (httpRoute[path: ["spec", "rules"]].arrayValue ?? []).filter { isManaged($0, names) }
        guard let main = managed.last else { return nil }
        var p = 0, c = 0
        for b in main["backendRefs"].arrayValue ?? [] {
            let w = b["weight"].isNull ? 1 : (b["weight"].intValue ?? 0)
            if b["name"].stringValue == names.primaryService { p += w }
            if b["name"].stringValue == names.canaryService { c += w }
        }
        let total = p + c
        var w = total == 0 ? RouteWeights(primary: 0, canary: 0)
            : RouteWeights(primary: Int((Double(p) * 100 / Double(total)).rounded()),
                           canary: Int((Double(c) * 100 / Double(total)).rounded()))
        if let mirror = (main["filters"].arrayValue ?? []).first(where: { isSerinMirror($0, names) }) {
            w.mirror = mirror[path: ["requestMirror", "percent"]].intValue ?? 100
        }
        w.abMatch = managed.count > 1
        return w
    }
}

// MARK: - Rollouts

extension GatewayAPIRouter {
    /// Serin's managed rules carry this name prefix (HTTPRoute rule `name`).
    public static let managedRulePrefix = "serin-"

    /// `httpRoute` with the weights of every rule routing to both the stable and canary Services
    /// set, and a rule per header route in force (Serin's previous managed rules replaced).
    public static func rolloutRoute(_ httpRoute: JSONValue, names: CanaryNames, canaryWeight: Int, maxWeight: Int = 100,
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
                if refs[j]["name"].stringValue == names.primaryService { refs[j]["weight"] = .int(Int64(max(0, maxWeight - canaryWeight))) }
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

// MARK: - TrafficRouter

extension GatewayAPIRouter {
    public var families: [String] { [CanaryProviders.gatewayAPI] }
    public var splitsTraffic: Bool { true }
    public var supportsMirroring: Bool { true }
    public var supportsMatch: Bool { true }
    public var writes: [ResourceType] { [.services, .httpRoutes] }
    public var watches: [ResourceType] { [.services] }
    public var serviceRoles: [ServiceBuilder.Role] { [.apex, .primary, .canary] }

    public func routingObjects(spec: CanarySpec, names: CanaryNames, selector: SelectorLabel, weights: RouteWeights,
                               existing: [String: JSONValue], ownerReference: JSONValue?) -> [JSONValue] {
        [Self.httpRoute(spec: spec, names: names, weights: weights, existing: existing["HTTPRoute/\(names.apexService)"],
                        ownerReference: ownerReference)]
    }

    public func weightObject(names: CanaryNames) -> RouterObjectRef { RouterObjectRef(.httpRoutes, names.apexService) }

    public func readWeights(names: CanaryNames, selector: SelectorLabel, object: JSONValue?) -> RouteWeights? {
        guard let object, !object.isNull else { return nil }
        return Self.readWeights(httpRoute: object, names: names)
    }

    public func cleanupObjects(names: CanaryNames) -> [RouterObjectRef] { [RouterObjectRef(.httpRoutes, names.apexService)] }

    /// The HTTPRoutes of Argo's Gateway API plugin, in the plugin's namespace (default the Rollout's).
    public func rolloutObjects(_ routing: RolloutTrafficRouting, namespace: String) -> [RolloutRouteObject] {
        let ns = routing.gatewayNamespace ?? namespace
        return routing.gatewayHTTPRoutes.map { RolloutRouteObject(resource: .httpRoutes, namespace: ns, name: $0) }
    }

    public func rolloutRoute(_ existing: JSONValue, object: RolloutRouteObject, names: CanaryNames,
                             traffic: RolloutRouteSettings) throws(RolloutRoutingError) -> JSONValue {
        try Self.rolloutRoute(existing, names: names, canaryWeight: traffic.canaryWeight, maxWeight: traffic.maxWeight,
                              headerRoutes: traffic.headerRoutes)
    }
}
