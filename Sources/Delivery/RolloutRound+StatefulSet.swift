import Foundation
import KubeCore
import SerinAPI

/// The canary strategy over a workloadRef StatefulSet: its pods are updated in place, from the
/// highest ordinal down, as far as `updateStrategy.rollingUpdate.partition` lets them. A
/// setWeight of W% lowers the partition so W% of the replicas (rounded up) run the new
/// revision; pause and analysis steps hold it there; promotion takes it to 0. At rest the
/// partition stays at the replica count, so a new template waits for the Rollout. An abort
/// raises it back and deletes the updated pods one at a time (each comes back at the current
/// revision). No traffic is routed: the pods serve behind the StatefulSet's own Service.
extension RolloutRound {
    mutating func statefulSetCanary(_ c: RolloutCanaryStrategy, _ sts: RolloutStatefulSetState) {
        let steps = c.effectiveSteps
        let total = sts.replicas
        if s.canary == nil { s.canary = RolloutCanaryStatus() }
        statefulSetCounts(sts)
        if sts.onDelete {
            invalid = "StatefulSet \(sts.name) has updateStrategy.type OnDelete: the Rollout moves pods with the partition of a RollingUpdate; set updateStrategy.type: RollingUpdate"
            holding = true
            return
        }
        // The Rollout's replicas, when it sets them, are the StatefulSet's (as Argo's Rollout owns the pod count).
        if let want = spec.replicas, want != sts.replicas {
            actions.append(.scaleWorkload(name: sts.name, replicas: want))
            event(.normal, "ScalingStatefulSet", "Scaled StatefulSet \(sts.name) from \(sts.replicas) to \(want) (spec.replicas)")
        }
        let stepsHash = Self.stepsHash(steps)
        if s.currentStepHash != stepsHash {
            if s.currentStepHash != nil, updating, s.abort != true {
                s.currentStepIndex = 0
                event(.normal, "RolloutStepsChanged", "The steps of \(name) changed: starting them again from step 1")
            }
            s.currentStepHash = stepsHash
        }

        guard updating else {
            // Every pod runs the current revision: hold the partition for the next template.
            setPartition(sts, total)
            s.currentStepIndex = steps.count
            if sts.observed && sts.updatedReplicas >= total && sts.availableReplicas >= total {
                complete = true
            } else {
                waitingForPods = true
                doing = "waiting for StatefulSet \(sts.name): \(sts.availableReplicas)/\(total) pods available"
                wake(after: decider.pollSeconds)
            }
            return
        }
        if s.abort == true {
            statefulSetAborted(sts)
            return
        }

        var index = min(max(0, s.currentStepIndex ?? 0), steps.count)
        if s.promoteFull == true { index = steps.count }
        while index < steps.count {
            let outcome = statefulSetStep(c, index: index, sts)
            if case .abort(let why) = outcome {
                abort(why)
                s.currentStepIndex = index
                statefulSetAborted(sts)
                return
            }
            guard outcome == .done else { break }
            event(.normal, "RolloutStepCompleted", "Rollout step \(index + 1)/\(steps.count) completed (\(Self.describe(steps[index])))")
            if steps[index].analysis != nil { setRunStatus(.step, nil) }
            index += 1
            s.currentStepIndex = index
            s.controllerPause = nil
            s.pauseConditions = (s.pauseConditions ?? []).filter {
                $0.reason != RolloutPauseReason.canaryPauseStep && $0.reason != RolloutPauseReason.inconclusiveAnalysis
            }
            if s.pauseConditions?.isEmpty == true { s.pauseConditions = nil }
        }
        s.currentStepIndex = index

        if let bg = c.analysis, index >= (bg.startingStep ?? 0), s.promoteFull != true {
            switch analysisGate(.background, bg) {
            case .failed(let why):
                abort(why)
                statefulSetAborted(sts)
                return
            case .inconclusive(let why):
                addPause(RolloutPauseReason.inconclusiveAnalysis, "Rollout \(w.name) is paused: \(why)")
            case .passed, .waiting:
                break
            }
        }

        let want = updatedPods(c, index: index, total: total)
        setPartition(sts, total - want)
        if index >= steps.count {
            doing = "promoting: StatefulSet \(sts.name) has \(sts.updatedReplicas)/\(total) pods at revision \(podHash)"
            waitingForPods = true
            wake(after: decider.pollSeconds)
        } else if !(sts.observed && sts.updatedReplicas >= want) {
            waitingForPods = true
            wake(after: decider.pollSeconds)
        }
    }

