import Analysis
import AsyncHTTPClient
import NIOCore
import Foundation
import NIOSSL
import Synchronization

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
public final class NotificationQueue: Sendable {
    private struct State {
        var running: [UInt64: Task<Void, Never>] = [:]
        var next: UInt64 = 0
        var closed = false
        /// `drain` waiting for the last job; resumed when none runs or the grace is over.
        var waiter: CheckedContinuation<Void, Never>?
        var stopWaiting = false
    }
    private let state = Mutex(State())

    public init() {}

    /// Starts `job` at once (it is tracked before this returns); after `drain` began it is
    /// refused and false returned (the process is going away).
    @discardableResult
    public func enqueue(_ job: @escaping @Sendable () async -> Void) -> Bool {
        state.withLock { s in
            guard !s.closed else { return false }
            s.next += 1
            let id = s.next
            // The task cannot reach `finished` before this lock is released, so it is recorded first.
            s.running[id] = Task {
                await job()
                self.finished(id)
            }
            return true
        }
    }

    private func finished(_ id: UInt64) {
        let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
            s.running[id] = nil
            guard s.running.isEmpty else { return nil }
            defer { s.waiter = nil }
            return s.waiter
        }
        waiter?.resume()
    }

    /// How many notifications are in flight.
    public var count: Int { state.withLock { $0.running.count } }

    /// Refuses new work and waits for the work in flight, at most `grace`; what is still
    /// running then is cancelled. Returns how many were cancelled.
    @discardableResult
    public func drain(within grace: Duration) async -> Int {
        state.withLock { $0.closed = true }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.idle() }
            group.addTask { try? await Task.sleep(for: grace) }
            await group.next()
            group.cancelAll()
        }
        let left = state.withLock { s in Array(s.running.values) }
        for t in left { t.cancel() }
        return left.count
    }

    /// Returns when no job runs, or when cancelled (the grace is over).
    private func idle() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                let now = state.withLock { s -> Bool in
                    if s.running.isEmpty || s.stopWaiting { return true }
                    s.waiter = c
                    return false
                }
                if now { c.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
                s.stopWaiting = true
                defer { s.waiter = nil }
                return s.waiter
            }
            waiter?.resume()
        }
    }
}
