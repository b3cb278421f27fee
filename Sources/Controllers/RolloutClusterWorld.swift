import Delivery
import Foundation
import KubeCore
import KubeRuntime
import Logging
import SerinAPI

/// The cluster as the delivery driver sees it for one Rollout: the status goes through the
/// status subresource, events become Kubernetes Events, effects go through the actuator.
struct RolloutClusterWorld: DeliveryWorld {
    typealias Core = RolloutDecider

    let reconciler: RolloutReconciler
    let observation: RolloutObservation
    let rollout: Rollout
    let json: JSONValue
    let log: Logger
    /// The Rollout as last written: an effect that updates its spec (undo) needs the
    /// resourceVersion of the status write before it.
    var current: JSONValue

    init(reconciler: RolloutReconciler, observation: RolloutObservation, rollout: Rollout, json: JSONValue, log: Logger) {
        self.reconciler = reconciler
        self.observation = observation
        self.rollout = rollout
        self.json = json
        self.log = log
        current = json
    }

    func answer(_ queries: [Never], into input: inout RolloutInput, now: Date) async {}

    mutating func writeStatus(_ status: RolloutStatus, input: RolloutInput) async -> StatusWrite {
        let r = reconciler
        var written = current
        let result = await r.writer.statusWrite(log: log) {
            written = try await r.writer.writeStatus(.rollouts, json, status: JSONValue(encoding: status),
                                                     cache: r.caches.rollouts, catchUp: r.config.cacheCatchUp)
        }
        current = written
        return result
    }

    func record(_ decision: RolloutDecision, input: RolloutInput, now: Date) async {
        for e in decision.events {
            await reconciler.events.record(json, type: e.type == .warning ? .warning : .normal, reason: e.reason, message: e.message)
            if e.type == .warning { log.warning("\(e.reason): \(e.message)") } else { log.info("\(e.reason): \(e.message)") }
        }
    }

    mutating func perform(_ effect: RolloutAction, input: RolloutInput) async throws {
        let actuator = RolloutActuator(writer: reconciler.writer, api: reconciler.api, logger: log)
        if let updated = try await actuator.perform(effect, observation, rollout: current) { current = updated }
    }

    func report(_ effect: RolloutAction, failed error: any Error, input: RolloutInput) async {
        let what = RolloutReconciler.describe(effect)
        log.warning("action failed", metadata: ["action": "\(what)", "error": "\(error)"])
        await reconciler.events.record(json, type: .warning, reason: "SyncFailed",
                                       message: "\(what) failed for \(rollout.namespace)/\(rollout.name): \(ReconcileFailure.short(error))")
    }
}
