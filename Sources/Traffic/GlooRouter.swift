import KubeCore
import SerinAPI

/// Gloo Edge (Flagger's `provider: gloo`): the RouteTable `<svc>` (gateway.solo.io/v1) the user's
/// VirtualService delegates to, with one route whose `routeAction.multi.destinations` weigh the
/// Upstreams `<ns>-<svc>-primaryupstream-<port>` and `<ns>-<svc>-canaryupstream-<port>`
/// (gloo.solo.io/v1, `kube` pointing at `<svc>-primary` and `<svc>-canary`), which Serin creates
/// as Flagger's pkg/router/gloo.go does, their spec copied from `spec.upstreamRef` when set (TLS,
/// circuit breakers…). For A/B a first route matches `analysis.match` (headers, methods) and
/// sends it to the canary; the weighted route stays last.
public struct GlooRouter: TrafficRouter {
    public init() {}

    public static let routeTableAPIVersion = "gateway.solo.io/v1"
    public static let upstreamAPIVersion = "gloo.solo.io/v1"

    /// Flagger's Upstream names: `<ns>-<apex>-primaryupstream-<port>` and `-canaryupstream-`.
    public static func upstreamName(_ names: CanaryNames, canary: Bool, port: Int) -> String {
        "\(names.namespace)-\(names.apexService)-\(canary ? "canary" : "primary")upstream-\(port)"
    }

    static func destination(_ upstream: String, namespace: String, weight: Int) -> JSONValue {
        ["destination": ["upstream": ["name": .string(upstream), "namespace": .string(namespace)]], "weight": .int(Int64(weight))]
    }

    static func route(matchers: [JSONValue], primary: String, canary: String, namespace: String, weights: (Int, Int)) -> JSONValue {
        var r: JSONValue = [:]
        if !matchers.isEmpty { r["matchers"] = .array(matchers) }
        // The path comes from the VirtualService route that delegates here.
        r["inheritablePathMatchers"] = true
        r["routeAction"] = ["multi": ["destinations": [destination(primary, namespace: namespace, weight: weights.0),
                                                         destination(canary, namespace: namespace, weight: weights.1)]]]
        return r
    }

    /// One Gloo matcher per `analysis.match` entry (Gloo ORs a route's matchers): its headers
    /// (exact value, or regex) and its method.
    static func matchers(_ match: [JSONValue]) -> [JSONValue] {
        match.compactMap { m -> JSONValue? in
            var out: JSONValue = [:]
            let headers = (m["headers"].objectValue ?? [:]).keys.sorted().map { name -> JSONValue in
                let cond = m["headers"][name]
                if let re = cond["regex"].stringValue { return ["name": .string(name), "value": .string(re), "regex": true] }
                return ["name": .string(name), "value": .string(cond["exact"].stringValue ?? "")]
            }
            if !headers.isEmpty { out["headers"] = .array(headers) }
            if let method = m["method"]["exact"].stringValue { out["methods"] = [.string(method)] }
            return out.objectValue?.isEmpty == false ? out : nil
        }
    }

    /// An Upstream for `service`: the spec of `spec.upstreamRef` (else of the current Upstream) with `kube` set.
    static func upstream(_ name: String, service: String, spec: CanarySpec, names: CanaryNames,
                         existing: [String: JSONValue], ownerReference: JSONValue?) -> JSONValue {
        let current = existing["Upstream/\(name)"]
        var up = ObjectMerge.base(existing: current, apiVersion: upstreamAPIVersion, kind: "Upstream", name: name,
                                  namespace: names.namespace, ownerReference: ownerReference)
        let copied = spec.upstreamRef.flatMap { existing["Upstream/\($0.name)"] }?["spec"]
        var s = copied ?? current?["spec"] ?? [:]
        if s.isNull { s = [:] }
        s["kube"] = ["serviceName": .string(service), "serviceNamespace": .string(names.namespace),
                     "servicePort": .int(Int64(spec.service.port))]
        up["spec"] = s
        return up
    }
}

extension GlooRouter {
    public var families: [String] { [CanaryProviders.gloo] }
    public var splitsTraffic: Bool { true }
    public var supportsMirroring: Bool { false }
    public var supportsMatch: Bool { true }
    public var writes: [ResourceType] { [.services, .glooRouteTables, .glooUpstreams] }
    public var watches: [ResourceType] { [.services] }
    public var serviceRoles: [ServiceBuilder.Role] { [.apex, .primary, .canary] }

