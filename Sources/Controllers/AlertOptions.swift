import Metrics

/// How alert notifications are sent (part of `CanaryControllerConfig`).
public struct AlertOptions: Sendable {
    /// Longest a single POST to a provider may take; a provider that hangs is cut off here.
    public var timeout: Duration = .seconds(10)
    /// Where `serin_alerts_total` goes; nil uses `MetricsSystem.factory`.
    public var metricsFactory: (any MetricsFactory)?

    public init(timeout: Duration = .seconds(10), metricsFactory: (any MetricsFactory)? = nil) {
        self.timeout = timeout
        self.metricsFactory = metricsFactory
    }
}
