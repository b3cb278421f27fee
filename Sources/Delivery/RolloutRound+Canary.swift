import Foundation
import KubeCore
import SerinAPI

/// The canary strategy: walk the steps; the replica split is the traffic split without a router.
extension RolloutRound {
    /// Canary and stable pod counts and the traffic weight the steps up to `index` call for.
    struct CanaryTargets: Equatable {
        var canary: Int
        var stable: Int
        var weight: Int
    }

    static func stepsHash(_ steps: [RolloutCanaryStep]) -> String {
        RolloutReplicaSets.podHash(template: (try? JSONValue(encoding: steps)) ?? .null)
    }

    func targets(_ c: RolloutCanaryStrategy, index: Int) -> CanaryTargets {
        let steps = c.effectiveSteps
        let routed = c.trafficRouting != nil
        let full = c.trafficRouting?.effectiveMaxTrafficWeight ?? 100
        if index >= steps.count { return CanaryTargets(canary: replicas, stable: routed ? replicas : 0, weight: full) }
        let upTo = steps[0...index]
        let weight = upTo.last { $0.setWeight != nil }?.setWeight ?? 0
        guard routed else {
            let canary = RolloutReplicaMath.share(of: replicas, weight: weight)
            return CanaryTargets(canary: canary, stable: replicas - canary, weight: weight)
        }
        var canary = RolloutReplicaMath.share(of: replicas, weight: weight)
        if let scale = upTo.last(where: { $0.setCanaryScale != nil })?.setCanaryScale, scale.matchTrafficWeight != true {
            if let r = scale.replicas { canary = r }
            if let sw = scale.weight { canary = RolloutReplicaMath.share(of: replicas, weight: sw) }
        }
        if canary > 0, let m = c.minPodsPerReplicaSet { canary = max(canary, min(m, replicas)) }
        return CanaryTargets(canary: canary, stable: replicas, weight: weight)
    }

    /// The managed routes in force at `index`: for each name, the last set* step up to it with a match.
    func managedRoutes(_ c: RolloutCanaryStrategy, index: Int?) -> RolloutTraffic {
        let names = (c.trafficRouting?.managedRoutes ?? []).map(\.name)
        var headers: [String: RolloutSetHeaderRoute] = [:]
        var mirrors: [String: RolloutSetMirrorRoute] = [:]
        if let index {
            for step in c.effectiveSteps.prefix(index + 1) {
                if let h = step.setHeaderRoute { headers[h.name] = (h.match ?? []).isEmpty ? nil : h }
                if let m = step.setMirrorRoute { mirrors[m.name] = (m.match ?? []).isEmpty ? nil : m }
            }
        }
        var t = RolloutTraffic(canaryWeight: 0, headerRoutes: names.compactMap { headers[$0] },
                               mirrorRoutes: names.compactMap { mirrors[$0] }, managedRoutes: names)
        t.maxWeight = c.trafficRouting?.effectiveMaxTrafficWeight ?? RolloutTrafficRouting.defaultMaxTrafficWeight
        let svcs = services(c)
        t.stableService = svcs.stable
        t.canaryService = svcs.canary
        t.pingService = c.pingPong?.pingService
        return t
    }

    /// The stable and canary Services in force (with pingPong, by status.canary.stablePingPong).
    func services(_ c: RolloutCanaryStrategy) -> (stable: String?, canary: String?) {
        c.services(stablePingPong: s.canary?.stablePingPong)
    }

    /// The routes for this round: the weight, and the pod-template hashes subset-level splitting labels with.
    func traffic(_ c: RolloutCanaryStrategy, index: Int?, weight: Int, canaryHash: String, stableHash: String) -> RolloutTraffic {
        var t = managedRoutes(c, index: index)
        t.canaryWeight = weight
        t.canaryPodHash = canaryHash
        t.stablePodHash = stableHash
        return t
    }

