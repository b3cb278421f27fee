import Foundation

/// Exponential backoff: `initial * factor^(attempt-1)`, capped at `maximum`, with up to
/// `jitter` (a fraction) added at random so that many clients do not retry in lockstep.
public struct Backoff: Sendable, Hashable {
    public var initial: Duration
    public var maximum: Duration
    public var factor: Double
    public var jitter: Double

    public init(initial: Duration, maximum: Duration, factor: Double = 2, jitter: Double = 0) {
        self.initial = initial
        self.maximum = maximum
        self.factor = factor
        self.jitter = jitter
    }

    /// The work queue's per-key error backoff (client-go's default: 5 ms doubling to 1000 s).
    public static let workQueueDefault = Backoff(initial: .milliseconds(5), maximum: .seconds(1000))
    /// The reflector's reconnect backoff (client-go: 800 ms to 30 s, jittered).
    public static let reflectorDefault = Backoff(initial: .milliseconds(800), maximum: .seconds(30), jitter: 0.2)

    /// The delay before retry number `attempt` (1-based), without jitter.
    public func baseDelay(attempt: Int) -> Duration {
        let n = max(attempt, 1) - 1
        let initialSeconds = initial.seconds
        let maxSeconds = maximum.seconds
        // Compare exponents instead of multiplying so huge attempt counts cannot overflow.
        if factor > 1, initialSeconds > 0, Double(n) >= (maxSeconds / initialSeconds).logBase(factor) + 1 {
            return maximum
        }
        let s = initialSeconds * pow(factor, Double(n))
        return s >= maxSeconds ? maximum : .seconds(s)
    }

    /// The delay before retry number `attempt`, with jitter applied (never above `maximum * (1 + jitter)`).
    public func delay(attempt: Int) -> Duration {
        var generator = SystemRandomNumberGenerator()
        return delay(attempt: attempt, using: &generator)
    }

    public func delay<G: RandomNumberGenerator>(attempt: Int, using generator: inout G) -> Duration {
        let base = baseDelay(attempt: attempt)
        guard jitter > 0 else { return base }
        return .seconds(base.seconds * (1 + Double.random(in: 0..<jitter, using: &generator)))
    }
}

extension Double {
    fileprivate func logBase(_ b: Double) -> Double { log(self) / log(b) }
}

