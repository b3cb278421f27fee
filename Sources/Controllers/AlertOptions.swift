import Metrics

/// How alert notifications are sent (part of `CanaryControllerConfig`).
public struct AlertOptions: Sendable {
    /// Longest a single POST to a provider may take; a provider that hangs is cut off here.
    public var timeout: Duration = .seconds(10)
    /// Where `serin_alerts_total` goes; nil uses `MetricsSystem.factory`.
    public var metricsFactory: (any MetricsFactory)?
    /// The HTTP client and the queue deliveries run on (the operator's, shut down with it).
    public var clients: OperatorClients
    /// Tries per message: a provider that is down, times out, answers 429 or 5xx is tried
    /// again, up to this many times in all (other 4xx answers are final).
    public var attempts: Int = 4
    /// The wait before the second try; it doubles for each try after.
    public var retryDelay: Duration = .seconds(2)

    public init(timeout: Duration = .seconds(10), metricsFactory: (any MetricsFactory)? = nil,
                clients: OperatorClients = .process, attempts: Int = 4, retryDelay: Duration = .seconds(2)) {
        self.timeout = timeout
        self.metricsFactory = metricsFactory
        self.clients = clients
        self.attempts = attempts
        self.retryDelay = retryDelay
    }

    /// The wait before try `attempt` (1-based; the first try does not wait).
    func delay(before attempt: Int) -> Duration {
        attempt <= 1 ? .zero : retryDelay * (1 << min(attempt - 2, 10))
    }
}
