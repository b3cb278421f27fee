import Foundation
import KubeCore
import SerinAPI

extension RolloutRound {
    mutating func run() {
        defer { finish() }
        s.observedGeneration = w.generation ?? s.observedGeneration

        let problems = spec.validate()
        guard problems.isEmpty else {
            invalid = problems.map(\.description).joined(separator: "; ")
            if old.conditions?[type: RolloutStatus.invalidSpecCondition]?.message != invalid {
                event(.warning, "InvalidSpec", "Invalid spec for \(name): \(invalid!)")
            }
            holding = true
            return
        }
        guard let template = w.template else {
            let ref = spec.workloadRef?.name ?? ""
            let kind = spec.workloadRef?.kind ?? "Deployment"
            doing = "workloadRef \(kind) \(ref) not found in \(w.namespace)"
            if old.message != "WorkloadNotFound: \(doing!)" {
                event(.warning, "WorkloadNotFound", "The \(kind) \(ref) named by workloadRef of \(name) does not exist")
            }
            invalid = nil
            holding = true
            missingWorkload = true
            wake(after: decider.pollSeconds)
            return
        }

        // Manual control: each new annotation value acts once.
        let undoValue = manualRequest(ManualControlAnnotations.undo) ? w.annotations[ManualControlAnnotations.undo] : nil
        let abortNow = manualRequest(ManualControlAnnotations.abort)
        let retryNow = manualRequest(ManualControlAnnotations.retry)
        let promoteFullNow = manualRequest(ManualControlAnnotations.promoteFull)
        promoteRequested = manualRequest(ManualControlAnnotations.promote)
        let restartNow = manualRequest(ManualControlAnnotations.restart)

        if let sts = w.statefulSet {
            guard !sts.updateRevision.isEmpty else {
                doing = "waiting for StatefulSet \(sts.name) to report its revisions"
                keepRuns = Set(w.runs.keys)  // nothing is decided about the runs meanwhile
                wake(after: decider.pollSeconds)
                return
            }
            // The StatefulSet's revisions are the Rollout's: updateRevision is rolled out over
            // currentRevision (the stable one).
            podHash = sts.updateRevision
            newRevision = sts.generation
            detectUpdate(specHash: sts.updateRevision)
            s.stableRS = sts.currentRevision
            if undoValue != nil {
                event(.warning, "UndoNotSupported",
                      "Undo is not supported with a StatefulSet workloadRef: write the previous pod template into StatefulSet \(sts.name)")
            }
        } else {
            let resolved = RolloutReplicaSets.resolveHash(
                template: template, collisionCount: s.collisionCount, existing: w.replicaSets,
                currentSpecHash: s.specTemplateHash, currentPodHash: s.currentPodHash, undoTarget: s.fastTrackHash)
            podHash = resolved.podHash
            newRevision = revision(for: podHash)
            detectUpdate(specHash: resolved.specHash)
            if let value = undoValue, undo(value) { return }
            if undoValue == nil, resumeUndo() { return }
        }
        if restartNow { s.restartRequestedAt = nowText }
        if s.abort == true && s.abortedAt == nil {
            // status.abort set by hand (Argo's CLI does this).
            s.abort = nil
            if updating { abort("aborted by setting status.abort") }
        }
        if abortNow {
            if updating && s.abort != true {
                abort("aborted by the \(ManualControlAnnotations.abort) annotation")
            } else if !updating {
                event(.normal, "AbortIgnored", "Nothing to abort: \(name) runs its stable revision")
            }
        }
        if retryNow { retry() }
        if promoteFullNow, updating, s.abort != true {
            s.promoteFull = true
            clearPauses()
            event(.normal, "RolloutPromotedFull", "Promoting \(name) fully: skipping the remaining steps and analysis")
        }
        checkProgressDeadline()

        // A manual pause holds everything but an abort (traffic must be able to go back at once).
        let paused = spec.paused == true || w.annotations[ManualControlAnnotations.paused] == "true"
        if paused && s.abort != true {
            holding = true
            doing = spec.paused == true ? "manually paused (spec.paused)"
                : "manually paused by the \(ManualControlAnnotations.paused) annotation"
            if old.conditions?[type: RolloutStatus.pausedCondition]?.status != .true {
                event(.normal, "RolloutPaused", "Rollout \(w.name) is paused: \(doing!)")
            }
            return
        }

        if let sts = w.statefulSet, let c = spec.strategy.canary {
            statefulSetCanary(c, sts)
            return
        }
        ensureNewReplicaSet(template: template)
        if let c = spec.strategy.canary {
            canary(c)
        } else if let b = spec.strategy.blueGreen {
            blueGreen(b)
        }
        scaleDownOthers()
        pruneHistory()
        workloadScaleDown()
        restartPods()
    }

