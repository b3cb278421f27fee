import Analysis
import Controllers
import KubeRuntime
import SerinOperator

/// The operator's flags turned into each controller's configuration, and the controllers
/// added to the manager: the one place where the process and the controllers meet, so
/// `Controllers` does not depend on the process target.
enum ControllerRegistration {
    /// Registers the controllers over one set of clients, and returns the service that drains
    /// its notification queue and closes its clients when the operator stops.
    static func register(on manager: Manager, options: OperatorOptions, deadline: ShutdownDeadline) async -> [DrainService] {
        let clients = OperatorClients()
        await CanaryController.register(on: manager, config: canary(options, clients: clients))
        await AnalysisRunController.register(on: manager, config: analysisRun(options, clients: clients))
        await RolloutController.register(on: manager, config: rollout(options))
        await ExperimentController.register(on: manager, config: experiment(options))
        return [DrainService(name: "clients", deadline: deadline) { await clients.shutdown(grace: $0) }]
    }

    static func canary(_ options: OperatorOptions, clients: OperatorClients = .process) -> CanaryControllerConfig {
        var c = CanaryControllerConfig()
        c.clients = clients
        c.defaultProvider = options.provider
        c.metricsServer = options.metricsServer.isEmpty ? nil : options.metricsServer
        c.metricsProvider = options.metricsProvider
        // Validated at startup (OperatorOptions.validate), so a parse error cannot reach here.
        c.builtinQueryOptions = (try? BuiltinQueryOptions.parseFlag(options.builtinMetricLabels)) ?? [:]
        c.workers = options.workers
        c.maxConcurrentReleases = options.maxConcurrentReleases
        c.maxConcurrentReleasesPerNamespace = options.maxConcurrentReleasesPerNamespace
        return c
    }

    static func analysisRun(_ options: OperatorOptions, clients: OperatorClients = .process) -> AnalysisRunControllerConfig {
        var c = AnalysisRunControllerConfig()
        c.clients = clients
        c.metricsServer = options.metricsServer.isEmpty ? nil : options.metricsServer
        c.workers = options.workers
        return c
    }

    static func experiment(_ options: OperatorOptions) -> ExperimentControllerConfig {
        var c = ExperimentControllerConfig()
        c.workers = options.workers
        return c
    }

    static func rollout(_ options: OperatorOptions) -> RolloutControllerConfig {
        var c = RolloutControllerConfig()
        c.workers = options.workers
        return c
    }
}
