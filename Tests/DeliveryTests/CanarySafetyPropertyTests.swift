import Foundation
import Testing
import KubeCore
import SerinAPI
import Traffic
@testable import Delivery

/// Random releases that fail at a random weight with a primary its autoscaler shrank by a
/// random amount, and whose replicas come up at a random pace: after every reconcile the
/// primary carries no more than its ready replicas can, and every rollback ends with all
/// traffic on the primary and the canary scaled down.
@Suite struct CanarySafetyPropertyTests {
    @Test func aRollbackNeverOverloadsThePrimaryAndAlwaysEndsAtHome() async {
        var failures: [String] = []
        var handovers = 0
        for seed in UInt64(1)...60 {
            var rng = SeededGenerator(seed: seed)
            let step = Int.random(in: 5...50, using: &rng)
            let maxWeight = min(100, step * Int.random(in: 1...4, using: &rng))
            let stepBack = Bool.random(using: &rng) ? Int.random(in: 5...50, using: &rng) : nil
            var a = CanaryAnalysis(interval: "1m", threshold: 1, maxWeight: maxWeight, stepWeight: step,
                                   metrics: [CanaryMetric(name: "request-success-rate", thresholdRange: ThresholdRange(min: 99))])
            a.rollback = CanaryRollbackPolicy(stepWeight: stepBack)
            let spec = CanarySpec(provider: "istio", targetRef: CrossNamespaceRef(name: "podinfo"),
                                  autoscalerRef: CanaryAutoscalerRef(name: "podinfo"), service: CanaryService(port: 80),
                                  progressDeadlineSeconds: 600, analysis: a)
            let sim = Simulator(spec: spec)
            let replicas = Int.random(in: 1...12, using: &rng)
            sim.cluster.replicas = replicas
            sim.cluster.targetDesired = replicas
            sim.cluster.targetReady = replicas
            await sim.run { $0.phase == .initialized }
            sim.release("rev-2")
            // Fail before the last step (a history that promotes is skipped below).
            let passes = Int.random(in: 0...max(0, maxWeight / step - 1), using: &rng)
            sim.metricScript = { n in [metric("request-success-rate", n < passes ? 99.9 : 10, n < passes ? .pass : .fail)] }
            // The autoscaler shrinks the primary with the share it lost.
            let weightAtFailure = min(maxWeight, step * passes)
            await sim.run(maxSteps: 200) { $0.canaryWeight == weightAtFailure || $0.phase == .failed }
            let shrunk = max(1, replicas * (100 - weightAtFailure) / 100)
            sim.cluster.primary = WorkloadState(desiredReplicas: shrunk, readyReplicas: shrunk)
            sim.cluster.primaryReadyPerReconcile = Int.random(in: 0...2, using: &rng)
            sim.cluster.primaryScaleLimit = Bool.random(using: &rng) ? Int.random(in: shrunk...max(shrunk, replicas), using: &rng) : nil

            var sawHandover = false
            for _ in 0..<400 {
                let d = await sim.reconcile()
                if sim.status?.handover != nil { sawHandover = true }
                if let routes = sim.cluster.routes, let p = sim.cluster.primary, sim.phase == .failed,
                   sim.event("RollbackDeadline") == nil {
                    // The load model: a primary pod carries (100 - w)/shrunk percent (that is how
                    // the autoscaler sized it). All the capacity there can be is the
                    // autoscaler's maximum.
                    let perPod = Double(100 - weightAtFailure) / Double(shrunk)
                    let capped = p.readyReplicas >= (sim.cluster.primaryScaleLimit ?? Int.max)
                    let allowed = capped ? 100 : max(Double(100 - weightAtFailure), Double(p.readyReplicas) * perPod)
                    if Double(routes.primary) > allowed + 1 {
                        failures.append("seed \(seed): primary \(routes.primary)% with \(p.readyReplicas) ready of \(shrunk) at \(100 - weightAtFailure)%")
                    }
                }
                if sim.phase == .failed, sim.status?.handover == nil { break }
                sim.now = sim.now.addingTimeInterval(max(d.requeueAfter ?? 60, 0.001))
            }
            if sawHandover { handovers += 1 }
            let rolledBack = sim.event("RollingBack") != nil
            if !rolledBack { continue }
            if sim.phase != .failed || sim.status?.handover != nil || sim.cluster.routes != .primaryOnly || sim.cluster.targetDesired != 0 {
                failures.append("seed \(seed): ended \(sim.phase.map(\.rawValue) ?? "nil") routes \(String(describing: sim.cluster.routes)) target \(sim.cluster.targetDesired)")
            }
        }
        #expect(failures.isEmpty, "\(failures.prefix(5))")
        // The property is only worth something if many histories went through a handover.
        #expect(handovers >= 30, "only \(handovers) of 60 histories had a handover")
    }
}
