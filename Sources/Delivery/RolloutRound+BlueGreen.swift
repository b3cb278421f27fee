import Foundation
import KubeCore
import SerinAPI

/// The blue-green strategy: the new pods come up behind the preview Service; the active Service
/// switches to them in one update, and only ever to a ReplicaSet whose pods are all available.
extension RolloutRound {
    mutating func blueGreen(_ b: RolloutBlueGreenStrategy) {
        guard let newRS else { return }
        claimed.insert(newRS.name)
        if s.blueGreen == nil { s.blueGreen = RolloutBlueGreenStatus() }
        let stable = w.replicaSet(hash: s.stableRS)

        // Nothing to compare with (first deployment, back on the stable template, stable gone).
        guard let stable, s.stableRS != podHash else {
            blueGreenFullPromotion(b, newRS)
            return
        }
        claimed.insert(stable.name)
        // The stable serves until the switch (and stays up until the update is complete).
        scale(stable, to: replicas)

        if s.abort == true {
            blueGreenAborted(b, newRS: newRS, stable: stable)
            return
        }

        // Status is the memory of the switch (the Service cache may lag behind Serin's own write).
        if s.blueGreen?.activeSelector == podHash {
            setService(b.activeService, podHash)
        } else if !beforeSwitch(b, newRS: newRS, stable: stable) {
            return
        }

        // After the switch: post-promotion analysis; a failure switches back.
        if s.promoteFull != true {
            switch analysisGate(.postPromotion, b.postPromotionAnalysis) {
            case .passed:
                break
            case .waiting:
                return
            case .failed(let why):
                abort(why)
                blueGreenAborted(b, newRS: newRS, stable: stable)
                return
            case .inconclusive(let why):
                // A promote (or the pause cleared by hand) accepts the inconclusive result.
                if promoteRequested {
                    promoteRequested = false
                    clearPauses()
                } else if pauseCondition(RolloutPauseReason.inconclusiveAnalysis) != nil || s.controllerPause != true {
                    addPause(RolloutPauseReason.inconclusiveAnalysis, "Rollout \(w.name) is paused: \(why)")
                    return
                }
            }
        }

        // Complete: the new ReplicaSet is stable; the old one goes after scaleDownDelaySeconds.
        s.stableRS = podHash
        s.pauseConditions = nil
        s.controllerPause = nil
        markStable(newRS)
        claimed.remove(stable.name)
        complete = true
        event(.normal, "RolloutCompleted", "Rollout completed update to revision \(newRevision) (\(podHash)): Completed blue-green update")
        if let p = b.previewService { setService(p, podHash) }
        s.blueGreen?.previewSelector = podHash
    }

    /// Up to the switch: preview, pre-promotion analysis, the promotion gate, full size. True
    /// when the active Service switched this round.
    mutating func beforeSwitch(_ b: RolloutBlueGreenStrategy, newRS: RolloutReplicaSetState,
                               stable: RolloutReplicaSetState) -> Bool {
        // The active Service keeps (or is given) the stable until the switch.
        if ready(stable, replicas) || serviceHash(b.activeService) == stable.podHash {
            setService(b.activeService, stable.podHash)
            s.blueGreen?.activeSelector = stable.podHash
        }
        let full = s.blueGreen?.scaleUpPreviewCheckPoint == true || s.promoteFull == true
        let previewCount = full ? replicas : min(replicas, b.previewReplicaCount ?? replicas)
        scale(newRS, to: previewCount)
        if let p = b.previewService {
            setService(p, podHash)
            s.blueGreen?.previewSelector = podHash
        }
        guard ready(newRS, previewCount) else {
            waitingForPods = true
            doing = "waiting for the preview ReplicaSet \(newRS.name): \(newRS.available)/\(previewCount) pods available"
            wake(after: decider.pollSeconds)
            return false
        }
        if s.previewReadyTime == nil { s.previewReadyTime = nowText }

        if s.promoteFull != true {
            switch analysisGate(.prePromotion, b.prePromotionAnalysis) {
            case .passed:
                break
            case .waiting:
                return false
            case .failed(let why):
                abort(why)
                blueGreenAborted(b, newRS: newRS, stable: stable)
                return false
            case .inconclusive(let why):
                if promoteRequested {
                    promoteRequested = false
                    clearPauses()
                    s.controllerPause = true
                } else if pauseCondition(RolloutPauseReason.inconclusiveAnalysis) != nil || s.controllerPause != true {
                    addPause(RolloutPauseReason.inconclusiveAnalysis, "Rollout \(w.name) is paused: \(why)")
                    return false
                }
            }
            if !promotionGate(b) { return false }
        }

        // previewReplicaCount: full size before the switch.
        if previewCount < replicas {
            s.blueGreen?.scaleUpPreviewCheckPoint = true
            scale(newRS, to: replicas)
            waitingForPods = true
            doing = "scaling the preview ReplicaSet \(newRS.name) to \(replicas) pods before the switch"
            wake(after: decider.pollSeconds)
            return false
        }
        guard ready(newRS, replicas) else {
            waitingForPods = true
            doing = "waiting for ReplicaSet \(newRS.name): \(newRS.available)/\(replicas) pods available before the switch"
            wake(after: decider.pollSeconds)
            return false
        }
        setService(b.activeService, podHash)
        if w.services[b.activeService] == nil { return false }
        s.blueGreen?.activeSelector = podHash
        s.controllerPause = nil
        s.pauseConditions = nil
        event(.normal, "RolloutPromoted", "Promoted \(name): the active Service \(b.activeService) serves revision \(newRevision) (\(podHash))")
        return true
    }