    /// Pods the steps up to `index` want at the new revision: the last setWeight's share of
    /// the replicas, rounded up (all of them past the last step).
    func updatedPods(_ c: RolloutCanaryStrategy, index: Int, total: Int) -> Int {
        let steps = c.effectiveSteps
        guard index < steps.count else { return total }
        let weight = steps[0...index].last { $0.setWeight != nil }?.setWeight ?? 0
        return weight <= 0 ? 0 : min(total, Int((Double(total) * Double(weight) / 100).rounded(.up)))
    }

    /// Whether step `index` is complete: a setWeight once its pods run the new revision and are
    /// available (or as many as replicaProgressThreshold asks); pause and analysis as for ReplicaSets.
    mutating func statefulSetStep(_ c: RolloutCanaryStrategy, index: Int, _ sts: RolloutStatefulSetState) -> StepOutcome {
        let step = c.effectiveSteps[index]
        guard step.setWeight != nil, !promoteRequested else {
            let none = RolloutReplicaSetState(name: sts.name, podHash: podHash, revision: newRevision, replicas: 0)
            return stepOutcome(c, index: index, newRS: none, stable: none)
        }
        let want = updatedPods(c, index: index, total: sts.replicas)
        let needed = c.progressThreshold(at: index)?.requiredPods(of: want) ?? want
        let placed = sts.observed && sts.partition == sts.replicas - want && sts.updatedReplicas >= want
        let ok = placed && sts.updatedAvailable >= needed
        if !ok {
            doing = "waiting for step \(index + 1) (\(Self.describe(step))): \(sts.updatedAvailable)/\(want) pods of StatefulSet \(sts.name) at revision \(podHash) available"
        }
        return ok ? .done : .wait
    }

    /// The partition back at the replica count, then the updated pods deleted one at a time,
    /// each once every pod is available again (the StatefulSet recreates it at the current revision).
    mutating func statefulSetAborted(_ sts: RolloutStatefulSetState) {
        setPartition(sts, sts.replicas)
        guard sts.updatedReplicas > 0 else { return }
        doing = "rolling back: \(sts.updatedReplicas) pods of StatefulSet \(sts.name) still run revision \(podHash)"
        if sts.observed, sts.partition == sts.replicas, sts.availableReplicas >= sts.replicas {
            actions.append(.revertStatefulSetPod(name: sts.name, revision: sts.updateRevision))
        }
        wake(after: decider.pollSeconds)
    }

    mutating func setPartition(_ sts: RolloutStatefulSetState, _ partition: Int) {
        let p = max(0, partition)
        guard p != sts.partition else { return }
        actions.append(.setPartition(name: sts.name, partition: p))
        event(.normal, "PartitionSet", "StatefulSet \(sts.name): partition \(sts.partition) → \(p) (\(sts.replicas - p)/\(sts.replicas) pods at revision \(podHash))")
    }

    /// The `/scale` view and status counts from the StatefulSet.
    mutating func statefulSetCounts(_ sts: RolloutStatefulSetState) {
        s.replicas = sts.replicas
        s.readyReplicas = sts.readyReplicas
        s.availableReplicas = sts.availableReplicas
        s.updatedReplicas = sts.updatedReplicas
        s.hpaReplicas = sts.replicas
        s.selector = RolloutReplicaSets.selectorString(spec.selector)
    }
}