    mutating func canary(_ c: RolloutCanaryStrategy) {
        guard let newRS else { return }
        let steps = c.effectiveSteps
        let routed = c.trafficRouting != nil
        claimed.insert(newRS.name)
        if s.canary == nil { s.canary = RolloutCanaryStatus() }
        let stepsHash = Self.stepsHash(steps)
        if s.currentStepHash != stepsHash {
            if s.currentStepHash != nil, updating, s.abort != true {
                s.currentStepIndex = 0
                event(.normal, "RolloutStepsChanged", "The steps of \(name) changed: starting them again from step 1")
            }
            s.currentStepHash = stepsHash
        }
        let stable = w.replicaSet(hash: s.stableRS)

        // Nothing to compare with (first deployment, back on the stable template, stable gone): all to the new pods.
        guard let stable, s.stableRS != podHash else {
            canaryFullPromotion(c, newRS)
            return
        }
        claimed.insert(stable.name)
        if s.abort == true {
            canaryAborted(c, newRS: newRS, stable: stable)
            return
        }

        var index = min(max(0, s.currentStepIndex ?? 0), steps.count)
        if s.promoteFull == true { index = steps.count }
        var aborted = false
        while index < steps.count {
            switch stepOutcome(c, index: index, newRS: newRS, stable: stable) {
            case .done:
                event(.normal, "RolloutStepCompleted",
                      "Rollout step \(index + 1)/\(steps.count) completed (\(Self.describe(steps[index])))")
                if steps[index].analysis != nil { setRunStatus(.step, nil) }
                index += 1
                s.currentStepIndex = index
                s.controllerPause = nil
                s.pauseConditions = (s.pauseConditions ?? []).filter {
                    $0.reason != RolloutPauseReason.canaryPauseStep && $0.reason != RolloutPauseReason.inconclusiveAnalysis
                }
                if s.pauseConditions?.isEmpty == true { s.pauseConditions = nil }
                continue
            case .wait:
                break
            case .abort(let why):
                abort(why)
                aborted = true
            }
            break
        }
        s.currentStepIndex = index
        if aborted {
            canaryAborted(c, newRS: newRS, stable: stable)
            return
        }

        // Background analysis, from its starting step until the update completes.
        if let bg = c.analysis, index >= (bg.startingStep ?? 0), s.promoteFull != true {
            switch analysisGate(.background, bg) {
            case .failed(let why):
                abort(why)
                canaryAborted(c, newRS: newRS, stable: stable)
                return
            case .inconclusive(let why):
                if promoteRequested {
                    promoteRequested = false
                    clearPauses()
                } else {
                    addPause(RolloutPauseReason.inconclusiveAnalysis, "Rollout \(w.name) is paused: \(why)")
                }
            case .passed, .waiting:
                break
            }
        }

        let t = targets(c, index: index)
        if index >= steps.count, ready(newRS, replicas), routed || stable.isAt(0) || effectiveReplicas(stable) == 0 {
            canaryPromote(c, newRS: newRS, stable: stable)
            return
        }

        // Pods toward the targets of the current step.
        let applied = s.canary?.weights?.canary.weight ?? 0
        var weight = t.weight
        if routed {
            scale(newRS, to: t.canary)
            // Traffic goes up only once the canary has its pods; it comes down at once.
            if t.weight > applied, !progressed(newRS, t.canary, c.progressThreshold(at: index)) { weight = min(applied, t.weight) }
            var stableCount = t.stable
            if c.dynamicStableScale == true {
                stableCount = max(RolloutReplicaMath.share(of: replicas, weight: 100 - weight), replicas - effectiveReplicas(newRS))
            }
            scale(stable, to: stableCount)
        } else {
            let (surge, unavailable) = RolloutReplicaMath.surgeAndUnavailable(
                total: replicas, maxSurge: c.maxSurge, maxUnavailable: c.maxUnavailable)
            let next = RolloutReplicaMath.step(
                canary: .init(replicas: newRS.replicas, available: newRS.observed ? newRS.available : 0),
                stable: .init(replicas: stable.replicas, available: stable.observed ? stable.available : 0),
                desired: (t.canary, t.stable), total: replicas, surge: surge, unavailable: unavailable)
            scale(newRS, to: next.canary)
            scale(stable, to: next.stable)
        }
        if !ready(newRS, effectiveReplicas(newRS)) || !ready(stable, effectiveReplicas(stable)) {
            waitingForPods = true
            if doing == nil {
                doing = "waiting for ReplicaSet \(newRS.name): \(newRS.available)/\(effectiveReplicas(newRS)) canary pods available"
            }
            wake(after: decider.pollSeconds)
        }
        if index >= steps.count, doing == nil { doing = "waiting for the canary to reach \(replicas) available pods" }

        canaryServices(c, newRS: newRS, stableHash: stable.podHash)
        let canaryHash = services(c).canary.flatMap(serviceHash) ?? (newRS.available > 0 ? podHash : stable.podHash)
        let routes = traffic(c, index: index, weight: weight, canaryHash: canaryHash, stableHash: stable.podHash)
        recordWeights(c, canary: routed ? weight : splitWeight(newRS, stable), stableHash: stable.podHash)
        if routed { actions.append(.setTraffic(routes)) }
    }

