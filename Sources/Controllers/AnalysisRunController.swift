import KubeCore
import KubeRuntime
import SerinAPI

/// How the AnalysisRun controller runs: defaults from the operator's flags, knobs for tests.
public struct AnalysisRunControllerConfig: Sendable {
    /// Prometheus for metrics that name no address (`--metrics-server`).
    public var metricsServer: String?
    public var workers = 2
    /// Real time a reconcile waits for its own status write to reach the cache (read-your-writes),
    /// so the next step does not measure again from the status before.
    public var cacheCatchUp: Duration = .seconds(2)
    /// The process's outgoing clients (the operator's lifecycle owns them).
    public var clients: OperatorClients = .process

    public init() {}
}

/// Registration of the AnalysisRun controller on a manager.
public enum AnalysisRunController {
    public static let name = "analysisrun"

    @discardableResult
    public static func register(on manager: Manager, config: AnalysisRunControllerConfig) async -> Controller {
        let runs = await manager.informer(for: .analysisRuns)
        let reconciler = AnalysisRunReconciler(
            api: manager.api, runs: runs.store, clock: manager.options.clock, events: manager.events,
            fence: { try manager.fence() }, config: config)
        return await manager.addController(
            name: name, for: .analysisRuns, reconciler: reconciler, workers: config.workers,
            primaryPredicate: runChanged)
    }

    /// Run events worth a reconcile: anything but a status-only update (Serin's own writes;
    /// the next measurement comes from the requeue).
    static let runChanged: @Sendable (InformerEvent) -> Bool = { event in
        guard case .updated(let old, let new) = event else { return true }
        return old.generation != new.generation || old["spec"] != new["spec"]
            || old.annotations != new.annotations || old.labels != new.labels
            || old.deletionTimestamp != new.deletionTimestamp
    }
}
