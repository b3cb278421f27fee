import Foundation
import KubeClient
import KubeCore
import KubeRuntime
import Logging
import Metrics
import Prometheus
import ServiceLifecycle

/// The running operator: ops endpoints, API client, manager (informers, leader election,
/// controllers), and a graceful shutdown that releases the lease.
public struct OperatorProcess: Sendable {
    /// Adds the controllers to the manager and returns the services that own what they use
    /// (clients, queues): run before the manager and drained after it.
    public typealias Registration = @Sendable (Manager, OperatorOptions, ShutdownDeadline) async -> [DrainService]

    public let options: OperatorOptions
    public let registry: PrometheusCollectorRegistry
    let register: Registration
    let logger: Logger

    /// - Parameters:
    ///   - registry: where `/metrics` reads from; the process's MetricsSystem should be bootstrapped onto it.
    ///   - register: adds the controllers to the manager.
    public init(
        options: OperatorOptions, registry: PrometheusCollectorRegistry,
        logger: Logger = Logger(label: "serin.operator"), register: @escaping Registration = { _, _, _ in [] }
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
                leaseName: options.effectiveLeaseName, leaseNamespace: Self.leaseNamespace(options, config: config),
                identity: identity, leaseDuration: .seconds(options.leaseDurationSeconds),
                renewDeadline: .seconds(options.renewDeadlineSeconds), retryPeriod: .seconds(options.retryPeriodSeconds))
            : nil
        let leaderGauge = Gauge(label: "serin_leader", dimensions: [("identity", identity)])
        let log = logger
        var managerOptions = ManagerOptions(
            namespaces: options.namespaces.isEmpty ? nil : options.namespaces, leaderElection: election, logger: logger)
        managerOptions.ownSelector = (["serin.dev"], options.ownSelector)
        managerOptions.onLeadershipChange = { leading in
            leaderGauge.record(leading ? 1 : 0)
            log.info(leading ? "leading" : "not leading", metadata: ["identity": "\(identity)"])
        }
        let manager = Manager(api: client, options: managerOptions)
        let deadline = ShutdownDeadline(grace: .seconds(options.shutdownGraceSeconds))
        let owned = await register(manager, options, deadline)

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
            "selector": "\(options.ownSelector)",
            "leader_election": "\(options.leaderElect)", "metrics_port": "\(servers[0].port)",
        ])

        // One lifecycle: services are shut down in reverse order, so the manager stops first
        // (its reconciles finish and the lease is released), then the ops endpoints, then
        // what the controllers used (queued notifications drained, clients closed), all
        // within the one shutdown grace.
        let api = client
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: DrainService(name: "kube-client", deadline: deadline) { _ in try? await api.shutdown() }),
        ]
        services += owned.map { ServiceGroupConfiguration.ServiceConfiguration(service: $0, serviceName: $0.name) }
        services += servers.map { ServiceGroupConfiguration.ServiceConfiguration(service: OpsServerService(server: $0)) }
        services.append(.init(service: ManagerService(manager: manager, deadline: deadline)))
        services.append(.init(service: ShutdownTrigger(signal: untilSignal, deadline: deadline, logger: logger),
                              successTerminationBehavior: .gracefullyShutdownGroup))
        var groupConfig = ServiceGroupConfiguration(services: services, logger: logger)
        // Past the grace (and a little for the last writes), the group is cancelled.
        groupConfig.maximumGracefulShutdownDuration = .seconds(options.shutdownGraceSeconds) + .seconds(2)
        let group = ServiceGroup(configuration: groupConfig)
        try await group.run()
        logger.info("serin operator stopped")
        leaderGauge.record(0)
        return 0
    }
}