    enum StepOutcome: Equatable {
        case done
        case wait
        case abort(String)
    }

    /// Whether the step at `index` is complete (waiting, it records what it waits for).
    mutating func stepOutcome(_ c: RolloutCanaryStrategy, index: Int, newRS: RolloutReplicaSetState,
                              stable: RolloutReplicaSetState) -> StepOutcome {
        let step = c.effectiveSteps[index]
        let routed = c.trafficRouting != nil
        if promoteRequested {
            // A promote leaves the current step, whatever it waits for.
            promoteRequested = false
            event(.normal, "RolloutPromoted", "Promoted \(name): leaving step \(index + 1) (\(Self.describe(step)))")
            return .done
        }
        if step.setWeight != nil || step.setCanaryScale != nil {
            let t = targets(c, index: index)
            let canaryOK = progressed(newRS, t.canary, c.progressThreshold(at: index))
            let ok = routed ? canaryOK : (canaryOK && ready(stable, t.stable))
            if !ok { doing = "waiting for step \(index + 1) (\(Self.describe(step))): pods are scaling" }
            return ok ? .done : .wait
        }
        if let pause = step.pause {
            if let cond = pauseCondition(RolloutPauseReason.canaryPauseStep) {
                guard let secs = pause.seconds else { return .wait }
                let left = secs - (elapsed(since: cond.startTime) ?? 0)
                if left <= 0 { return .done }
                wake(after: left)
                return .wait
            }
            if s.controllerPause == true {
                // Serin paused here and someone cleared the pause (Argo's resume): the step is over.
                return .done
            }
            if let secs = pause.seconds, secs <= 0 { return .done }
            let how = pause.seconds.map { "for \(GoDuration.format($0))" } ?? "until promoted"
            addPause(RolloutPauseReason.canaryPauseStep, "Rollout \(w.name) paused at step \(index + 1) \(how)")
            if let secs = pause.seconds { wake(after: secs) }
            return .wait
        }
        if let a = step.analysis {
            switch analysisGate(.step, a, step: index) {
            case .passed: return .done
            case .waiting: return .wait
            case .failed(let why): return .abort(why)
            case .inconclusive(let why):
                if pauseCondition(RolloutPauseReason.inconclusiveAnalysis) == nil, s.controllerPause == true {
                    return .done  // the inconclusive pause was cleared by hand
                }
                addPause(RolloutPauseReason.inconclusiveAnalysis, "Rollout \(w.name) is paused: \(why)")
                return .wait
            }
        }
        if let e = step.experiment {
            switch experimentGate(e, index: index, newRS: newRS, stable: stable) {
            case .passed: return .done
            case .waiting: return .wait
            case .failed(let why), .inconclusive(let why): return .abort(why)
            }
        }
        // setHeaderRoute / setMirrorRoute: written with the traffic of this round.
        return .done
    }

