import Foundation
import KubeCore
import SerinAPI
import Traffic

extension DecisionRound {
    mutating func run() {
        defer { finish() }
        if o.deleting {
            onDeletion()
            return
        }
        if spec.revertOnDeletion == true, !o.hasFinalizer { actions.append(.addFinalizer) }
        if spec.revertOnDeletion != true, o.hasFinalizer { actions.append(.removeFinalizer) }

        guard specIsValid() else { return }
        if spec.suspend == true {
            ensureRouting = false
            wait("suspend", "\(name) is suspended: no action is taken and traffic stays as it is", reason: "Suspended")
            return
        }
        // The annotation is the GitOps-safe twin of spec.suspend (`serin pause` writes it).
        if o.annotations[CanaryAnnotations.paused] == "true" {
            ensureRouting = false
            wait("suspend", "\(name) is paused by the \(CanaryAnnotations.paused) annotation: no action is taken and traffic stays as it is; remove it (serin resume) to continue",
                 reason: "Paused")
            return
        }
        if s.waitingFor == "suspend" { clearWait() }

        guard o.target != nil, let checksum = o.releaseChecksum else {
            targetMissing()
            return
        }
        clearWait("target")

        // Manual control: each new annotation value acts once.
        let promoteNow = manualRequest(CanaryAnnotations.promote)
        let abortNow = manualRequest(CanaryAnnotations.abort)
        let retryNow = manualRequest(CanaryAnnotations.retry)

        switch s.phase {
        case nil, .initializing?:
            initialize(checksum: checksum)
        case .initialized?, .succeeded?, .failed?, .terminating?, .terminated?:
            steady(checksum: checksum, retry: retryNow)
        case .waiting?:
            waitingForRollout(checksum: checksum, abort: abortNow)
        case .progressing?, .waitingPromotion?:
            progressing(checksum: checksum, promote: promoteNow, abort: abortNow)
        case .promoting?:
            promoting(checksum: checksum, abort: abortNow)
        case .finalising?:
            finalising()
        }
    }

    // MARK: - Guards

    mutating func specIsValid() -> Bool {
        let problems = spec.validate(defaultProvider: decider.defaultProvider) + o.missingReferences
        var conditions = s.conditions ?? []
        defer { s.conditions = conditions }
        guard problems.isEmpty else {
            let text = problems.map(\.description).joined(separator: "; ")
            let before = old.conditions?[type: CanaryStatus.specValidCondition]
            if before?.status != .false || before?.message != text {
                event(.warning, "InvalidSpec", "Invalid spec for \(name): \(text)")
            }
            conditions.set(Condition(type: CanaryStatus.specValidCondition, status: .false, reason: "InvalidSpec",
                                     message: text, lastTransitionTime: nowText, observedGeneration: o.generation))
            s.message = "invalid spec: \(text)"
            ensureRouting = false
            // A spec change (a watch event) fixes a bad spec; a missing object may appear later.
            requeue = o.missingReferences.isEmpty ? nil : interval
            return false
        }
        conditions.set(Condition(type: CanaryStatus.specValidCondition, status: .true, reason: "Valid",
                                 message: "The spec is valid", lastTransitionTime: nowText,
                                 observedGeneration: o.generation))
        return true
    }

    mutating func targetMissing() {
        let text = "target Deployment \(spec.targetRef.name) not found in \(o.namespace)"
        if let phase = s.phase, phase.isActive, phase != .promoting, phase != .finalising {
            rollback("the target Deployment \(spec.targetRef.name) disappeared")
            return
        }
        wait("target", text, kind: .warning, reason: "TargetNotFound")
        if s.phase == nil {
            // Never delivered: say which field names the missing Deployment (cleared when it appears).
            var conditions = s.conditions ?? []
            conditions.set(Condition(type: CanaryStatus.specValidCondition, status: .false, reason: "TargetNotFound",
                                     message: "spec.targetRef.name: Deployment \(spec.targetRef.name) not found in \(o.namespace); create it or fix spec.targetRef.name",
                                     lastTransitionTime: nowText, observedGeneration: o.generation))
            s.conditions = conditions
        }
        ensureRouting = s.phase != nil
        requeue = interval
    }

