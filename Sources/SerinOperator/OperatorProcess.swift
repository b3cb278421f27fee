import Foundation
import KubeClient
import KubeCore
import KubeRuntime
import Logging
import Metrics
import Prometheus

/// The running operator: ops endpoints, API client, manager (informers, leader election,
/// controllers), and a graceful shutdown that releases the lease.
public struct OperatorProcess: Sendable {
    public typealias Registration = @Sendable (Manager, OperatorOptions) async -> Void

    public let options: OperatorOptions
    public let registry: PrometheusCollectorRegistry
    let register: Registration
    let logger: Logger

    /// - Parameters:
    ///   - registry: where `/metrics` reads from; the process's MetricsSystem should be bootstrapped onto it.
    ///   - register: adds the controllers to the manager.
    public init(
        options: OperatorOptions, registry: PrometheusCollectorRegistry,
        logger: Logger = Logger(label: "serin.operator"), register: @escaping Registration = { _, _ in }
    ) {
        self.options = options
        self.registry = registry
        self.logger = logger
        self.register = register
    }

    /// Lease namespace: the flag, else the pod's own namespace in-cluster, else `serin-system`.
    public static func leaseNamespace(_ options: OperatorOptions, config: KubeConfig) -> String {
        if let ns = options.leaseNamespace, !ns.isEmpty { return ns }
        if config.source == "in-cluster" { return config.namespace }
        return "serin-system"
    }

    /// Runs until `untilSignal` returns, then shuts down gracefully. Returns the exit code.
    public func run(untilSignal: @escaping @Sendable () async -> Void) async throws -> Int32 {
        let config = try KubeConfig.resolve(kubeconfigPath: options.kubeconfig, context: options.context)
        let identity = options.identity ?? LeaderElectionConfig.defaultIdentity()
        var clientOptions = KubeClient.Options()
        clientOptions.qps = options.qps
        clientOptions.burst = options.burst
        // The identity in the User-Agent tells the replicas apart in the API server's audit log.
        clientOptions.userAgent = "serin/\(SerinVersion.current) (\(identity))"
        let client = try KubeClient(config: config, options: clientOptions, logger: logger)

        let election = options.leaderElect
            ? LeaderElectionConfig(
                leaseName: options.leaseName, leaseNamespace: Self.leaseNamespace(options, config: config),
                identity: identity, leaseDuration: .seconds(options.leaseDurationSeconds),
                renewDeadline: .seconds(options.renewDeadlineSeconds), retryPeriod: .seconds(options.retryPeriodSeconds))
            : nil
        let manager = Manager(
            api: client,
            options: ManagerOptions(
                namespaces: options.namespaces.isEmpty ? nil : options.namespaces, leaderElection: election, logger: logger))
        await register(manager, options)

        let leaderGauge = Gauge(label: "serin_leader", dimensions: [("identity", identity)])
        let live: OpsServer.Check = { (true, "") }
        let ready: OpsServer.Check = { manager.isReady ? (true, "") : (false, "caches not synced") }
        let metricsHP = try OperatorOptions.hostPort(options.metricsAddress)
        let healthHP = try OperatorOptions.hostPort(options.healthAddress)
        var servers = [try await OpsServer.start(host: metricsHP.host, port: metricsHP.port, registry: registry, live: live, ready: ready)]
        if options.healthAddress != options.metricsAddress {
            servers.append(try await OpsServer.start(host: healthHP.host, port: healthHP.port, registry: registry, live: live, ready: ready))
        }
        logger.info("serin operator starting", metadata: [
            "server": "\(config.server)", "identity": "\(identity)",
            "namespaces": "\(options.namespaces.isEmpty ? "all" : options.namespaces.joined(separator: ","))",
            "leader_election": "\(options.leaderElect)", "metrics_port": "\(servers[0].port)",
        ])

        await manager.start()
        let leaderWatch = Task {
            var last: Bool?
            while !Task.isCancelled {
                let now = manager.isLeader
                if now != last {
                    leaderGauge.record(now ? 1 : 0)
                    logger.info(now ? "leading" : "not leading", metadata: ["identity": "\(identity)"])
                    last = now
                }
                try? await Task.sleep(for: .milliseconds(200))
            }
        }

        await untilSignal()
        logger.info("signal received: shutting down", metadata: ["grace_seconds": "\(options.shutdownGraceSeconds)"])
        leaderWatch.cancel()
        await manager.shutdown(deadline: .seconds(options.shutdownGraceSeconds))
        leaderGauge.record(0)
        for s in servers { await s.stop() }
        try? await client.shutdown()
        logger.info("serin operator stopped")
        return 0
    }
}