    /// No stable to compare with: the new ReplicaSet takes all the pods and becomes stable once available.
    mutating func canaryFullPromotion(_ c: RolloutCanaryStrategy, _ newRS: RolloutReplicaSetState) {
        let steps = c.effectiveSteps
        scale(newRS, to: replicas)
        s.currentStepIndex = steps.count
        s.pauseConditions = nil
        s.controllerPause = nil
        s.abort = nil
        s.abortedAt = nil
        let serving = newRS.available > 0 || s.stableRS == nil ? podHash : (s.stableRS ?? podHash)
        let svcs = services(c)
        if let svc = svcs.stable { setService(svc, serving) }
        if let svc = svcs.canary { setService(svc, serving) }
        if ready(newRS, replicas) {
            if s.stableRS != podHash {
                let before = s.stableRS
                s.stableRS = podHash
                markStable(newRS)
                if before != nil {
                    event(.normal, "RolloutCompleted", "Rollout completed update to revision \(newRevision) (\(podHash)): back on the stable ReplicaSet")
                }
            } else if !newRS.wasStable {
                markStable(newRS)
            }
            complete = true
        } else {
            waitingForPods = true
            doing = "waiting for ReplicaSet \(newRS.name): \(newRS.available)/\(replicas) pods available"
            wake(after: decider.pollSeconds)
        }
        recordWeights(c, canary: 0, stableHash: s.stableRS ?? podHash)
        if c.trafficRouting != nil {
            actions.append(.setTraffic(traffic(c, index: nil, weight: 0, canaryHash: serving, stableHash: serving)))
        }
    }

    /// Every step done and the canary at full size: it becomes the stable.
    mutating func canaryPromote(_ c: RolloutCanaryStrategy, newRS: RolloutReplicaSetState, stable: RolloutReplicaSetState) {
        scale(newRS, to: replicas)
        s.stableRS = podHash
        s.currentStepIndex = c.effectiveSteps.count
        s.pauseConditions = nil
        s.controllerPause = nil
        markStable(newRS)
        complete = true
        claimed.remove(stable.name)  // the old stable now scales down (after scaleDownDelaySeconds with a router)
        if c.pingPong != nil {
            // As Argo: the pair swaps roles. The canary Service, which already selects the new
            // pods, becomes the stable one; the status records it before any effect.
            var st = s.canary ?? RolloutCanaryStatus()
            st.stablePingPong = st.stablePingPong == .pong ? .ping : .pong
            s.canary = st
            event(.normal, "PingPongSwapped", "Service \(services(c).stable ?? "") is now the stable one of the ping-pong pair")
        }
        // Both Services select the new pods before the weight returns to the stable side.
        let svcs = services(c)
        if let svc = svcs.stable { setService(svc, podHash) }
        if let svc = svcs.canary { setService(svc, podHash) }
        recordWeights(c, canary: 0, stableHash: podHash)
        if c.trafficRouting != nil {
            actions.append(.setTraffic(traffic(c, index: nil, weight: 0, canaryHash: podHash, stableHash: podHash)))
        }
        let how = s.promoteFull == true ? "promoted fully" : "completed all \(c.effectiveSteps.count) canary steps"
        event(.normal, "RolloutCompleted", "Rollout completed update to revision \(newRevision) (\(podHash)): \(how)")
    }

    /// Aborted: all traffic back on the stable, the canary scaled down (after abortScaleDownDelaySeconds with a router).
    mutating func canaryAborted(_ c: RolloutCanaryStrategy, newRS: RolloutReplicaSetState, stable: RolloutReplicaSetState) {
        let routed = c.trafficRouting != nil
        s.currentStepIndex = 0
        s.pauseConditions = nil
        if routed {
            scale(stable, to: replicas)
            // With dynamicStableScale the stable may be short: traffic returns once it has its pods.
            let stableReady = ready(stable, replicas)
            let weight = stableReady || c.dynamicStableScale != true ? 0 : (s.canary?.weights?.canary.weight ?? 0)
            if stableReady || c.dynamicStableScale != true {
                scaleDownAfter(newRS, delay: c.effectiveAbortScaleDownDelaySeconds, zeroMeansNever: true)
            } else {
                waitingForPods = true
                wake(after: decider.pollSeconds)
            }
            let canaryHash = weight > 0 || (effectiveReplicas(newRS) > 0 && newRS.available > 0) ? podHash : stable.podHash
            recordWeights(c, canary: weight, stableHash: stable.podHash)
            actions.append(.setTraffic(traffic(c, index: nil, weight: weight, canaryHash: canaryHash, stableHash: stable.podHash)))
        } else {
            let (surge, unavailable) = RolloutReplicaMath.surgeAndUnavailable(
                total: replicas, maxSurge: c.maxSurge, maxUnavailable: c.maxUnavailable)
            let next = RolloutReplicaMath.step(
                canary: .init(replicas: newRS.replicas, available: newRS.observed ? newRS.available : 0),
                stable: .init(replicas: stable.replicas, available: stable.observed ? stable.available : 0),
                desired: (0, replicas), total: replicas, surge: surge, unavailable: unavailable)
            scale(stable, to: next.stable)
            scale(newRS, to: next.canary)
            if !(ready(stable, replicas) && newRS.isAt(0)) { wake(after: decider.pollSeconds) }
            recordWeights(c, canary: splitWeight(newRS, stable), stableHash: stable.podHash)
        }
        let svcs = services(c)
        if let svc = svcs.stable { setService(svc, stable.podHash) }
        if let svc = svcs.canary {
            setService(svc, effectiveReplicas(newRS) > 0 && newRS.available > 0 ? podHash : stable.podHash)
        }
    }

