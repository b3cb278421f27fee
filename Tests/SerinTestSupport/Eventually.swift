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

/// Moves a manual clock `step` at a time with `advance` (pausing `pause` in real time so the
/// operator's reconciles run) until `condition` holds; false when `timeout` (real time) passes
/// first. The one clock-driving helper of the controller and fault tests.
public func drive(advance: @Sendable (Duration) -> Void, step: Duration, pause: Duration, timeout: Duration,
                  until condition: @Sendable () async throws -> Bool) async rethrows -> Bool {
    let start = ContinuousClock.now
    while ContinuousClock.now - start < timeout {
        if try await condition() { return true }
        advance(step)
        try? await Task.sleep(for: pause)
    }
    return try await condition()
}
