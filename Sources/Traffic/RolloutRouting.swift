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

/// Objects a Rollout's router creates are the Rollout's: one that exists already and is not
/// (someone else's object of that name) is refused rather than taken over, as Argo does.
enum RolloutOwnership {
    static func check(_ existing: JSONValue?, owner: JSONValue, what: String, rollout: String,
                      role: String) throws(RolloutRoutingError) {
        guard let existing else { return }
        if !existing.ownerReferences.contains(where: { $0["uid"] == owner["uid"] }) {
            throw RolloutRoutingError("\(what) exists and is not owned by Rollout \(rollout); delete or rename it (Serin creates it as \(role))")
        }
    }
}
