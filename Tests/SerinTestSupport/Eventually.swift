/// Polls `condition` until it holds or `timeout` (real time) passes; the last answer counts.
/// The one polling helper of every test target.
public func eventually(timeout: Duration = .seconds(20), every: Duration = .milliseconds(10),
                       _ condition: @Sendable () async throws -> Bool) async rethrows -> Bool {
    let start = ContinuousClock.now
    while ContinuousClock.now - start < timeout {
        if try await condition() { return true }
        try? await Task.sleep(for: every)
    }
    return try await condition()
}
