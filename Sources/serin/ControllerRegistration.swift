import Analysis
import Controllers
import KubeRuntime
import SerinOperator

/// The operator's flags turned into each controller's configuration, and the controllers
/// added to the manager: the one place where the process and the controllers meet, so
/// `Controllers` does not depend on the process target.
enum ControllerRegistration {
    static func register(on manager: Manager, options: OperatorOptions) async {
        await CanaryController.register(on: manager, config: canary(options))
        await AnalysisRunController.register(on: manager, config: analysisRun(options))
        await RolloutController.register(on: manager, config: rollout(options))
    }

    static func canary(_ options: OperatorOptions) -> CanaryControllerConfig {
        var c = CanaryControllerConfig()
        c.defaultProvider = options.provider
        c.metricsServer = options.metricsServer.isEmpty ? nil : options.metricsServer
        c.metricsProvider = options.metricsProvider
        // Validated at startup (OperatorOptions.validate), so a parse error cannot reach here.
        c.builtinQueryOptions = (try? BuiltinQueryOptions.parseFlag(options.builtinMetricLabels)) ?? [:]
        c.workers = options.workers
        return c
    }

    static func analysisRun(_ options: OperatorOptions) -> AnalysisRunControllerConfig {
        var c = AnalysisRunControllerConfig()
        c.metricsServer = options.metricsServer.isEmpty ? nil : options.metricsServer
        c.workers = options.workers
        return c
    }

    static func rollout(_ options: OperatorOptions) -> RolloutControllerConfig {
        var c = RolloutControllerConfig()
        c.workers = options.workers
        return c
    }
}