    /// autoPromotionEnabled false: wait for a promote; autoPromotionSeconds: wait that long. True when passed.
    mutating func promotionGate(_ b: RolloutBlueGreenStrategy) -> Bool {
        let manual = !b.effectiveAutoPromotionEnabled
        let seconds = b.autoPromotionSeconds.flatMap { $0 > 0 ? Double($0) : nil }
        guard manual || seconds != nil else { return true }
        if promoteRequested {
            promoteRequested = false
            clearPauses()
            event(.normal, "RolloutPromoted", "Promote requested for \(name)")
            return true
        }
        if let cond = pauseCondition(RolloutPauseReason.blueGreenPause) {
            if !manual, let secs = seconds {
                let left = secs - (elapsed(since: cond.startTime) ?? 0)
                if left <= 0 {
                    clearPauses()
                    return true
                }
                wake(after: left)
            }
            return false
        }
        if s.controllerPause == true, s.pauseConditions?.isEmpty != false {
            return true  // Serin paused here and the pause was cleared by hand (Argo's resume)
        }
        let how = manual ? "until promoted" : "for \(GoDuration.format(seconds ?? 0)) (autoPromotionSeconds)"
        addPause(RolloutPauseReason.blueGreenPause, "Rollout \(w.name) is paused before the switch \(how)")
        if !manual, let secs = seconds { wake(after: secs) }
        return false
    }

    /// Aborted: the active Service back on the stable (once all its pods are available); the new
    /// pods kept abortScaleDownDelaySeconds (0: kept), the preview on the stable too.
    mutating func blueGreenAborted(_ b: RolloutBlueGreenStrategy, newRS: RolloutReplicaSetState,
                                   stable: RolloutReplicaSetState) {
        scale(stable, to: replicas)
        s.pauseConditions = nil
        s.controllerPause = nil
        if ready(stable, replicas) {
            setService(b.activeService, stable.podHash)
            s.blueGreen?.activeSelector = stable.podHash
            if let p = b.previewService {
                setService(p, stable.podHash)
                s.blueGreen?.previewSelector = stable.podHash
            }
            scaleDownAfter(newRS, delay: b.effectiveAbortScaleDownDelaySeconds, zeroMeansNever: true)
        } else {
            waitingForPods = true
            wake(after: decider.pollSeconds)
        }
        s.blueGreen?.scaleUpPreviewCheckPoint = nil
    }

    /// No stable to compare with: the new pods come up and the active Service switches once they are all available.
    mutating func blueGreenFullPromotion(_ b: RolloutBlueGreenStrategy, _ newRS: RolloutReplicaSetState) {
        scale(newRS, to: replicas)
        s.pauseConditions = nil
        s.controllerPause = nil
        s.abort = nil
        s.abortedAt = nil
        guard ready(newRS, replicas) else {
            waitingForPods = true
            doing = "waiting for ReplicaSet \(newRS.name): \(newRS.available)/\(replicas) pods available"
            wake(after: decider.pollSeconds)
            return
        }
        setService(b.activeService, podHash)
        if w.services[b.activeService] != nil { s.blueGreen?.activeSelector = podHash }
        if let p = b.previewService {
            setService(p, podHash)
            s.blueGreen?.previewSelector = podHash
        }
        if s.stableRS != podHash {
            let before = s.stableRS
            s.stableRS = podHash
            if before != nil {
                event(.normal, "RolloutCompleted", "Rollout completed update to revision \(newRevision) (\(podHash)): back on the stable ReplicaSet")
            }
        }
        markStable(newRS)
        complete = w.services[b.activeService] != nil
    }
}
