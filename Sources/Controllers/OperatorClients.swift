import Analysis
import AsyncHTTPClient
import NIOCore
import Foundation
import NIOSSL

/// The process's long-lived outgoing clients and its queue of notifications: owned by the
/// operator's lifecycle, which drains the queue and shuts the clients down within the
/// shutdown grace. Controllers get it through their config; tests and the CLI use `.process`.
public final class OperatorClients: Sendable {
    public let prometheus: PrometheusClient
    /// The HTTP client of the metric providers other than Prometheus (web, Datadog, New Relic…).
    public let metricHTTP: MetricHTTPClient
    /// Webhooks (one client for all hooks) and the same without certificate checks
    /// (Flagger's `disableTLS: true`). A host that cannot be reached fails the call at once
    /// instead of being retried until the hook's timeout (AsyncHTTPClient's default), which
    /// for a `timeout: 5m` load-test hook would hold the canary's reconcile for five minutes.
    let webhooks: HTTPClient
    let insecureWebhooks: HTTPClient
    /// AlertProvider deliveries.
    let alerts: HTTPClient
    /// Fire-and-forget work (alerts, event and post-rollout webhooks), off the reconcile path.
    public let notifications = NotificationQueue()

    public init() {
        prometheus = PrometheusClient()
        metricHTTP = MetricHTTPClient()
        webhooks = Self.client(connectTimeout: .seconds(10), verify: true)
        insecureWebhooks = Self.client(connectTimeout: .seconds(10), verify: false)
        alerts = Self.client(connectTimeout: .seconds(5), verify: true)
    }

    /// The clients of a process that never shuts them down explicitly (tests, the CLI).
    public static let process = OperatorClients()

    static func client(connectTimeout: TimeAmount, verify: Bool, proxy: HTTPClient.Configuration.Proxy? = nil) -> HTTPClient {
        var config = HTTPClient.Configuration()
        config.connectionPool.retryConnectionEstablishment = false
        config.timeout.connect = connectTimeout
        config.proxy = proxy
        if !verify {
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.certificateVerification = .none
            config.tlsConfiguration = tls
        }
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: config)
    }

    /// Lets queued notifications finish (at most `grace`), then closes every client.
    public func shutdown(grace: Duration) async {
        await notifications.drain(within: grace)
        try? await prometheus.shutdown()
        try? await metricHTTP.shutdown()
        for c in [webhooks, insecureWebhooks, alerts] { try? await c.shutdown() }
    }
}

/// Notifications run off the reconcile path, each as its own task, tracked so that a shutdown
/// waits for those in flight (bounded) instead of dropping them with the process.
public actor NotificationQueue {
    private var running: [UInt64: Task<Void, Never>] = [:]
    private var next: UInt64 = 0
    private var closed = false

    public init() {}

    /// Starts `job`; after `drain` it is refused (the process is going away).
    public nonisolated func enqueue(_ job: @escaping @Sendable () async -> Void) {
        Task { await self.start(job) }
    }

    private func start(_ job: @escaping @Sendable () async -> Void) {
        guard !closed else { return }
        next += 1
        let id = next
        running[id] = Task {
            await job()
            self.finished(id)
        }
    }

    private func finished(_ id: UInt64) { running[id] = nil }

    /// How many notifications are in flight.
    public var count: Int { running.count }

    /// Refuses new work and waits for the work in flight, at most `grace`; what is still
    /// running then is cancelled.
    public func drain(within grace: Duration) async {
        closed = true
        let deadline = ContinuousClock.now + grace
        while !running.isEmpty, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(10))
        }
        for t in running.values { t.cancel() }
    }
}
