import KubeCore
import SerinAPI

// Rollouts through Istio (Argo's rollout/trafficrouting/istio): the user's VirtualServices carry
// the weights of their HTTP routes (by name), TLS routes (by port and SNI hosts) and TCP routes
// (by port); with a `destinationRule` the routes weigh two subsets of one host (subset-level
// splitting) and Serin labels the subsets with the ReplicaSets' pod-template hashes.

/// Which destinations of a route are the stable and which the canary side.
public struct IstioRolloutSides: Sendable, Hashable {
    public var stableHost: String
    public var canaryHost: String
    public var namespace: String
    /// Subset-level splitting: the subset names (a destination of either subset is that side, whatever its host).
    public var stableSubset: String?
    public var canarySubset: String?

    public init(names: CanaryNames, destinationRule: RolloutIstioDestinationRule? = nil) {
        stableHost = names.primaryService
        canaryHost = names.canaryService
        namespace = names.namespace
        stableSubset = destinationRule?.stableSubsetName
        canarySubset = destinationRule?.canarySubsetName
    }

    func isSide(_ route: JSONValue, host: String, subset: String?) -> Bool {
        let d = route["destination"]
        if let subset, let s = d["subset"].stringValue, !s.isEmpty { return s == subset }
        return !host.isEmpty && IstioRouter.isHost(d["host"].stringValue, host, namespace: namespace)
    }
    func isStable(_ route: JSONValue) -> Bool { isSide(route, host: stableHost, subset: stableSubset) }
    func isCanary(_ route: JSONValue) -> Bool { isSide(route, host: canaryHost, subset: canarySubset) }

    /// Whether `route` (an HTTP, TLS or TCP route) sends to both sides.
    func splits(_ route: JSONValue) -> Bool {
        let dests = route["route"].arrayValue ?? []
        return dests.contains(where: isStable) && dests.contains(where: isCanary)
    }

    /// `route` with the two sides' weights set (other destinations kept as they are).
    func weighted(_ route: JSONValue, canary: Int, stable: Int) -> JSONValue {
        var dests = route["route"].arrayValue ?? []
        for j in dests.indices {
            if isCanary(dests[j]) { dests[j]["weight"] = .int(Int64(canary)) } else if isStable(dests[j]) { dests[j]["weight"] = .int(Int64(stable)) }
        }
        var out = route
        out["route"] = .array(dests)
        return out
    }
}

extension IstioRouter {
    static func isHost(_ host: String?, _ service: String, namespace: String) -> Bool {
        guard let host else { return false }
        return host == service || host == "\(service).\(namespace)" || host.hasPrefix("\(service).\(namespace).svc")
    }

    /// Istio's weights of one route must total 100: the canary's share of `maxWeight` as a percentage.
    static func percentages(canaryWeight: Int, maxWeight: Int) -> (canary: Int, stable: Int) {
        let total = max(1, maxWeight)
        let canary = min(100, max(0, Int((Double(canaryWeight) * 100 / Double(total)).rounded())))
        return (canary, 100 - canary)
    }

    /// Whether a VirtualService TLS route matches Argo's `tlsRoutes` entry: one of its matches has
    /// the port (when given) and every SNI host listed (when given).
    static func matches(_ route: JSONValue, tls: RolloutIstioTLSRoute) -> Bool {
        (route["match"].arrayValue ?? []).contains { m in
            let portOK = tls.port.map { $0 == 0 || m["port"].intValue == $0 } ?? true
            let sni = Set((m["sniHosts"].arrayValue ?? []).compactMap(\.stringValue))
            return portOK && (tls.sniHosts ?? []).allSatisfy(sni.contains)
        }
    }

    /// Whether a VirtualService TCP route matches Argo's `tcpRoutes` entry (by port; any when not given).
    static func matches(_ route: JSONValue, tcp: RolloutIstioTCPRoute) -> Bool {
        guard let port = tcp.port, port != 0 else { return true }
        return (route["match"].arrayValue ?? []).contains { $0["port"].intValue == port }
    }

