import Metrics

/// How alert notifications are sent (part of `CanaryControllerConfig`).
public struct AlertOptions: Sendable {
    /// Longest a single POST to a provider may take; a provider that hangs is cut off here.
    public var timeout: Duration = .seconds(10)
    /// Where `serin_alerts_total` goes; nil uses `MetricsSystem.factory`.
    public var metricsFactory: (any MetricsFactory)?
    /// The HTTP client and the queue deliveries run on (the operator's, shut down with it).
    public var clients: OperatorClients

    public init(timeout: Duration = .seconds(10), metricsFactory: (any MetricsFactory)? = nil,
                clients: OperatorClients = .process) {
        self.timeout = timeout
        self.metricsFactory = metricsFactory
        self.clients = clients
    }
}