    // MARK: - Initialization and steady states

    mutating func initialize(checksum: String) {
        if s.phase == nil {
            transition(.initializing)
            event(.normal, "Initializing", "Initializing \(name): creating \(spec.primaryDeploymentName) and the Services")
        }
        actions.append(.initializePrimary)
        actions.append(.reconcileRouting)
        let threshold = analysis.effectivePrimaryReadyThreshold
        guard let primary = o.primary, primary.isReady(thresholdPercent: threshold) else {
            let counts = o.primary.map { "\($0.readyReplicas)/\($0.desiredReplicas) replicas ready" } ?? "not created yet"
            wait("primary-ready", "Waiting for \(spec.primaryDeploymentName) to be ready: \(counts)", quiet: true)
            requeue = decider.pollSeconds
            return
        }
        routeTo(.primaryOnly)
        actions.append(.scaleTargetToZero)
        resetRelease()
        s.releaseStartTime = nil
        s.lastAppliedSpec = checksum
        s.lastPromotedSpec = checksum
        clearWait()
        s.message = "Initialization done: \(spec.primaryDeploymentName) serves all traffic"
        transition(.initialized)
        event(.normal, "Initialized", "Initialization done! \(name)")
        requeue = interval
    }

    mutating func steady(checksum: String, retry: Bool) {
        if let h = s.handover {
            switch h.kind {
            case .rollback: continueRollbackHandover(h)
            case .promotionHold: continuePromotionHold(h, checksum: checksum, retry: retry)
            }
            return
        }
        if checksum != s.lastAppliedSpec {
            startRelease(checksum: checksum, announce: "New revision detected! Scaling up \(name)")
            return
        }
        if s.phase == .failed, retry {
            event(.normal, "Retry", "Retrying the release of \(name) as requested by \(CanaryAnnotations.retry)")
            startRelease(checksum: checksum, announce: "Scaling up \(name)")
            return
        }
        // Keep the cluster where this phase says it is (a restart or a hand edit may have moved it).
        if o.primary == nil { actions.append(.initializePrimary) }
        routeTo(.primaryOnly)
        if let t = o.target, t.desiredReplicas > 0 { actions.append(.scaleTargetToZero) }
        requeue = interval
    }

    mutating func resetRelease() {
        s.canaryWeight = 0
        s.failedChecks = 0
        s.iterations = 0
        s.mirroring = false
        s.rolloutConfirmed = false
        s.preRolloutPassed = false
        s.lastStepTime = nil
        s.notReadySince = nil
        s.metricResults = nil
        s.releaseStartTime = nowText
    }

    /// A release begins (or restarts): from weight 0, through the confirm-rollout gate.
    /// `announce` is the event emitted when the canary is scaled up.
    mutating func startRelease(checksum: String, announce: String) {
        if let waitsFor = o.releaseSlot?.waitsFor {
            queueRelease(checksum: checksum, waitsFor: waitsFor)
            return
        }
        resetRelease()
        s.queuedSince = nil
        clearWait("release-slot")
        s.lastAppliedSpec = checksum
        if spec.skipAnalysis == true {
            event(.normal, "SkipAnalysis", "Skipping analysis for \(name): promoting")
            beginPromotion()
            return
        }
        guard let confirmed = gate(.confirmRollout) else { return }
        if !confirmed.passed {
            transition(.waiting)
            wait("confirm-rollout", "Halt advancement of \(name), waiting for rollout approval: \(confirmed.why)")
            s.lastStepTime = nowText
            requeue = interval
            return
        }
        s.rolloutConfirmed = true
        s.releasePrimaryReplicas = o.primary?.desiredReplicas
        clearWait()
        event(.normal, "NewRevision", announce)
        routeTo(.primaryOnly)
        actions.append(.scaleTargetUp)
        s.notReadySince = nowText
        s.message = "Scaling up \(spec.targetRef.name) for analysis"
        transition(.progressing)
        requeue = decider.pollSeconds
    }

