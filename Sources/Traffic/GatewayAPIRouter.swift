import KubeCore
import SerinAPI

/// Gateway API: a gateway.networking.k8s.io/v1 HTTPRoute with weighted backendRefs to
/// `<svc>-primary` and `<svc>-canary`. Rules the user added to the route are kept.
public enum GatewayAPIRouter {
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