    /// The revision the ReplicaSet of `hash` has or will get (the newest, or one above it).
    func revision(for hash: String) -> Int {
        let top = w.maxRevision
        if let rs = w.replicaSet(hash: hash), rs.revision == top, top > 0 { return top }
        return top + 1
    }

    // MARK: - A new template

    mutating func detectUpdate(specHash: String) {
        s.specTemplateHash = specHash
        guard s.currentPodHash != podHash else { return }
        let first = s.currentPodHash == nil && s.stableRS == nil
        let undoTarget = s.fastTrackHash
        s.currentPodHash = podHash
        s.currentStepIndex = spec.strategy.canary != nil ? 0 : nil
        s.pauseConditions = nil
        s.controllerPause = nil
        s.abort = nil
        s.abortedAt = nil
        s.promoteFull = nil
        s.fastTrackHash = nil
        s.previewReadyTime = nil
        s.lastProgressTime = nowText
        s.message = nil
        if s.canary != nil {
            s.canary?.currentStepAnalysisRunStatus = nil
            s.canary?.currentBackgroundAnalysisRunStatus = nil
        }
        if s.blueGreen != nil {
            s.blueGreen?.prePromotionAnalysisRunStatus = nil
            s.blueGreen?.postPromotionAnalysisRunStatus = nil
            s.blueGreen?.scaleUpPreviewCheckPoint = nil
        }
        if first { return }
        event(.normal, "RolloutUpdated", "Rollout updated to revision \(newRevision)")
        guard s.stableRS != podHash else { return }
        // Fast track: an undo to a revision that was stable, or a revision inside rollbackWindow.
        let target = w.replicaSet(hash: podHash)
        let undoToStable = undoTarget == podHash && target?.wasStable == true
        var inWindow = false
        if let n = spec.rollbackWindow?.revisions, n > 0, let t = target {
            inWindow = t.revision > 0 && t.revision >= w.maxRevision - (n - 1)
        }
        if undoToStable || inWindow {
            s.promoteFull = true
            let why = undoToStable ? "an undo to a revision that was stable" : "a rollback inside rollbackWindow"
            event(.normal, "RolloutFastTracked", "Skipping steps and analysis for revision \(newRevision) (\(podHash)): \(why)")
        }
    }

    // MARK: - Manual control

