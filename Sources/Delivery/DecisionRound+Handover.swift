import Foundation
import KubeCore
import SerinAPI
import Traffic

/// Serin's safety beyond the peers, once the analysis has ended:
/// - a rollback never sends all traffic to a primary its autoscaler shrank while the canary
///   carried part of it (flagger#869, #1694): the primary's autoscaler is asked for the
///   replicas that carry everything, and traffic returns as they become ready;
/// - a promotion whose primary never becomes ready keeps the canary serving (flagger#1898,
///   #1931, #1932) instead of routing to the broken primary and deleting the working pods.
/// Both live in `status.handover`, so a restart continues them.
extension DecisionRound {
    var rollbackPolicy: CanaryRollbackPolicy { analysis.rollback ?? CanaryRollbackPolicy() }

    /// Whether the primary's autoscaler is asked for more replicas on a rollback.
    var scalesPrimaryOnRollback: Bool { spec.autoscalerRef != nil && rollbackPolicy.scalePrimary != false }

    /// The primary replicas that carry all the traffic, when traffic cannot return at once (an
    /// autoscaled primary with fewer ready, or `rollback.stepWeight`); nil when it can.
    func rollbackCapacity(canaryWeight w: Int) -> Int? {
        guard w > 0, let primary = o.primary, let target = o.target, target.readyReplicas > 0 else { return nil }
        guard scalesPrimaryOnRollback else { return rollbackPolicy.stepWeight == nil ? nil : primary.desiredReplicas }
        // The primary carried (100 - w)% with its replicas; all of it needs proportionally more,
        // but never more pods than serve now (primary + canary).
        let serving = primary.desiredReplicas + target.readyReplicas
        let scaled = w >= 100 ? serving
            : Int((Double(primary.desiredReplicas) * 100 / Double(100 - w)).rounded(.up))
        // What carried everything before the release is enough again.
        let need = max(primary.desiredReplicas, min(scaled, serving, s.releasePrimaryReplicas ?? scaled))
        if rollbackPolicy.stepWeight == nil, primary.readyReplicas >= need { return nil }
        return need
    }

    /// Starts a rollback handover: status first (the intent), then the scale-up.
    mutating func beginRollbackHandover(reason: String, canaryWeight w: Int, primaryReplicas need: Int) {
        s.handover = CanaryHandover(kind: .rollback, since: nowText, primaryReplicas: need, reason: reason)
        s.canaryWeight = w
        s.lastStepTime = nowText
        let steps = rollbackPolicy.stepWeight.map { " in steps of \($0)%" } ?? ""
        if scalesPrimaryOnRollback {
            actions.append(.holdPrimaryCapacity(replicas: need))
            event(.normal, "ScalingPrimary",
                  "Scaling \(spec.primaryDeploymentName) to \(need) replicas before it takes back \(w)% of traffic\(steps) (spec.analysis.rollback.scalePrimary; set it to false to return traffic at once)")
        } else {
            event(.normal, "ReturningTraffic", "Returning \(w)% of traffic to \(spec.primaryDeploymentName)\(steps) (spec.analysis.rollback.stepWeight)")
        }
        continueRollbackHandover(s.handover!)
    }

    /// Moves the canary's share back to the primary as its ready replicas allow; ends the
    /// handover when the canary carries nothing, or at the deadline.
    mutating func continueRollbackHandover(_ h: CanaryHandover) {
        let full = max(1, h.primaryReplicas ?? 1)
        // The autoscaler's maximum is all the capacity there can be: at it, everything moves.
        let need = min(full, o.primaryScaleLimit ?? Int.max)
        let ready = o.primary?.readyReplicas ?? 0
        let w = s.canaryWeight ?? 0
        let waited = elapsed(since: h.since) ?? 0
        if o.target == nil || (o.target?.readyReplicas ?? 0) == 0 {
            endRollbackHandover(h, note: "the canary has no ready replicas left")
            return
        }
        if waited >= deadline {
            endRollbackHandover(h, note: "\(spec.primaryDeploymentName) had \(ready)/\(need) replicas ready after progressDeadlineSeconds \(spec.effectiveProgressDeadlineSeconds)",
                                warning: true)
            return
        }
        // The primary takes the share its ready replicas carry; the canary's only goes down.
        let carried = ready >= need ? 100 : min(100, ready * 100 / full)
        var next = min(w, 100 - carried)
        var stepWait: Double?
        if let step = rollbackPolicy.stepWeight {
            let (due, remaining) = stepDue()
            if due {
                next = min(w, max(next, w - step))
                s.lastStepTime = nowText
                stepWait = interval
            } else {
                next = w
                stepWait = remaining
            }
        }
        if next <= 0 {
            endRollbackHandover(h, note: nil)
            return
        }
        if next != w {
            event(.normal, "ReturningTraffic", "Returning traffic of \(name) to \(spec.primaryDeploymentName): canary weight \(w) → \(next) (\(ready)/\(need) primary replicas ready)")
        }
        s.canaryWeight = next
        routeTo(desiredRoute())
        s.message = "Rolling back: \(h.reason); \(spec.primaryDeploymentName) has \(ready)/\(need) replicas ready, canary weight \(next)%"
        requeue = min(stepWait ?? decider.pollSeconds, decider.pollSeconds, max(0.001, deadline - waited))
    }

