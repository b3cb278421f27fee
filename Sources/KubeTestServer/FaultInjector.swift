import Synchronization

/// Faults on demand for reliability tests: failed or delayed requests, dropped watches,
/// forgotten history; and counters of the requests the server answered.
public final class FaultInjector: Sendable {
    struct Rule: Sendable {
        var remaining: Int
        var status: Int?
        var delay: Duration?
        var verb: String?
        var resource: String?
        var retryAfterSeconds: Int?

        func matches(verb v: String, resource r: String) -> Bool {
            (verb == nil || verb == v) && (resource == nil || resource == r)
        }
    }

    struct State: Sendable {
        var rules: [Rule] = []
        var randomFraction: Double = 0
        var randomStatus: Int = 500
        var counts: [String: [String: Int]] = [:]
        var dropTask: Task<Void, Never>?
    }

    /// What the server should do with one request.
    struct Decision: Sendable {
        var delay: Duration?
        var failStatus: Int?
        var retryAfterSeconds: Int?
    }

    private let state = Mutex(State())
    private let closeWatchesHook: @Sendable () -> Void
    private let forgetHistoryHook: @Sendable () -> Void

    init(closeWatches: @escaping @Sendable () -> Void, forgetHistory: @escaping @Sendable () -> Void) {
        closeWatchesHook = closeWatches
        forgetHistoryHook = forgetHistory
    }

    /// Ends every open watch stream (clients see the connection's response end).
    public func closeAllWatches() { closeWatchesHook() }

    /// Drops all watch history: a watch resumed from any earlier resourceVersion gets 410 Gone.
    public func forgetHistory() { forgetHistoryHook() }

    /// Answers the next `n` matching requests with `status` (409, 429, 500, …) and a Status body.
    /// `verb` is a Kubernetes verb (get, list, watch, create, update, patch, delete, deletecollection);
    /// `resource` the plural (`deployments`).
    public func failNext(_ n: Int, status: Int, verb: String? = nil, resource: String? = nil, retryAfterSeconds: Int? = nil) {
        state.withLock {
            $0.rules.append(Rule(remaining: n, status: status, delay: nil, verb: verb, resource: resource, retryAfterSeconds: retryAfterSeconds))
        }
    }

    /// Delays the next `n` matching requests before they are served.
    public func delayNext(_ n: Int, by delay: Duration, verb: String? = nil, resource: String? = nil) {
        state.withLock {
            $0.rules.append(Rule(remaining: n, status: nil, delay: delay, verb: verb, resource: resource, retryAfterSeconds: nil))
        }
    }

    /// Fails about `fraction` of all requests with `status` until `stopFailingRandomly()`.
    public func failRandomly(fraction: Double, status: Int = 500) {
        state.withLock {
            $0.randomFraction = fraction
            $0.randomStatus = status
        }
    }

    public func stopFailingRandomly() { state.withLock { $0.randomFraction = 0 } }

    /// Removes every pending `failNext`/`delayNext` rule and random failure.
    public func clear() {
        state.withLock {
            $0.rules.removeAll()
            $0.randomFraction = 0
        }
    }

    /// Closes all watches every `interval`; nil stops it.
    public func dropWatchesEvery(_ interval: Duration?) {
        let hook = closeWatchesHook
        let task: Task<Void, Never>? = interval.map { d in
            Task {
                while !Task.isCancelled {
                    try? await Task.sleep(for: d)
                    if Task.isCancelled { return }
                    hook()
                }
            }
        }
        let old = state.withLock { s -> Task<Void, Never>? in
            let o = s.dropTask
            s.dropTask = task
            return o
        }
        old?.cancel()
    }

    /// Requests answered so far (faulted ones included), optionally of one verb and/or resource.
    public func requestCount(verb: String? = nil, resource: String? = nil) -> Int {
        state.withLock { s in
            var total = 0
            for (v, byResource) in s.counts where verb == nil || verb == v {
                for (r, n) in byResource where resource == nil || resource == r { total += n }
            }
            return total
        }
    }

    public func resetCounts() { state.withLock { $0.counts.removeAll() } }

    func stop() { dropWatchesEvery(nil) }

    /// Counts the request and decides its fate; called once per API request.
    func decide(verb: String, resource: String) -> Decision {
        state.withLock { s in
            s.counts[verb, default: [:]][resource, default: 0] += 1
            var decision = Decision()
            if let i = s.rules.firstIndex(where: { $0.remaining > 0 && $0.matches(verb: verb, resource: resource) }) {
                let rule = s.rules[i]
                s.rules[i].remaining -= 1
                if s.rules[i].remaining <= 0 { s.rules.remove(at: i) }
                decision.delay = rule.delay
                decision.failStatus = rule.status
                decision.retryAfterSeconds = rule.retryAfterSeconds
            } else if s.randomFraction > 0, Double.random(in: 0..<1) < s.randomFraction {
                decision.failStatus = s.randomStatus
            }
            return decision
        }
    }
}
