import Delivery
import Foundation
import KubeCore
import KubeRuntime
import Logging
import SerinAPI

/// The cluster as the delivery driver sees it for one Canary: queries are real webhook calls
/// and metric checks, the status goes through the status subresource, events become
/// Kubernetes Events (and `event` webhooks and alerts), effects go through the actuator.
struct CanaryClusterWorld: DeliveryWorld {
    typealias Core = CanaryDecider

    let reconciler: CanaryReconciler
    let observation: CanaryObservation
    let log: Logger

    var json: JSONValue { observation.canaryJSON }
    var canary: Canary { observation.canary }

    func answer(_ queries: [CanaryQuery], into input: inout CanaryInput, now: Date) async {
        input.world = await reconciler.runQueries(queries, observation, world: input.world)
    }

    func writeStatus(_ status: CanaryStatus, input: CanaryInput) async -> StatusWrite {
        // A slot granted for this decision is kept only when the decision started a release
        // (a confirm-rollout gate that stays closed must not hold one).
        if input.world.releaseSlot == .free,
           !ReleaseLimiter.holdsSlot(phase: status.phase, handover: status.handover != nil) {
            reconciler.limiter.returnGrant(ObjectKey(json))
        }
        return await reconciler.writer.statusWrite(log: log) {
            try await reconciler.writeStatus(json, status)
        }
    }

    func record(_ decision: CanaryDecision, input: CanaryInput, now: Date) async {
        reconciler.gauges.record(ObjectKey(json), status: decision.newStatus,
                                 releaseSeconds: CanaryReconciler.finishedRelease(old: canary.status, new: decision.newStatus, now: now))
        for e in decision.events {
            await reconciler.events.record(json, type: e.type == .warning ? .warning : .normal, reason: e.reason, message: e.message)
            log.info("\(e.reason): \(e.message)")
        }
        reconciler.notifyEventHooks(decision.events, canary: canary, checksum: input.world.releaseChecksum ?? "")
        reconciler.notifyAlerts(decision.events, canary: canary, status: decision.newStatus)
    }

    func perform(_ effect: CanaryAction, input: CanaryInput) async throws {
        guard case .notifyWebhook(let hook, let payload) = effect else {
            try await CanaryActuator(writer: reconciler.writer, logger: log).perform(effect, observation)
            return
        }
        // Fire and forget: a post-rollout hook's outcome is only evented.
        let caller = reconciler.webhooks
        let recorder = reconciler.events
        let json = json
        reconciler.config.clients.notifications.enqueue {
            let r = await caller.call(hook, payload: payload)
            if !r.passed {
                await recorder.record(json, type: .warning, reason: "WebhookFailed",
                                      message: "\(hook.effectiveType.rawValue) webhook \(hook.name) failed: \(r.message.isEmpty ? "HTTP \(r.statusCode ?? 0)" : r.message)")
            }
        }
    }

    func report(_ effect: CanaryAction, failed error: any Error, input: CanaryInput) async {
        let what = CanaryReconciler.describe(effect)
        log.warning("action failed", metadata: ["action": "\(what)", "error": "\(error)"])
        await reconciler.events.record(json, type: .warning, reason: "SyncFailed",
                                       message: "\(what) failed for \(canary.name).\(canary.namespace): \(ReconcileFailure.short(error))")
    }
}