    /// `virtualService` with the weights of the named HTTP routes (all that split when `routes` is
    /// empty), of the TLS and TCP routes Argo's `tlsRoutes`/`tcpRoutes` select, and Serin's header
    /// and mirror routes (named after the managed route) in front of the HTTP routes.
    public static func rolloutRoute(_ virtualService: JSONValue, names: CanaryNames, routes: [String], canaryWeight: Int,
                                    headerRoutes: [RolloutSetHeaderRoute] = [], mirrorRoutes: [RolloutSetMirrorRoute] = [],
                                    managedRoutes: [String] = [], tlsRoutes: [RolloutIstioTLSRoute] = [],
                                    tcpRoutes: [RolloutIstioTCPRoute] = [], destinationRule: RolloutIstioDestinationRule? = nil,
                                    maxWeight: Int = 100) throws(RolloutRoutingError) -> JSONValue {
        var vs = virtualService
        let sides = IstioRolloutSides(names: names, destinationRule: destinationRule)
        let (canary, stable) = percentages(canaryWeight: canaryWeight, maxWeight: maxWeight)
        let what = destinationRule.map { "subsets \($0.stableSubsetName) and \($0.canarySubsetName)" }
            ?? "destinations \(names.primaryService) and \(names.canaryService)"

        var http = (vs[path: ["spec", "http"]].arrayValue ?? []).filter {
            !managedRoutes.contains($0["name"].stringValue ?? "")
        }
        var foundHTTP = false
        for i in http.indices {
            if !routes.isEmpty, !routes.contains(http[i]["name"].stringValue ?? "") { continue }
            guard sides.splits(http[i]) else { continue }
            foundHTTP = true
            http[i] = sides.weighted(http[i], canary: canary, stable: stable)
        }
        // As Argo: a VirtualService split only by its TLS or TCP routes needs no HTTP route.
        let httpNeeded = !routes.isEmpty || (tlsRoutes.isEmpty && tcpRoutes.isEmpty)
        if httpNeeded, !foundHTTP {
            let which = routes.isEmpty ? "no HTTP route" : "no HTTP route named \(routes.joined(separator: ", "))"
            throw RolloutRoutingError("VirtualService \(names.apexService) has \(which) with \(what); add one (Serin sets their weights)")
        }

        var tls = vs[path: ["spec", "tls"]].arrayValue ?? []
        for (n, want) in tlsRoutes.enumerated() {
            let hits = tls.indices.filter { matches(tls[$0], tls: want) && sides.splits(tls[$0]) }
            guard !hits.isEmpty else {
                throw RolloutRoutingError("VirtualService \(names.apexService) has no TLS route matching tlsRoutes[\(n)] (port \(want.port.map(String.init) ?? "any"), sniHosts \((want.sniHosts ?? []).joined(separator: ", "))) with \(what); add one or correct tlsRoutes")
            }
            for i in hits { tls[i] = sides.weighted(tls[i], canary: canary, stable: stable) }
        }
        if !tlsRoutes.isEmpty { vs[path: ["spec", "tls"]] = .array(tls) }

        var tcp = vs[path: ["spec", "tcp"]].arrayValue ?? []
        for (n, want) in tcpRoutes.enumerated() {
            let hits = tcp.indices.filter { matches(tcp[$0], tcp: want) && sides.splits(tcp[$0]) }
            guard !hits.isEmpty else {
                throw RolloutRoutingError("VirtualService \(names.apexService) has no TCP route matching tcpRoutes[\(n)] (port \(want.port.map(String.init) ?? "any")) with \(what); add one or correct tcpRoutes")
            }
            for i in hits { tcp[i] = sides.weighted(tcp[i], canary: canary, stable: stable) }
        }
        if !tcpRoutes.isEmpty { vs[path: ["spec", "tcp"]] = .array(tcp) }

        // Managed routes send to the canary (or mirror to it) with the destination the split route uses.
        let template = http.first { (($0["route"].arrayValue ?? []).contains(where: sides.isCanary)) }
        func destination(canarySide: Bool) -> JSONValue {
            let d = template?["route"].arrayValue?.first { canarySide ? sides.isCanary($0) : sides.isStable($0) }
            var dest = d?["destination"] ?? ["host": .string(canarySide ? names.canaryService : names.primaryService)]
            dest["subset"] = (canarySide ? sides.canarySubset : sides.stableSubset).map(JSONValue.string) ?? .null
            return dest
        }
        var managed: [JSONValue] = []
        for h in headerRoutes {
            managed.append(["name": .string(h.name), "match": [istioHeaderMatch(h)],
                            "route": [["destination": destination(canarySide: true), "weight": 100]]])
        }
        for m in mirrorRoutes {
            var r: JSONValue = ["name": .string(m.name),
                                "route": [["destination": destination(canarySide: false), "weight": 100]],
                                "mirror": destination(canarySide: true)]
            let matches = istioMirrorMatches(m)
            if !matches.isEmpty { r["match"] = .array(matches) }
            if let p = m.percentage { r["mirrorPercentage"] = ["value": .double(Double(p))] }
            managed.append(r)
        }
        if vs[path: ["spec", "http"]] != .null || !managed.isEmpty { vs[path: ["spec", "http"]] = .array(managed + http) }
        return vs
    }