    /// The concurrency limit is reached: the release waits in `Waiting`, in the order
    /// `queuedSince` gives, and status says for whom.
    mutating func queueRelease(checksum: String, waitsFor: String) {
        if s.queuedSince == nil { s.queuedSince = nowText }
        s.lastAppliedSpec = checksum
        s.lastStepTime = nil
        transition(.waiting)
        wait("release-slot", "Release of \(name) queued: \(waitsFor)", reason: "Queued")
        routeTo(.primaryOnly)
        requeue = min(interval, decider.pollSeconds)
    }

    mutating func waitingForRollout(checksum: String, abort: Bool) {
        if abort {
            rollback("aborted by annotation \(CanaryAnnotations.abort)")
            return
        }
        routeTo(.primaryOnly)
        // Nothing runs on the canary until the rollout is approved.
        if let t = o.target, t.desiredReplicas > 0 { actions.append(.scaleTargetToZero) }
        if checksum != s.lastAppliedSpec { s.lastAppliedSpec = checksum }
        let (due, remaining) = stepDue()
        guard due else {
            requeue = remaining
            return
        }
        startRelease(checksum: checksum, announce: "Rollout of \(name) approved! Scaling up \(name)")
    }

    // MARK: - Analysis

    mutating func progressing(checksum: String, promote: Bool, abort: Bool) {
        if checksum != s.lastAppliedSpec {
            routeTo(.primaryOnly)
            startRelease(checksum: checksum, announce: "New revision detected! Restarting analysis for \(name)")
            return
        }
        if abort {
            rollback("aborted by annotation \(CanaryAnnotations.abort)")
            return
        }
        guard canaryReady() else { return }
        routeTo(desiredRoute())
        if promote {
            event(.normal, "ManualPromotion", "Promotion of \(name) requested by annotation \(CanaryAnnotations.promote)")
            beginPromotion()
            return
        }
        let (due, remaining) = stepDue()
        guard due else {
            requeue = remaining
            return
        }
        analysisStep()
    }

    /// Whether the canary is ready; otherwise waits, or rolls back after the progress deadline.
    mutating func canaryReady() -> Bool {
        guard let target = o.target else { return false }
        if target.isReady(thresholdPercent: analysis.effectiveCanaryReadyThreshold) {
            s.notReadySince = nil
            clearWait("canary-ready")
            return true
        }
        if target.desiredReplicas == 0 { actions.append(.scaleTargetUp) }
        let since = s.notReadySince ?? nowText
        s.notReadySince = since
        let waited = elapsed(since: since) ?? 0
        if waited >= deadline {
            rollback("canary deployment \(spec.targetRef.name) not ready within progressDeadlineSeconds \(spec.effectiveProgressDeadlineSeconds) (\(target.readyReplicas)/\(target.desiredReplicas) replicas ready)")
            return false
        }
        routeTo(desiredRoute())
        wait("canary-ready", "Waiting for \(spec.targetRef.name) to be ready: \(target.readyReplicas)/\(target.desiredReplicas) replicas ready")
        requeue = min(decider.pollSeconds, max(0.001, deadline - waited))
        return false
    }

    mutating func beginPromotion() {
        event(.normal, "Promoting", "Copying \(spec.targetRef.name).\(o.namespace) template spec to \(spec.primaryDeploymentName).\(o.namespace)")
        actions.append(.promote(checksum: s.lastAppliedSpec ?? o.releaseChecksum ?? ""))
        clearWait()
        s.notReadySince = nowText
        s.lastStepTime = nowText
        s.message = "Promoting \(spec.primaryDeploymentName)"
        transition(.promoting)
        requeue = decider.pollSeconds
    }

    // MARK: - Promotion

