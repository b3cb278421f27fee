import Synchronization

/// Client-side token bucket (client-go's QPS/burst): up to `burst` requests at once, then
/// `qps` per second. Each caller reserves its slot under the lock and sleeps outside it,
/// so concurrent callers queue fairly without a background task.
public final class TokenBucketRateLimiter: Sendable {
    public let qps: Double
    public let burst: Int

    private struct State {
        var tokens: Double
        var last: ContinuousClock.Instant
    }
    private let state: Mutex<State>

    /// `qps <= 0` disables limiting.
    public init(qps: Double, burst: Int) {
        self.qps = qps
        self.burst = max(1, burst)
        self.state = Mutex(State(tokens: Double(max(1, burst)), last: .now))
    }

    /// How long the caller must wait for its slot; the slot is taken even if it then waits.
    func reserve(now: ContinuousClock.Instant = .now) -> Duration {
        guard qps > 0 else { return .zero }
        return state.withLock { s in
            let elapsed = now - s.last
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            s.tokens = min(Double(burst), s.tokens + max(0, seconds) * qps)
            s.last = max(s.last, now)
            s.tokens -= 1
            if s.tokens >= 0 { return .zero }
            return .seconds(-s.tokens / qps)
        }
    }

    /// Waits for a slot. Throws `CancellationError` if the task is cancelled while waiting.
    public func acquire() async throws {
        let wait = reserve()
        if wait > .zero { try await Task.sleep(for: wait) }
    }
}