    /// Argo's bookkeeping annotation on a DestinationRule whose subsets a Rollout labels.
    public static let managedByRolloutsAnnotation = "argo-rollouts.argoproj.io/managed-by-rollouts"

    /// `destinationRule` with the canary and stable subsets labelled with the pods' hashes (a nil
    /// hash removes the label); every other field, and every other subset, kept.
    public static func rolloutDestinationRule(_ destinationRule: JSONValue, rule: RolloutIstioDestinationRule, rollout: String,
                                              canaryHash: String?, stableHash: String?) throws(RolloutRoutingError) -> JSONValue {
        var dr = destinationRule
        var subsets = dr[path: ["spec", "subsets"]].arrayValue ?? []
        for (subset, hash) in [(rule.canarySubsetName, canaryHash), (rule.stableSubsetName, stableHash)] {
            guard let i = subsets.firstIndex(where: { $0["name"].stringValue == subset }) else {
                throw RolloutRoutingError("DestinationRule \(rule.name) has no subset named \(subset); add subsets \(rule.stableSubsetName) and \(rule.canarySubsetName) (Serin sets their \(RolloutLabels.podTemplateHash) label)")
            }
            subsets[i][path: ["labels", RolloutLabels.podTemplateHash]] = hash.map(JSONValue.string) ?? .null
        }
        dr[path: ["spec", "subsets"]] = .array(subsets)
        dr[path: ["metadata", "annotations", managedByRolloutsAnnotation]] = .string(rollout)
        return dr
    }
}

extension IstioRouter {
    /// The objects of `trafficRouting.istio`: the DestinationRule first (its subsets must select
    /// the right pods before weights move to them), then each VirtualService.
    public func rolloutObjects(_ routing: RolloutTrafficRouting, namespace: String) -> [RolloutRouteObject] {
        guard let istio = routing.istio else { return [] }
        var out: [RolloutRouteObject] = []
        let rule = istio.destinationRule.flatMap { try? JSONValue(encoding: $0) } ?? .null
        if let dr = istio.destinationRule {
            out.append(RolloutRouteObject(resource: .destinationRules, namespace: namespace, name: dr.name, config: rule))
        }
        for vs in routing.istioVirtualServices {
            let cfg: JSONValue = ["virtualService": (try? JSONValue(encoding: vs)) ?? .null, "destinationRule": rule]
            out.append(RolloutRouteObject(resource: .virtualServices, namespace: namespace, name: vs.name,
                                          routes: vs.routes ?? [], config: cfg))
        }
        return out
    }

    public func rolloutRoute(_ existing: JSONValue, object: RolloutRouteObject, names: CanaryNames,
                             traffic: RolloutRouteSettings) throws(RolloutRoutingError) -> JSONValue {
        if object.resource == .destinationRules {
            guard let rule = try? object.config.decode(as: RolloutIstioDestinationRule.self) else {
                throw RolloutRoutingError("trafficRouting.istio.destinationRule needs name, canarySubsetName and stableSubsetName")
            }
            return try Self.rolloutDestinationRule(existing, rule: rule, rollout: names.canaryName,
                                                   canaryHash: traffic.canaryPodHash, stableHash: traffic.stablePodHash)
        }
        let vs = try? object.config["virtualService"].decode(as: RolloutIstioVirtualService.self)
        let rule = try? object.config["destinationRule"].decode(as: RolloutIstioDestinationRule.self)
        return try Self.rolloutRoute(existing, names: names, routes: object.routes, canaryWeight: traffic.canaryWeight,
                                     headerRoutes: traffic.headerRoutes, mirrorRoutes: traffic.mirrorRoutes,
                                     managedRoutes: traffic.managedRoutes, tlsRoutes: vs?.tlsRoutes ?? [],
                                     tcpRoutes: vs?.tcpRoutes ?? [], destinationRule: rule, maxWeight: traffic.maxWeight)
    }
}
