import Controllers
import Foundation
import KubeClient
import KubeRuntime
import KubeTestServer
import Logging
import SerinTestSupport

/// The Canary controller in this process, over HTTPS to the cluster's server, on a manual
/// clock the test moves: for faults whose timing a real process would make slow to test
/// (a Prometheus query timeout is not a flag of `serin operator`).
final class InProcessOperator: Sendable {
    let client: KubeClient
    let clock = ManualClock()
    let manager: Manager

    init(cluster: FaultCluster, metricQueryTimeout: Double) async throws {
        let server = cluster.server
        let config = KubeConfig(server: server.url, certificateAuthorityPEM: Array(server.caCertificatePEM.utf8),
                                credentials: .bearerToken(server.token))
        var options = KubeClient.Options()
        options.qps = 0
        client = try KubeClient(config: config, options: options)
        var logger = Logger(label: "serin.fault-test")
        logger.logLevel = ProcessInfo.processInfo.environment["SERIN_TEST_LOG"] != nil ? .debug : .critical
        manager = Manager(api: client, options: ManagerOptions(clock: clock, logger: logger))
        var c = CanaryControllerConfig()
        c.defaultProvider = "istio"
        c.metricsServer = cluster.prometheus.address
        c.metricQueryTimeoutSeconds = metricQueryTimeout
        c.pollSeconds = 5
        c.workers = 4
        c.webhookRetryDelay = .milliseconds(10)
        await CanaryController.register(on: manager, config: c)
        await manager.start()
    }

    func stop() async {
        await manager.shutdown(deadline: .seconds(10))
        try? await client.shutdown()
    }

    /// Moves the clock `step` at a time (pausing in real time so reconciles run) until
    /// `condition` holds; false when `timeout` (real time) passes first.
    func drive(step: Duration = .seconds(2), pause: Duration = .milliseconds(20), timeout: Duration = .seconds(30),
               until condition: @Sendable () async throws -> Bool) async rethrows -> Bool {
        let clock = clock
        return try await SerinTestSupport.drive(advance: { clock.advance(by: $0) }, step: step, pause: pause,
                                                timeout: timeout, until: condition)
    }
}
