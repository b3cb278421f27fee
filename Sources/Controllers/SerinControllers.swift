import KubeRuntime
import SerinOperator

/// Adds Serin's controllers to a manager.
public enum SerinControllers {
    public static func register(on manager: Manager, options: OperatorOptions) async {
        await CanaryController.register(on: manager, config: CanaryControllerConfig(options: options))
        await AnalysisRunController.register(on: manager, config: AnalysisRunControllerConfig(options: options))
        await RolloutController.register(on: manager, config: RolloutControllerConfig(options: options))
    }
}