    public func sourceObjects(spec: CanarySpec, names: CanaryNames) -> [RouterObjectRef] {
        guard let ref = spec.upstreamRef else { return [] }
        return [RouterObjectRef(.glooUpstreams, ref.name, namespace: ref.namespace)]
    }

    public func routingProblem(spec: CanarySpec, names: CanaryNames, existing: [String: JSONValue]) -> String? {
        guard let ref = spec.upstreamRef, existing["Upstream/\(ref.name)"] == nil else { return nil }
        return "Upstream \(ref.name) (spec.upstreamRef) not found in namespace \(ref.namespace ?? names.namespace); create it or remove upstreamRef"
    }

    public func routingObjects(spec: CanarySpec, names: CanaryNames, selector: SelectorLabel, weights: RouteWeights,
                               existing: [String: JSONValue], ownerReference: JSONValue?) -> [JSONValue] {
        let port = spec.service.port, ns = names.namespace
        let primary = Self.upstreamName(names, canary: false, port: port)
        let canary = Self.upstreamName(names, canary: true, port: port)
        var table = ObjectMerge.base(existing: existing["RouteTable/\(names.apexService)"], apiVersion: Self.routeTableAPIVersion,
                                     kind: "RouteTable", name: names.apexService, namespace: ns, ownerReference: ownerReference)
        var routes = [Self.route(matchers: [], primary: primary, canary: canary, namespace: ns, weights: (weights.primary, weights.canary))]
        if weights.abMatch, let match = spec.analysis?.match?.arrayValue {
            let matchers = Self.matchers(match)
            if !matchers.isEmpty {
                routes.insert(Self.route(matchers: matchers, primary: primary, canary: canary, namespace: ns, weights: (0, 100)), at: 0)
            }
        }
        table[path: ["spec", "routes"]] = .array(routes)
        return [
            table,
            Self.upstream(primary, service: names.primaryService, spec: spec, names: names, existing: existing, ownerReference: ownerReference),
            Self.upstream(canary, service: names.canaryService, spec: spec, names: names, existing: existing, ownerReference: ownerReference),
        ]
    }

    public func weightObject(names: CanaryNames) -> RouterObjectRef { RouterObjectRef(.glooRouteTables, names.apexService) }

    public func readWeights(names: CanaryNames, selector: SelectorLabel, object: JSONValue?) -> RouteWeights? {
        guard let routes = object?[path: ["spec", "routes"]].arrayValue, let main = routes.last else { return nil }
        var p: Int?, c = 0
        for d in main[path: ["routeAction", "multi", "destinations"]].arrayValue ?? [] {
            let name = d[path: ["destination", "upstream", "name"]].stringValue ?? ""
            // The port is the Canary's, unknown here: the name up to it identifies the Upstream.
            if name.hasPrefix("\(names.namespace)-\(names.apexService)-primaryupstream-") { p = d["weight"].intValue ?? 0 }
            if name.hasPrefix("\(names.namespace)-\(names.apexService)-canaryupstream-") { c = d["weight"].intValue ?? 0 }
        }
        guard let primary = p else { return nil }
        let total = primary + c
        let share = total == 0 ? 0 : Int((Double(c) * 100 / Double(total)).rounded())
        var w = total == 0 ? RouteWeights(primary: 0, canary: 0) : RouteWeights(primary: 100 - share, canary: share)
        w.abMatch = routes.count > 1
        return w
    }

    public func cleanupObjects(names: CanaryNames) -> [RouterObjectRef] { [weightObject(names: names)] }
    public func cleanupObjects(spec: CanarySpec, names: CanaryNames) -> [RouterObjectRef] {
        let port = spec.service.port
        return [weightObject(names: names), RouterObjectRef(.glooUpstreams, Self.upstreamName(names, canary: false, port: port)),
                RouterObjectRef(.glooUpstreams, Self.upstreamName(names, canary: true, port: port))]
    }

    // Argo Rollouts has no Gloo router.
    public func rolloutObjects(_ routing: RolloutTrafficRouting, namespace: String) -> [RolloutRouteObject] { [] }
    public func rolloutRoute(_ existing: JSONValue, object: RolloutRouteObject, names: CanaryNames,
                             traffic: RolloutRouteSettings) throws(RolloutRoutingError) -> JSONValue { existing }
}
