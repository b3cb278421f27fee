import Logging

/// The running operator: ops endpoints, client, manager, controllers.
public struct OperatorProcess: Sendable {
    public let options: OperatorOptions

    public init(options: OperatorOptions) {
        self.options = options
    }

    /// Runs until `untilSignal` returns, then shuts down gracefully. Returns the exit code.
    public func run(untilSignal: @Sendable () async -> Void) async throws -> Int32 {
        await untilSignal()
        return 0
    }
}
