import Delivery
import Foundation
import KubeCore
import KubeRuntime
import Logging
import SerinAPI

/// Observe → decide → act for one Rollout.
///
/// Reads the Rollout, its ReplicaSets, AnalysisRuns and Services from the informer caches,
/// asks the decision core, writes the new status (the intent) through the status subresource,
/// records the decision's Events, then carries out the actions in order (stopping at the first
/// failure: the next round re-derives what is left from status), and requeues when the
/// decision says.
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
        let decision = decider.decide(rollout, world: o.world, now: now)

        // Intent first: the status (the only memory) is written before any effect, so a lost
        // write (409, SIGKILL) never leaves effects ahead of status. The decision core is
        // level-based: from the new status it re-derives every effect that did not happen.
        var base = json
        if decision.newStatus != rollout.status {
            do {
                base = try await writer.writeStatus(.rollouts, json, status: JSONValue(encoding: decision.newStatus),
                                                    cache: caches.rollouts, catchUp: config.cacheCatchUp)
            } catch let e as KubeAPIError where e.isConflict || e.isNotFound {
                log.debug("status write lost a race; deciding again", metadata: ["error": "\(e)"])
                return .requeue(after: .zero)
            } catch {
                log.warning("status write failed", metadata: ["error": "\(error)"])
                return .error(error)
            }
        }
        for e in decision.events {
            await events.record(json, type: e.type == .warning ? .warning : .normal, reason: e.reason, message: e.message)
            if e.type == .warning { log.warning("\(e.reason): \(e.message)") } else { log.info("\(e.reason): \(e.message)") }
        }

        let actuator = RolloutActuator(writer: writer, api: api, logger: log)
        for action in decision.actions {
            do {
                if let updated = try await actuator.perform(action, o, rollout: base) { base = updated }
            } catch {
                let what = Self.describe(action)
                log.warning("action failed", metadata: ["action": "\(what)", "error": "\(error)"])
                await events.record(json, type: .warning, reason: "SyncFailed",
                                    message: "\(what) failed for \(rollout.namespace)/\(rollout.name): \(Self.short(error))")
                return .error(error)
            }
        }
        guard let after = decision.requeueAfter else { return .done }
        return .requeue(afterSeconds: after)
    }

    /// A Rollout whose JSON does not decode: Degraded with the field path and a fix, and an Event.
    func reportUndecodable(_ json: JSONValue, _ error: RolloutDecodeError) async -> ReconcileResult {
        let log = ReconcileContext.logger
        let path = error.path.isEmpty ? "spec" : error.path
        let message = "\(path): \(error.message); fix the value at \(path) to match the Rollout schema (kubectl explain rollout.\(path))"
        var status = json["status"].objectValue.map(JSONValue.object) ?? [:]
        var conditions = (try? status["conditions"].decode(as: [Condition].self)) ?? []
        if conditions[type: RolloutStatus.invalidSpecCondition]?.message == message { return .done }
        conditions.set(Condition(type: RolloutStatus.invalidSpecCondition, status: .true, reason: "InvalidSpec",
                                 message: message, lastTransitionTime: KubeTime.format(clock.now()),
                                 observedGeneration: json.generation))
        status["conditions"] = (try? JSONValue(encoding: conditions)) ?? .null
        status["phase"] = .string(RolloutPhase.degraded.rawValue)
        status["message"] = .string("InvalidSpec: \(message)")
        status["observedGeneration"] = json.generation.map { .int(Int64($0)) } ?? .null
        do {
            try await writer.writeStatus(.rollouts, json, status: status, cache: caches.rollouts, catchUp: config.cacheCatchUp)
        } catch {
            log.warning("could not write status", metadata: ["error": "\(error)"])
        }
        await events.record(json, type: .warning, reason: "InvalidSpec", message: message)
        log.warning("InvalidSpec: \(message)")
        return .done
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
        case .scaleWorkload(let name, let n): return "scale Deployment \(name) to \(n)"
        case .setPodTemplate: return "write the undo template"
        case .restartPods(let before, let n): return "restart \(n) pods created before \(before)"
        }
    }

    static func short(_ error: any Error) -> String {
        let t = "\(error)"
        return t.count > 300 ? String(t.prefix(300)) + "…" : t
    }
}