    mutating func endRollbackHandover(_ h: CanaryHandover, note: String?, warning: Bool = false) {
        s.handover = nil
        s.canaryWeight = 0
        routeTo(.primaryOnly)
        actions.append(.scaleTargetToZero)
        if scalesPrimaryOnRollback { actions.append(.releasePrimaryCapacity) }
        s.message = "Rolled back: \(h.reason)"
        if let note {
            event(warning ? .warning : .normal, warning ? "RollbackDeadline" : "TrafficReturned",
                  "All traffic of \(name) returned to \(spec.primaryDeploymentName): \(note)")
        } else {
            event(.normal, "TrafficReturned", "All traffic of \(name) returned to \(spec.primaryDeploymentName)")
        }
        event(.warning, "Failed", "Canary failed! Scaling down \(name)")
        notifyPostRollout()
        requeue = interval
    }

    /// The promoted primary did not become ready in time: keep the canary (the analysed
    /// revision) serving, never route to the primary and scale the canary away.
    mutating func holdPromotion(ready: Int, desired: Int) {
        let reason = "\(spec.primaryDeploymentName) did not roll out the promoted revision within progressDeadlineSeconds \(spec.effectiveProgressDeadlineSeconds) (\(ready)/\(desired) replicas ready)"
        s.handover = CanaryHandover(kind: .promotionHold, since: nowText, reason: reason)
        // With no ready primary pod the canary is the only copy that serves.
        if ready == 0 { s.canaryWeight = 100 }
        s.notReadySince = nil
        s.message = "Promotion halted: \(reason); \(spec.targetRef.name) keeps serving \(s.canaryWeight ?? 0)% until the primary is ready (serin retry promotes again)"
        transition(.failed)
        event(.warning, "PromotionHalted", "Promotion of \(name) halted: \(reason); the canary keeps serving \(s.canaryWeight ?? 0)% of traffic instead of the primary")
        routeTo(desiredRoute())
        requeue = decider.pollSeconds
    }

    /// While the promotion is held: resume it once the primary is ready, promote again on
    /// `retry`; a newer revision waits (the canary must keep serving the analysed one).
    mutating func continuePromotionHold(_ h: CanaryHandover, checksum: String, retry: Bool) {
        let promoted = s.lastAppliedSpec
        if retry, let p = promoted {
            event(.normal, "Retry", "Promoting \(name) again as requested by \(CanaryAnnotations.retry)")
            s.handover = nil
            s.notReadySince = nowText
            actions.append(.promote(checksum: p))
            transition(.promoting)
            s.message = "Promoting \(spec.primaryDeploymentName)"
            routeTo(desiredRoute())
            requeue = decider.pollSeconds
            return
        }
        if o.primaryChecksum == promoted, let primary = o.primary,
           primary.isReady(thresholdPercent: analysis.effectivePrimaryReadyThreshold) {
            event(.normal, "PromotionResumed", "\(spec.primaryDeploymentName) is ready: resuming the promotion of \(name)")
            s.handover = nil
            s.notReadySince = nowText
            transition(.promoting)
            promoting(checksum: checksum, abort: false)
            return
        }
        routeTo(desiredRoute())
        let counts = o.primary.map { "\($0.readyReplicas)/\($0.desiredReplicas) replicas ready" } ?? "missing"
        var text = "Promotion halted: \(h.reason); now \(counts); \(spec.targetRef.name) keeps serving \(s.canaryWeight ?? 0)% (serin retry promotes again)"
        if checksum != s.lastAppliedSpec { text += "; the new revision waits until then" }
        s.message = text
        requeue = decider.pollSeconds
    }
}