    mutating func promoting(checksum: String, abort: Bool) {
        let promoted = s.lastAppliedSpec
        if abort {
            event(.warning, "AbortIgnored", "Abort of \(name) ignored: the promotion is already under way")
        }
        if checksum != promoted, o.primaryChecksum != promoted {
            // The target changed before the primary took the analysed revision: analyse the new one.
            routeTo(.primaryOnly)
            startRelease(checksum: checksum, announce: "New revision detected! Restarting analysis for \(name)")
            return
        }
        if o.primaryChecksum != promoted, let p = promoted {
            actions.append(.promote(checksum: p))
        }
        routeTo(desiredRoute())
        guard o.primaryChecksum == promoted,
              let primary = o.primary, primary.isReady(thresholdPercent: analysis.effectivePrimaryReadyThreshold)
        else {
            let counts = o.primary.map { "\($0.readyReplicas)/\($0.desiredReplicas) replicas ready" } ?? "missing"
            let since = s.notReadySince ?? nowText
            s.notReadySince = since
            let waited = elapsed(since: since) ?? 0
            if waited >= deadline {
                clearWait("primary-ready")
                holdPromotion(ready: o.primary?.readyReplicas ?? 0, desired: o.primary?.desiredReplicas ?? 0)
                return
            }
            wait("primary-ready", "Waiting for \(spec.primaryDeploymentName) to roll out the promoted revision: \(counts)")
            requeue = min(decider.pollSeconds, max(0.001, deadline - waited))
            return
        }
        clearWait("primary-ready")
        s.notReadySince = nil
        let w = s.canaryWeight ?? 0
        if let step = analysis.stepWeightPromotion, w > 0, analysis.strategy == .canary {
            let (due, remaining) = stepDue()
            guard due else {
                requeue = remaining
                return
            }
            let next = max(0, w - step)
            s.canaryWeight = next
            s.mirroring = false
            routeTo(desiredRoute())
            s.lastStepTime = nowText
            event(.normal, "AdvancePrimary", "Advance \(name) primary weight \(100 - w) → \(100 - next)")
            if next > 0 {
                requeue = interval
                return
            }
        }
        s.canaryWeight = 0
        s.mirroring = false
        routeTo(.primaryOnly)
        actions.append(.scaleTargetToZero)
        s.message = "Routing all traffic to \(spec.primaryDeploymentName)"
        transition(.finalising)
        event(.normal, "Finalising", "Routing all traffic to primary \(spec.primaryDeploymentName).\(o.namespace)")
        requeue = decider.pollSeconds
    }

    mutating func finalising() {
        routeTo(.primaryOnly)
        if let t = o.target, t.desiredReplicas > 0 {
            actions.append(.scaleTargetToZero)
            requeue = decider.pollSeconds
            return
        }
        s.lastPromotedSpec = s.lastAppliedSpec
        s.message = "Canary analysis completed successfully, promotion finished"
        transition(.succeeded)
        event(.normal, "Succeeded", "Promotion completed! Scaling down \(name)")
        notifyPostRollout()
        requeue = interval
    }

    // MARK: - Rollback and deletion

    mutating func rollback(_ reason: String) {
        let weight = route?.canary ?? s.canaryWeight ?? 0
        s.canaryWeight = 0
        s.mirroring = false
        s.notReadySince = nil
        s.waitingFor = nil
        s.message = "Rolled back: \(reason)"
        event(.warning, "RollingBack", "Rolling back \(name): \(reason)")
        transition(.failed)
        if let need = rollbackCapacity(canaryWeight: weight) {
            beginRollbackHandover(reason: reason, canaryWeight: weight, primaryReplicas: need)
            return
        }
        routeTo(.primaryOnly)
        actions.append(.scaleTargetToZero)
        event(.warning, "Failed", "Canary failed! Scaling down \(name)")
        notifyPostRollout()
        requeue = interval
    }

    mutating func onDeletion() {
        ensureRouting = false
        guard spec.revertOnDeletion == true, o.hasFinalizer else {
            if o.hasFinalizer { actions.append(.removeFinalizer) }
            return
        }
        if s.phase == .terminated {
            actions.append(.removeFinalizer)
            return
        }
        if s.phase != .terminating {
            transition(.terminating)
            event(.normal, "Terminating", "Terminating \(name): restoring \(spec.targetRef.name) and its Service")
        }
        actions.append(.revertTarget)
        if let t = o.target, t.isReady(thresholdPercent: 100) {
            transition(.terminated)
            s.message = "\(spec.targetRef.name) restored"
            event(.normal, "Terminated", "Terminated \(name): \(spec.targetRef.name) serves its Service again")
            actions.append(.removeFinalizer)
        } else if o.target == nil {
            transition(.terminated)
            actions.append(.removeFinalizer)
        } else {
            requeue = decider.pollSeconds
        }
    }
}
