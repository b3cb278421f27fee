import KubeRuntime
import SerinOperator

/// Adds Serin's controllers to a manager.
public enum SerinControllers {
    public static func register(on manager: Manager, options: OperatorOptions) async {
        // The Canary, Rollout and AnalysisRun controllers register here as they land.
    }
}
