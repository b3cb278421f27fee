import Delivery
import KubeCore
import KubeRuntime
import SerinAPI

/// How the Experiment controller runs: defaults from the operator's flags, knobs for tests.
public struct ExperimentControllerConfig: Sendable {
    public var workers = 2
    /// Real time a reconcile waits for its own status write to reach the cache (read-your-writes).
    public var cacheCatchUp: Duration = .seconds(2)

    public init() {}
}

/// Registration of the Experiment controller on a manager: Experiments (primary), and the
/// ReplicaSets, Services and AnalysisRuns they own.
public enum ExperimentController {
    public static let name = "experiment"

    @discardableResult
    public static func register(on manager: Manager, config: ExperimentControllerConfig) async -> Controller {
        let experiments = await manager.informer(for: .experiments)
        let replicaSets = await manager.informer(for: .replicaSets)
        let services = await manager.informer(for: .services)
        let runs = await manager.informer(for: .analysisRuns)
        let caches = ExperimentCaches(experiments: experiments.store, replicaSets: replicaSets.store,
                                      services: services.store, runs: runs.store)
        let reconciler = ExperimentReconciler(
            api: manager.api, caches: caches, clock: manager.options.clock, events: manager.events,
            fence: { try manager.fence() }, config: config)
        return await manager.addController(
            name: name, for: .experiments, reconciler: reconciler, owns: [.replicaSets, .services, .analysisRuns],
            workers: config.workers, primaryPredicate: experimentChanged)
    }

    /// Experiment events worth a reconcile: anything but Serin's own status writes.
    static let experimentChanged: @Sendable (InformerEvent) -> Bool = { event in
        guard case .updated(let old, let new) = event else { return true }
        return old.generation != new.generation || old["spec"] != new["spec"]
            || old.annotations != new.annotations || old.labels != new.labels
            || old.deletionTimestamp != new.deletionTimestamp
    }
}

/// Readers of the informer caches the Experiment controller shares with the manager.
struct ExperimentCaches: Sendable {
    let experiments: ObjectStore
    let replicaSets: ObjectStore
    let services: ObjectStore
    let runs: ObjectStore
}
