import Delivery
import KubeCore
import KubeRuntime
import SerinAPI

/// How the Rollout controller runs: defaults from the operator's flags, knobs for tests.
public struct RolloutControllerConfig: Sendable {
    public var workers = 4
    /// How soon to look again while waiting for pods (ReplicaSet events also wake it).
    public var pollSeconds = 5.0
    /// Real time a reconcile waits for its own status write to reach the cache (read-your-writes).
    public var cacheCatchUp: Duration = .seconds(2)

    public init() {}
}

/// Registration of the Rollout controller on a manager.
public enum RolloutController {
    public static let name = "rollout"
    /// Rollout store indexes: `namespace/service` of every Service a strategy names, and
    /// `namespace/deployment` of workloadRef.
    static let serviceIndex = "rollout-services"
    static let workloadIndex = "rollout-workload"

    /// Adds the Rollout controller: Rollouts (primary), owned ReplicaSets and AnalysisRuns, and
    /// mappers from the Services and workloadRef Deployments and StatefulSets to the Rollouts naming them.
    @discardableResult
    public static func register(on manager: Manager, config: RolloutControllerConfig) async -> Controller {
        let rollouts = await manager.informer(
            for: .rollouts,
            indexers: [
                serviceIndex: { obj in
                    let ns = obj.namespace ?? ""
                    return RolloutObserver.serviceNames(obj).map { "\(ns)/\($0)" }
                },
                workloadIndex: { obj in
                    guard let d = obj[path: ["spec", "workloadRef", "name"]].stringValue else { return [] }
                    return ["\(obj.namespace ?? "")/\(d)"]
                },
            ])
        let replicaSets = await manager.informer(for: .replicaSets)
        let services = await manager.informer(for: .services)
        let runs = await manager.informer(for: .analysisRuns)
        let deployments = await manager.informer(for: .deployments)
        let experiments = await manager.informer(for: .experiments)
        let statefulSets = await manager.informer(for: .statefulSets)
        let caches = RolloutCaches(
            rollouts: rollouts.store, replicaSets: replicaSets.store, services: services.store,
            runs: runs.store, deployments: deployments.store, experiments: experiments.store,
            statefulSets: statefulSets.store)
        let reconciler = RolloutReconciler(
            api: manager.api, caches: caches, clock: manager.options.clock, events: manager.events,
            fence: { try manager.fence() }, config: config)

        let store = rollouts.store
        let byService: @Sendable (JSONValue) -> [ObjectKey] = { svc in
            store.byIndex(serviceIndex, "\(svc.namespace ?? "")/\(svc.name ?? "")").map { ObjectKey($0) }
        }
        let byWorkload: @Sendable (JSONValue) -> [ObjectKey] = { d in
            store.byIndex(workloadIndex, "\(d.namespace ?? "")/\(d.name ?? "")").map { ObjectKey($0) }
        }
        return await manager.addController(
            name: name, for: .rollouts, reconciler: reconciler, owns: [.replicaSets, .analysisRuns, .experiments],
            watches: [(.services, byService), (.deployments, byWorkload), (.statefulSets, byWorkload)],
            workers: config.workers, primaryPredicate: rolloutChanged)
    }

    /// Rollout events worth a reconcile: spec, annotations (manual control), labels, deletion,
    /// and the status fields a person (or Argo's CLI) may set by hand: abort, pauseConditions,
    /// promoteFull. Serin's own status writes change other fields too; reconciling them again
    /// is harmless (decisions are idempotent).
    static let rolloutChanged: @Sendable (InformerEvent) -> Bool = { event in
        guard case .updated(let old, let new) = event else { return true }
        return old.generation != new.generation || old["spec"] != new["spec"]
            || old.annotations != new.annotations || old.labels != new.labels
            || old.deletionTimestamp != new.deletionTimestamp
            || old[path: ["status", "abort"]] != new[path: ["status", "abort"]]
            || old[path: ["status", "pauseConditions"]] != new[path: ["status", "pauseConditions"]]
            || old[path: ["status", "promoteFull"]] != new[path: ["status", "promoteFull"]]
    }
}
