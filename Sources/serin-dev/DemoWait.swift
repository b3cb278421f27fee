import Synchronization

/// Bounded waits: every wait names what it waits for and gives up at its deadline.
enum DemoWait {
    @discardableResult
    static func until<T: Sendable>(_ what: String, deadline: Duration, poll: Duration = .milliseconds(200),
                                   check: () async throws -> T?) async throws -> T {
        let end = ContinuousClock.now + deadline
        while true {
            if let v = try await check() { return v }
            guard ContinuousClock.now < end else { throw DemoFailure("timed out after \(deadline) waiting for \(what)") }
            try await Task.sleep(for: poll)
        }
    }
}

/// A flag one task sets and another polls.
final class DemoFlag: Sendable {
    private let value = Mutex(false)
    func set() { value.withLock { $0 = true } }
    var isSet: Bool { value.withLock { $0 } }
}
