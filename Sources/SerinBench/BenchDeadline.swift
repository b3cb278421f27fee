import Foundation

/// The run's global deadline: every wait is bounded by it (and by its own limit).
struct BenchDeadline: Sendable {
    let end: ContinuousClock.Instant

    init(seconds: Double) { end = .now + .milliseconds(Int64(seconds * 1000)) }

    var remaining: Duration { max(.zero, end - .now) }
    var passed: Bool { ContinuousClock.now >= end }

    func check(_ what: String) throws {
        if passed { throw BenchFailure("global deadline reached before \(what)") }
    }

    /// Polls `condition` every `every` until it is true (returns true), `limit` passes or the
    /// global deadline is reached (false).
    func wait(
        limit: Duration, every: Duration = .milliseconds(100), _ condition: () async throws -> Bool
    ) async rethrows -> Bool {
        let stop = min(end, ContinuousClock.now + limit)
        while true {
            if try await condition() { return true }
            if ContinuousClock.now >= stop { return false }
            try? await Task.sleep(for: every)
        }
    }

    /// Sleeps for `d`, or less when the deadline comes first.
    func sleep(_ d: Duration) async {
        try? await Task.sleep(for: min(d, remaining))
    }
}

extension Duration {
    var seconds: Double {
        let c = components
        return Double(c.seconds) + Double(c.attoseconds) / 1e18
    }
}