    /// canaryService selects the canary once it has pods (else the stable); stableService the stable.
    mutating func canaryServices(_ c: RolloutCanaryStrategy, newRS: RolloutReplicaSetState, stableHash: String) {
        let svcs = services(c)
        if let svc = svcs.stable { setService(svc, stableHash) }
        if let svc = svcs.canary { setService(svc, newRS.available > 0 ? podHash : (serviceHash(svc) ?? stableHash)) }
    }

    /// The canary's share of the available pods (the traffic split of a basic canary).
    func splitWeight(_ canary: RolloutReplicaSetState, _ stable: RolloutReplicaSetState) -> Int {
        let total = canary.available + stable.available
        guard total > 0 else { return 0 }
        return Int((Double(canary.available) * 100 / Double(total)).rounded())
    }

    mutating func recordWeights(_ c: RolloutCanaryStrategy, canary weight: Int, stableHash: String) {
        var st = s.canary ?? RolloutCanaryStatus()
        let svcs = services(c)
        let full = c.trafficRouting?.effectiveMaxTrafficWeight ?? 100
        st.weights = RolloutTrafficWeights(
            canary: RolloutWeightDestination(weight: weight, serviceName: svcs.canary, podTemplateHash: podHash),
            stable: RolloutWeightDestination(weight: full - weight, serviceName: svcs.stable, podTemplateHash: stableHash),
            verified: c.trafficRouting != nil ? true : nil)
        s.canary = st
    }

    /// Whether the canary has enough of its `n` pods available to leave a step: all of them, or
    /// as many as `replicaProgressThreshold` asks (the final promotion always waits for all).
    func progressed(_ rs: RolloutReplicaSetState, _ n: Int, _ threshold: RolloutReplicaProgressThreshold?) -> Bool {
        guard let threshold, n > 0 else { return ready(rs, n) }
        return rs.observed && rs.replicas == n && rs.availableReplicas >= threshold.requiredPods(of: n)
    }

    static func describe(_ step: RolloutCanaryStep) -> String {
        if let w = step.setWeight { return "setWeight: \(w)" }
        if let p = step.pause { return p.seconds.map { "pause: \(GoDuration.format($0))" } ?? "pause" }
        if let a = step.analysis {
            return "analysis: \((a.templates ?? []).map(\.templateName).joined(separator: ", "))"
        }
        if let sc = step.setCanaryScale {
            if let r = sc.replicas { return "setCanaryScale: \(r) replicas" }
            if let w = sc.weight { return "setCanaryScale: \(w)%" }
            return "setCanaryScale: matchTrafficWeight"
        }
        if let e = step.experiment { return "experiment: \(e.templates.map(\.name).joined(separator: ", "))" }
        if let h = step.setHeaderRoute { return "setHeaderRoute: \(h.name)" }
        if let m = step.setMirrorRoute { return "setMirrorRoute: \(m.name)" }
        if let t = step.replicaProgressThreshold { return "replicaProgressThreshold: \(t.value)\(t.type == "Percent" ? "%" : " pods")" }
        return "step"
    }
}