    /// Rolls the template back to an earlier revision; true when it wrote the template (decide again then).
    mutating func undo(_ annotation: String) -> Bool {
        // `N@token` or `previous@token`: the token only makes a repeated request a new value.
        let value = String(annotation.split(separator: "@", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
        let currentRevision = w.replicaSet(hash: podHash)?.revision ?? w.maxRevision + 1
        let target: RolloutReplicaSetState?
        if let n = Int(value), n > 0 {
            target = w.replicaSets.first { $0.revision == n }
        } else {
            target = w.replicaSets.filter { $0.revision < currentRevision && $0.podHash != podHash }
                .max { $0.revision < $1.revision }
        }
        guard let target, target.podHash != podHash else {
            event(.warning, "UndoFailed", "Cannot undo \(name) to revision \(value): no such earlier revision in the history")
            return false
        }
        guard spec.workloadRef == nil else {
            event(.warning, "UndoFailed", "Cannot undo \(name): its pod template comes from workloadRef; roll the Deployment back instead")
            return false
        }
        actions.append(.setPodTemplate(RolloutReplicaSets.strippingHash(target.template)))
        s.fastTrackHash = target.podHash
        event(.normal, "RolloutUndo", "Rolling \(name) back to revision \(target.revision) (\(target.podHash))")
        wake(after: 0)
        return true
    }

    /// An undo whose template write was lost (status is written first): `fastTrackHash` still
    /// set after `detectUpdate` means the template has not changed since, so write it again.
    mutating func resumeUndo() -> Bool {
        guard let hash = s.fastTrackHash, hash != podHash, spec.workloadRef == nil,
              let target = w.replicaSet(hash: hash) else { return false }
        actions.append(.setPodTemplate(RolloutReplicaSets.strippingHash(target.template)))
        wake(after: 0)
        return true
    }

    mutating func retry() {
        guard s.abort == true else {
            event(.normal, "RetryIgnored", "Nothing to retry: \(name) is not aborted")
            return
        }
        s.abort = nil
        s.abortedAt = nil
        s.message = nil
        s.pauseConditions = nil
        s.controllerPause = nil
        s.releaseAttempt = (s.releaseAttempt ?? 0) + 1
        s.lastProgressTime = nowText
        if spec.strategy.canary != nil { s.currentStepIndex = 0 }
        s.canary?.currentStepAnalysisRunStatus = nil
        s.canary?.currentBackgroundAnalysisRunStatus = nil
        s.blueGreen?.prePromotionAnalysisRunStatus = nil
        s.blueGreen?.postPromotionAnalysisRunStatus = nil
        s.blueGreen?.scaleUpPreviewCheckPoint = nil
        s.previewReadyTime = nil
        event(.normal, "RolloutRetry", "Retrying the update of \(name) to revision \(newRevision) from the start")
    }

    mutating func checkProgressDeadline() {
        guard updating, s.abort != true, let since = elapsed(since: s.lastProgressTime) else { return }
        let limit = Double(spec.effectiveProgressDeadlineSeconds)
        guard since > limit else { return }
        deadlineExceeded = true
        if old.conditions?[type: RolloutStatus.progressingCondition]?.reason != "ProgressDeadlineExceeded" {
            event(.warning, "ProgressDeadlineExceeded",
                  "Rollout \(name) made no progress for \(spec.effectiveProgressDeadlineSeconds)s updating to revision \(newRevision)")
        }
        if spec.progressDeadlineAbort == true {
            abort("no progress for \(spec.effectiveProgressDeadlineSeconds)s (progressDeadlineSeconds)")
            deadlineExceeded = false
        }
    }

    // MARK: - Housekeeping

    /// ReplicaSets neither new nor stable nor handled by the strategy: scaled to zero after the
    /// strategy's delay (blue-green and canary with a router keep them scaleDownDelaySeconds).
    mutating func scaleDownOthers() {
        let delay: Int
        if let b = spec.strategy.blueGreen {
            delay = b.effectiveScaleDownDelaySeconds
        } else if let c = spec.strategy.canary, c.trafficRouting != nil {
            delay = c.effectiveScaleDownDelaySeconds
        } else {
            delay = 0
        }
        for rs in w.replicaSets.sorted(by: { $0.revision > $1.revision })
        where !claimed.contains(rs.name) && rs.podHash != podHash && rs.podHash != s.stableRS {
            scaleDownAfter(rs, delay: delay)
        }
    }

    /// Keeps `revisionHistoryLimit` old ReplicaSets (scaled to zero) for undo; deletes older ones.
    mutating func pruneHistory() {
        let old = w.replicaSets.filter {
            $0.podHash != podHash && $0.podHash != s.stableRS && !claimed.contains($0.name)
                && effectiveReplicas($0) == 0 && $0.statusReplicas == 0 && deadline($0) == nil
        }.sorted { $0.revision > $1.revision }
        for rs in old.dropFirst(spec.effectiveRevisionHistoryLimit) {
            actions.append(.deleteReplicaSet(name: rs.name))
        }
    }

    /// workloadRef.scaleDown: the referenced Deployment gives way as the Rollout takes over.
    mutating func workloadScaleDown() {
        guard let ref = spec.workloadRef, let d = w.workload, let mode = ref.effectiveScaleDown else { return }
        let available = w.replicaSets.reduce(0) { $0 + $1.available }
        var target: Int?
        switch mode {
        case .never: target = nil
        case .onsuccess: target = complete ? 0 : nil
        case .progressively: target = max(0, replicas - available)
        }
        // A failed Rollout hands the pods back to the Deployment.
        if s.abort == true || deadlineExceeded, mode != .never { target = max(d.replicas, replicas) }
        if let t = target, t != d.replicas {
            actions.append(.scaleWorkload(name: d.name, replicas: t))
            event(.normal, "ScalingDeployment", "Scaled Deployment \(d.name) from \(d.replicas) to \(t) (workloadRef.scaleDown \(mode.rawValue))")
        }
    }

    /// spec.restartAt or the restart annotation: pods created before that time are replaced, a
    /// few at a time, while the ReplicaSets are fully available.
    mutating func restartPods() {
        var at = KubeTime.parse(s.restartRequestedAt)
        if let t = KubeTime.parse(spec.restartAt), t <= now, KubeTime.parse(s.restartedAt).map({ $0 < t }) ?? true {
            at = max(at ?? t, t)
        }
        guard let at, KubeTime.parse(s.restartedAt).map({ $0 < at }) ?? true else {
            s.restartRequestedAt = nil
            return
        }
        let text = KubeTime.format(at)
        guard let left = w.podsToRestart else {
            wake(after: decider.pollSeconds)
            return
        }
        if left == 0 {
            s.restartedAt = text
            s.restartRequestedAt = nil
            event(.normal, "RolloutRestarted", "Restarted every pod of \(name) created before \(text)")
            return
        }
        let allReady = w.replicaSets.allSatisfy { $0.replicas == 0 || $0.isFullyAvailable(at: $0.replicas) }
        if allReady {
            let (_, unavailable) = RolloutReplicaMath.surgeAndUnavailable(
                total: replicas, maxSurge: spec.strategy.canary?.maxSurge,
                maxUnavailable: spec.strategy.canary?.maxUnavailable ?? spec.strategy.blueGreen?.maxUnavailable)
            actions.append(.restartPods(before: text, count: max(1, unavailable)))
        }
        wake(after: decider.pollSeconds)
    }

    // MARK: - Finish: counts, phase, conditions

    mutating func finish() {
        if var rs = creating, let n = newRS.map({ effectiveReplicas($0) }) {
            rs[path: ["spec", "replicas"]] = .int(Int64(n))
            actions.insert(.createReplicaSet(rs), at: 0)
        }
        if !holding {
            housekeepRuns()
            housekeepExperiments()
        }
        counts()

        var conditions = s.conditions ?? []
        let gen = w.generation
        // An unchanged condition keeps its times, so a reconcile that changes nothing writes nothing.
        func set(_ type: String, _ status: Condition.Status, _ reason: String, _ message: String, update: String? = nil) {
            if let c = conditions[type: type], c.status == status, c.reason == reason, c.message == message,
                c.observedGeneration == gen, update == nil || c.lastUpdateTime == update {
                return
            }
            conditions.set(Condition(type: type, status: status, reason: reason, message: message,
                                     lastTransitionTime: nowText, lastUpdateTime: update ?? nowText, observedGeneration: gen))
        }
        if let invalid {
            set(RolloutStatus.invalidSpecCondition, .true, "InvalidSpec", invalid)
        } else {
            conditions.removeAll { $0.type == RolloutStatus.invalidSpecCondition }
        }

        let manualPause = invalid == nil && holding && !missingWorkload
        let paused = manualPause || s.isPausedByCondition
        let aborted = s.abort == true
        let rsName = newRS?.name ?? RolloutReplicaSets.name(rollout: w.name, hash: podHash)

        // Progress clock: runs only while the update waits on pods.
        let moved = s.currentStepIndex != old.currentStepIndex || s.availableReplicas != old.availableReplicas
            || s.updatedReplicas != old.updatedReplicas || s.stableRS != old.stableRS
            || s.currentPodHash != old.currentPodHash
        // Set when a wait for pods begins or something moved; absent when not waiting.
        if !waitingForPods || paused || aborted || complete {
            s.lastProgressTime = nil
        } else if moved || s.lastProgressTime == nil {
            s.lastProgressTime = nowText
        }
        if waitingForPods, !deadlineExceeded, let since = elapsed(since: s.lastProgressTime) {
            wake(after: Double(spec.effectiveProgressDeadlineSeconds) - since + 1)
        }

        let phase: RolloutPhase
        var message: String
        if let invalid {
            phase = .degraded
            message = "InvalidSpec: \(invalid)"
        } else if missingWorkload {
            phase = .degraded
            message = "WorkloadNotFound: \(doing ?? "")"
        } else if aborted {
            phase = .degraded
            message = s.message?.hasPrefix("RolloutAborted") == true ? s.message! : "RolloutAborted: Rollout aborted update to revision \(newRevision)"
        } else if !missingServices.isEmpty {
            phase = .degraded
            message = "ServiceNotFound: Service \(missingServices.joined(separator: ", ")) not found in \(w.namespace)"
            if old.phase != .degraded || old.message != message {
                event(.warning, "ServiceNotFound", "The Service \(missingServices.joined(separator: ", ")) named by \(name) does not exist")
            }
            wake(after: decider.pollSeconds)
        } else if deadlineExceeded {
            phase = .degraded
            message = "ProgressDeadlineExceeded: ReplicaSet \(rsName) has timed out progressing."
        } else if manualPause {
            phase = .paused
            message = doing ?? "manually paused"
        } else if let p = s.pauseConditions?.first {
            phase = .paused
            message = p.reason
        } else if !complete {
            phase = .progressing
            message = doing ?? "more replicas need to be updated"
        } else {
            phase = .healthy
            message = ""
        }
        s.phase = phase
        s.message = message.isEmpty ? nil : message

        // Conditions (Argo's types).
        if invalid == nil {
            if aborted {
                set(RolloutStatus.progressingCondition, .false, "RolloutAborted", message)
            } else if deadlineExceeded {
                set(RolloutStatus.progressingCondition, .false, "ProgressDeadlineExceeded", message)
            } else if paused {
                set(RolloutStatus.progressingCondition, .unknown, "RolloutPaused", "Rollout is paused")
            } else if complete {
                set(RolloutStatus.progressingCondition, .true, "NewReplicaSetAvailable",
                    "ReplicaSet \"\(rsName)\" has successfully progressed.")
            } else {
                set(RolloutStatus.progressingCondition, .true, "ReplicaSetUpdated", "ReplicaSet \"\(rsName)\" is progressing.",
                    update: s.lastProgressTime)
            }
        }
        let available = (s.availableReplicas ?? 0) >= replicas
        set(RolloutStatus.availableCondition, available ? .true : .false,
            available ? "AvailableReason" : "MinimumReplicasUnavailable",
            available ? "Rollout has minimum availability" : "Rollout does not have minimum availability")
        if paused {
            set(RolloutStatus.pausedCondition, .true, "RolloutPaused", "Rollout is paused")
        } else if conditions[type: RolloutStatus.pausedCondition] != nil {
            set(RolloutStatus.pausedCondition, .false, "RolloutResumed", "Rollout is resumed")
        }
        set(RolloutStatus.healthyCondition, phase == .healthy ? .true : .false,
            phase == .healthy ? "RolloutHealthy" : "RolloutNotHealthy",
            phase == .healthy ? "Rollout is healthy" : "Rollout is not healthy")
        let done = complete && invalid == nil
        set(RolloutStatus.completedCondition, done ? .true : .false,
            done ? "RolloutCompleted" : "RolloutNotCompleted",
            done ? "Rollout completed update to revision \(newRevision) (\(podHash))" : "Rollout not completed")
        // kstatus: Ready when healthy; Stalled when degraded (it needs a person); else Reconciling.
        let readiness: Readiness
        switch phase {
        case .healthy: readiness = .ready(message: "Rollout is healthy")
        case .degraded:
            let reason = message.split(separator: ":").first.map(String.init) ?? "Degraded"
            readiness = .stalled(reason: reason, message: message)
        case .paused: readiness = .reconciling(reason: "RolloutPaused", message: message)
        default: readiness = .reconciling(reason: "RolloutProgressing", message: message)
        }
        conditions.setReadiness(readiness, at: nowText, generation: gen)
        s.conditions = conditions
    }

    /// Replica counts over the Rollout's ReplicaSets; the `/scale` view's count and selector.
    mutating func counts() {
        let all = w.replicaSets
        guard !all.isEmpty || newRS != nil else { return }
        s.replicas = all.reduce(0) { $0 + $1.statusReplicas }
        s.readyReplicas = all.reduce(0) { $0 + $1.readyReplicas }
        s.availableReplicas = all.reduce(0) { $0 + min($1.availableReplicas, $1.statusReplicas) }
        s.updatedReplicas = w.replicaSet(hash: podHash)?.statusReplicas ?? 0
        var selector = spec.selector
        if spec.strategy.blueGreen != nil, let active = s.blueGreen?.activeSelector {
            // An HPA measures the pods behind the active Service only (as Argo does).
            selector?[path: ["matchLabels", RolloutLabels.podTemplateHash]] = .string(active)
            s.hpaReplicas = w.replicaSet(hash: active)?.statusReplicas ?? 0
        } else {
            s.hpaReplicas = s.replicas
        }
        s.selector = RolloutReplicaSets.selectorString(selector)
    }
}
