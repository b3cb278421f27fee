import Delivery
import Foundation
import KubeCore
import KubeRuntime
import Logging
import SerinAPI

/// Observe → decide → act for one Rollout.
///
/// Reads the Rollout, its ReplicaSets, AnalysisRuns and Services from the informer caches and
/// hands them to the delivery driver (status first, then events, then effects) over the
/// cluster (`RolloutClusterWorld`).
public struct RolloutReconciler: Reconciler {
    let api: any KubeAPI
    let caches: RolloutCaches
    let clock: any RuntimeClock
    let events: EventRecorder
    let fence: @Sendable () throws -> Void
    let config: RolloutControllerConfig
    let decider: RolloutDecider

    init(api: any KubeAPI, caches: RolloutCaches, clock: any RuntimeClock, events: EventRecorder,
         fence: @escaping @Sendable () throws -> Void, config: RolloutControllerConfig) {
        self.api = api
        self.caches = caches
        self.clock = clock
        self.events = events
        self.fence = fence
        self.config = config
        decider = RolloutDecider(pollSeconds: config.pollSeconds)
    }

    var writer: ObjectWriter { ObjectWriter(api: api, fence: fence) }

    public func reconcile(_ key: ObjectKey) async -> ReconcileResult {
        var log = ReconcileContext.logger
        log[metadataKey: "kind"] = "Rollout"
        return await ReconcileContext.$logger.withValue(log) { await reconcile(key, log: log) }
    }

    func reconcile(_ key: ObjectKey, log: Logger) async -> ReconcileResult {
        guard let json = caches.rollouts.get(key) else { return .done }  // owned objects are garbage-collected
        guard json.deletionTimestamp == nil else { return .done }
        let rollout: Rollout
        do {
            rollout = try Rollout(json: json)
        } catch {
            return await reportUndecodable(json, error)
        }
        let now = clock.now()
        let o: RolloutObservation
        do {
            o = try await RolloutObserver.observe(json, rollout, caches: caches, api: api, now: now)
        } catch {
            log.warning("could not observe the rollout's objects", metadata: ["error": "\(error)"])
            return .error(error)
        }
        let input = RolloutInput(spec: rollout.spec, status: rollout.status, world: o.world)
        var world = RolloutClusterWorld(reconciler: self, observation: o, rollout: rollout, json: json, log: log)
        let (_, outcome) = await DeliveryDriver(decider).run(input, now: now, in: &world)
        return ReconcileResult(outcome, decidedAt: now, clock: clock, log: log)
    }

    /// A Rollout whose JSON does not decode: Degraded with the field path and a fix, and an Event.
    func reportUndecodable(_ json: JSONValue, _ error: RolloutDecodeError) async -> ReconcileResult {
        let path = error.path.isEmpty ? "spec" : error.path
        let message = "\(path): \(error.message); fix the value at \(path) to match the Rollout schema (kubectl explain rollout.\(path))"
        let report = StatusReport(writer: writer, events: events, resource: .rollouts, cache: caches.rollouts,
                                  catchUp: config.cacheCatchUp)
        let now = clock.now()
        return await report.write(json, reason: "InvalidSpec", message: message, log: ReconcileContext.logger) { status in
            guard StatusReport.setCondition(&status, type: RolloutStatus.invalidSpecCondition, .true, reason: "InvalidSpec",
                                            message: message, generation: json.generation, now: now) else { return false }
            status["phase"] = .string(RolloutPhase.degraded.rawValue)
            status["message"] = .string("InvalidSpec: \(message)")
            return true
        }
    }

    static func describe(_ action: RolloutAction) -> String {
        switch action {
        case .createReplicaSet(let rs): return "create ReplicaSet \(rs.name ?? "")"
        case .scaleReplicaSet(let name, let n): return "scale ReplicaSet \(name) to \(n)"
        case .annotateReplicaSet(let name, _): return "annotate ReplicaSet \(name)"
        case .deleteReplicaSet(let name): return "delete ReplicaSet \(name)"
        case .setServiceSelector(let svc, let hash): return "point Service \(svc) at \(hash)"
        case .setTraffic(let t): return "set traffic (\(t))"
        case .createAnalysisRun(let r): return "create AnalysisRun \(r.name)"
        case .terminateAnalysisRun(let name): return "terminate AnalysisRun \(name)"
        case .deleteAnalysisRun(let name): return "delete AnalysisRun \(name)"
        case .scaleWorkload(let name, let n): return "scale workload \(name) to \(n)"
        case .setPartition(let name, let p): return "set StatefulSet \(name) partition to \(p)"
        case .revertStatefulSetPod(let name, let rev): return "revert a pod of StatefulSet \(name) from \(rev)"
        case .setPodTemplate: return "write the undo template"
        case .restartPods(let before, let n): return "restart \(n) pods created before \(before)"
        case .createExperiment(let e): return "create Experiment \(e.name ?? "")"
        case .terminateExperiment(let name): return "terminate Experiment \(name)"
        }
    }
}
