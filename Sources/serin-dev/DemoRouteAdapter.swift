import KubeCore
import SerinAPI
import Synchronization

/// Makes HAProxy follow the HTTPRoute Serin writes: the weights of the backendRefs
/// `<svc>-primary` and `<svc>-canary` become the weights of HAProxy's servers `primary` and
/// `canary` (through the runtime API), as a Gateway API implementation would.
final class DemoRouteAdapter: Sendable {
    let routeName: String
    let runtime: HAProxyRuntime
    private let timeline: DemoTimeline
    private let state = Mutex<(applied: (Int, Int)?, canaryWeights: [Int])>((nil, []))

    init(routeName: String, runtime: HAProxyRuntime, timeline: DemoTimeline) {
        self.routeName = routeName
        self.runtime = runtime
        self.timeline = timeline
    }

    /// The weights last applied to HAProxy, (primary, canary).
    var applied: (primary: Int, canary: Int)? { state.withLock { $0.applied }.map { ($0.0, $0.1) } }

    /// Every canary weight applied to HAProxy, in order.
    var canaryWeights: [Int] { state.withLock { $0.canaryWeights } }

    /// (primary, canary) weights of the rule that routes to both Services; nil when there is none.
    static func weights(in route: JSONValue, primary: String, canary: String) -> (Int, Int)? {
        let rules = route[path: ["spec", "rules"]].arrayValue ?? []
        // Serin's main rule is the last one naming its Services (an A/B rule may precede it).
        for rule in rules.reversed() {
            let refs = rule["backendRefs"].arrayValue ?? []
            func weight(_ name: String) -> Int? {
                guard let ref = refs.first(where: { $0["name"].stringValue == name }) else { return nil }
                // Gateway API: a backendRef without weight has weight 1.
                return Int(ref["weight"].intValue ?? 1)
            }
            if let p = weight(primary), let c = weight(canary) { return (p, c) }
        }
        return nil
    }

    /// Gateway API weights are proportions of any size; HAProxy's are 0...256.
    static func haproxyWeights(_ w: (Int, Int)) -> (Int, Int) {
        let top = max(w.0, w.1)
        guard top > 256 else { return w }
        return (w.0 * 256 / top, w.1 * 256 / top)
    }

    func apply(_ route: JSONValue) async {
        guard route.name == routeName,
              let w = Self.weights(in: route, primary: routeName + "-primary", canary: routeName + "-canary")
        else { return }
        let target = Self.haproxyWeights(w)
        if let a = applied, a.primary == target.0, a.canary == target.1 { return }
        do {
            try await runtime.setWeights(primary: target.0, canary: target.1)
            let now = try await runtime.weights()
            state.withLock { s in
                s.applied = (now.primary, now.canary)
                s.canaryWeights.append(now.canary)
            }
            timeline.line("haproxy", "HTTPRoute \(routeName): primary \(w.0) / canary \(w.1) -> "
                + "haproxy servers primary \(now.primary) / canary \(now.canary)")
        } catch {
            timeline.line("haproxy", "could not apply weights \(w.0)/\(w.1): \(error)")
        }
    }

    func run(api: any KubeAPI, namespace: String) async {
        await DemoWatch.follow(api: api, .httpRoutes, namespace: namespace) { await self.apply($0) }
    }
}
