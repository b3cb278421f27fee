import Foundation
import Synchronization

/// Time as the runtime sees it. Injected everywhere so tests can run hours of controller
/// time in milliseconds (`ManualClock`). Named `RuntimeClock` so it does not shadow the
/// standard library's `Clock` protocol in modules that import both.
public protocol RuntimeClock: Sendable {
    /// Wall time, for status timestamps, lease renew times and event timestamps.
    func now() -> Date
    /// Suspends for `duration` of this clock's time. Throws `CancellationError` when the task is cancelled.
    func sleep(for duration: Duration) async throws
}

extension RuntimeClock {
    /// Sleeps until `date` (returns at once when it has passed).
    public func sleep(until date: Date) async throws {
        let interval = date.timeIntervalSince(now())
        if interval > 0 { try await sleep(for: .seconds(interval)) }
    }
}

/// The real clock: `Date()` and `Task.sleep`.
public struct SystemClock: RuntimeClock {
    public init() {}
    public func now() -> Date { Date() }
    public func sleep(for duration: Duration) async throws {
        try await Task.sleep(for: duration)
    }
}

extension Duration {
    /// The duration in seconds as a `Double`.
    public var seconds: Double {
        let c = components
        return Double(c.seconds) + Double(c.attoseconds) / 1e18
    }
}

/// A clock that moves only when told to. Sleepers wake when `advance(by:)` passes their deadline.
public final class ManualClock: RuntimeClock {
    private struct Sleeper {
        var deadline: Date
        var continuation: CheckedContinuation<Void, any Error>
    }
    private struct State {
        var now: Date
        var nextID = 0
        var sleepers: [Int: Sleeper] = [:]
        /// Sleeps cancelled before their continuation was registered.
        var cancelledEarly: Set<Int> = []
    }
    private let state: Mutex<State>

    public init(start: Date = Date(timeIntervalSince1970: 1_800_000_000)) {
        state = Mutex(State(now: start))
    }

    public func now() -> Date { state.withLock { $0.now } }

    /// The number of tasks currently sleeping on this clock (tests wait for it before advancing).
    public var sleeperCount: Int { state.withLock { $0.sleepers.count } }

    public func sleep(for duration: Duration) async throws {
        try Task.checkCancellation()
        let id = state.withLock { s -> Int in
            s.nextID += 1
            return s.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (cont: CheckedContinuation<Void, any Error>) in
                let outcome: Int = state.withLock { s in
                    if s.cancelledEarly.remove(id) != nil { return 2 }
                    if duration <= .zero { return 1 }
                    s.sleepers[id] = Sleeper(deadline: s.now.addingTimeInterval(duration.seconds), continuation: cont)
                    return 0
                }
                if outcome == 1 { cont.resume() }
                if outcome == 2 { cont.resume(throwing: CancellationError()) }
            }
        } onCancel: {
            let sleeper = state.withLock { s -> Sleeper? in
                if let found = s.sleepers.removeValue(forKey: id) { return found }
                s.cancelledEarly.insert(id)
                return nil
            }
            sleeper?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Moves time forward and wakes every sleeper whose deadline has been reached, earliest first.
    public func advance(by duration: Duration) {
        let woken: [Sleeper] = state.withLock { s in
            s.now = s.now.addingTimeInterval(duration.seconds)
            let now = s.now
            let due = s.sleepers.filter { $0.value.deadline <= now }
            for id in due.keys { s.sleepers.removeValue(forKey: id) }
            return due.values.sorted { $0.deadline < $1.deadline }
        }
        for s in woken { s.continuation.resume() }
    }

    /// Waits (in real time, bounded by `timeout`) until at least `count` tasks sleep on this clock.
    /// Returns false on timeout.
    @discardableResult
    public func waitForSleepers(_ count: Int, timeout: Duration = .seconds(5)) async -> Bool {
        let start = ContinuousClock.now
        while sleeperCount < count {
            if ContinuousClock.now - start > timeout { return false }
            try? await Task.sleep(for: .milliseconds(1))
        }
        return true
    }
}
