import Foundation
import KubeCore
import SerinAPI
import Testing
@testable import Delivery

/// Argo's `replicaProgressThreshold`: a setWeight step is complete once enough of its canary
/// pods are available, not all; the final promotion still waits for every pod.
@Suite struct RolloutProgressThresholdTests {
    /// 10 replicas, setWeight 50 (5 canary pods) then an indefinite pause; only 3 canary pods
    /// ever become available. Returns the simulator after the update had time to move.
    static func update(threshold: RolloutReplicaProgressThreshold?, asStep: Bool = false,
                       steps extra: [RolloutCanaryStep] = [.pause()]) async throws -> (RolloutSim, String) {
        var steps: [RolloutCanaryStep] = [.weight(50)] + extra
        if asStep, let threshold { steps.insert(RolloutCanaryStep(replicaProgressThreshold: threshold), at: 0) }
        var spec = RolloutSim.canary(replicas: 10, steps: steps)
        if !asStep { spec.strategy.canary?.replicaProgressThreshold = threshold }
        var sim = RolloutSim(spec: spec, services: RolloutCanaryTests.services)
        await sim.run(3)
        sim.setImage("web:2")
        await sim.step()
        let v2 = try #require(sim.status.currentPodHash)
        sim.availableCap[v2] = 3
        await sim.run(10, dt: 5)
        return (sim, v2)
    }

    @Test func withoutAThresholdTheStepWaitsForEveryCanaryPod() async throws {
        let (sim, v2) = try await Self.update(threshold: nil)
        #expect(sim.replicas(v2) == 5)
        #expect(sim.status.currentStepIndex == 0)
        #expect(sim.phase != .paused)
    }

    @Test func aPercentThresholdCompletesTheStepWithPartOfThePods() async throws {
        // 60% of 5 pods, rounded up: 3 available are enough.
        let (sim, v2) = try await Self.update(threshold: RolloutReplicaProgressThreshold(type: "Percent", value: 60))
        #expect(sim.replicas(v2) == 5)
        #expect(sim.rs(v2)?.availableReplicas == 3)
        #expect(sim.status.currentStepIndex == 1)
        #expect(sim.phase == .paused)
        #expect(sim.violations.isEmpty)
        // 61% of 5 is 3.05, rounded up to 4: not enough.
        let (higher, _) = try await Self.update(threshold: RolloutReplicaProgressThreshold(type: "Percent", value: 61))
        #expect(higher.status.currentStepIndex == 0)
    }

    @Test func aPodThresholdWrittenAsAStepHoldsForTheStepsAfterIt() async throws {
        let (sim, _) = try await Self.update(threshold: RolloutReplicaProgressThreshold(type: "Pod", value: 3), asStep: true)
        // Step 0 is the threshold itself, step 1 the setWeight it lets through, step 2 the pause.
        #expect(sim.status.currentStepIndex == 2)
        #expect(sim.phase == .paused)
        let completed = sim.events.filter { $0.reason == "RolloutStepCompleted" }.map(\.message)
        #expect(completed.first == "Rollout step 1/3 completed (replicaProgressThreshold: 3 pods)")
        let (four, _) = try await Self.update(threshold: RolloutReplicaProgressThreshold(type: "Pod", value: 4), asStep: true)
        #expect(four.status.currentStepIndex == 1)
    }

    @Test func thePromotionStillWaitsForEveryPod() async throws {
        // Past the last step the canary must take all 10 pods available before it becomes stable.
        let (sim, v2) = try await Self.update(threshold: RolloutReplicaProgressThreshold(type: "Percent", value: 10), steps: [])
        #expect(sim.status.currentStepIndex == 1)
        #expect(sim.stableHash != v2)
        #expect(sim.phase != .healthy)
        #expect(sim.violations.isEmpty)
    }

    @Test func requiredPodsRoundUpAndStayWithinTheStep() {
        let pct = RolloutReplicaProgressThreshold(type: "Percent", value: 90)
        #expect(pct.requiredPods(of: 10) == 9)
        #expect(pct.requiredPods(of: 1) == 1)
        #expect(pct.requiredPods(of: 0) == 0)
        #expect(RolloutReplicaProgressThreshold(type: "Percent", value: 1).requiredPods(of: 5) == 1)
        #expect(RolloutReplicaProgressThreshold(type: "Pod", value: 7).requiredPods(of: 3) == 3)
    }
}
