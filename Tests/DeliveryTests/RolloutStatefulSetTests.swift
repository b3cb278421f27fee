import Foundation
import KubeCore
import SerinAPI
import Testing
@testable import Delivery

/// A Rollout whose workloadRef is a StatefulSet: setWeight moves the partition so that
/// weight% of the replicas (rounded up) run the new revision, pause and analysis steps hold it,
/// promotion takes it to 0, an abort raises it back and reverts the updated pods one by one.
@Suite struct RolloutStatefulSetTests {
    static func spec(steps: [RolloutCanaryStep], replicas: Int? = 5, analysis: RolloutAnalysis? = nil) -> RolloutSpec {
        var c = RolloutCanaryStrategy(steps: steps)
        c.analysis = analysis
        return RolloutSpec(replicas: replicas, selector: ["matchLabels": ["app": "db"]],
                           workloadRef: RolloutWorkloadRef(kind: "StatefulSet", name: "db"),
                           strategy: RolloutStrategy(canary: c))
    }

    /// A StatefulSet of 5 at revision db-1, settled, with the Rollout Healthy over it.
    static func deployed(_ spec: RolloutSpec) async -> RolloutSim {
        var sim = RolloutSim(spec: spec)
        sim.workloadTemplate = RolloutSim.template(image: "db:1")
        sim.statefulSet = RolloutStatefulSetState(name: "db", replicas: 5, partition: 0, currentRevision: "db-1",
                                                  updateRevision: "db-1", updatedReplicas: 5, readyReplicas: 5)
        await sim.run(3)
        return sim
    }

    @Test func stepsMoveThePartitionAndPromotionUpdatesEveryPod() async throws {
        let steps: [RolloutCanaryStep] = [.weight(20), .pause(), .analysis(.template("db-health")), .weight(50), .pause(.string("30s"))]
        var sim = await Self.deployed(Self.spec(steps: steps))
        #expect(sim.phase == .healthy)
        // At rest the partition holds every pod: a new template waits for the Rollout.
        #expect(sim.statefulSet?.partition == 5)
        sim.setStatefulSetRevision("db-2")
        var mostUpdated = 0
        for _ in 0..<6 {
            await sim.run()
            mostUpdated = max(mostUpdated, sim.statefulSet?.updatedReplicas ?? 0)
        }
        // 20% of 5: one pod (the highest ordinal) at db-2, then the indefinite pause.
        #expect(sim.statefulSet?.partition == 4)
        #expect(sim.podRevisions == ["db-1", "db-1", "db-1", "db-1", "db-2"])
        #expect(mostUpdated == 1)
        #expect(sim.phase == .paused)
        #expect(sim.status.currentStepIndex == 1)
        #expect(sim.status.currentPodHash == "db-2")
        #expect(sim.stableHash == "db-1")
        sim.annotate(ManualControlAnnotations.promote, "1")
        await sim.run(3)
        #expect(sim.status.currentStepIndex == 2)
        #expect(sim.createdRuns.last?.latestHash == "db-2")
        #expect(sim.createdRuns.last?.stableHash == "db-1")
        #expect(sim.statefulSet?.partition == 4)  // the analysis runs on one updated pod
        sim.finishRuns()
        for _ in 0..<6 { await sim.run() }
        // 50% of 5, rounded up: three pods.
        #expect(sim.statefulSet?.partition == 2)
        #expect(sim.statefulSet?.updatedReplicas == 3)
        #expect(sim.phase == .paused)
        await sim.run(40)
        // Promoted: every pod at db-2, which is now the current revision; the partition holds again.
        #expect(sim.podRevisions == Array(repeating: "db-2", count: 5))
        #expect(sim.statefulSet?.currentRevision == "db-2")
        #expect(sim.stableHash == "db-2")
        #expect(sim.phase == .healthy)
        #expect(sim.statefulSet?.partition == 5)
        let partitions = sim.actionLog.compactMap { a -> Int? in
            if case .setPartition(_, let p) = a { return p }
            return nil
        }
        #expect(partitions == [5, 4, 2, 0, 5])
    }

    @Test func aFailedAnalysisRaisesThePartitionAndRevertsTheUpdatedPods() async throws {
        let steps: [RolloutCanaryStep] = [.weight(40), .analysis(.template("db-health")), .weight(100)]
        var sim = await Self.deployed(Self.spec(steps: steps))
        sim.runOutcome = { _ in .failed }
        sim.setStatefulSetRevision("db-2")
        for _ in 0..<6 { await sim.run() }
        #expect(sim.statefulSet?.updatedReplicas == 2)
        sim.finishRuns()
        for _ in 0..<12 { await sim.run(dt: 5) }
        #expect(sim.status.abort == true)
        #expect(sim.phase == .degraded)
        #expect(sim.statefulSet?.partition == 5)
        // Both updated pods were deleted, one at a time, and came back at db-1.
        #expect(sim.podRevisions == Array(repeating: "db-1", count: 5))
        #expect(sim.statefulSet?.updatedReplicas == 0)
        let reverts = sim.actionLog.filter { if case .revertStatefulSetPod = $0 { return true } else { return false } }.count
        #expect(reverts == 2)
        #expect(sim.status.message?.contains("step analysis") == true)
        // The user writes the old template back: the StatefulSet is at rest again, Healthy.
        sim.setStatefulSetRevision("db-1")
        await sim.run(3)
        #expect(sim.phase == .healthy)
        #expect(sim.status.abort == nil)
    }

    @Test func theRolloutsReplicasScaleTheStatefulSet() async throws {
        let sim = await Self.deployed(Self.spec(steps: [.weight(50)], replicas: 6))
        #expect(sim.statefulSet?.replicas == 6)
        #expect(sim.podRevisions.count == 6)
        // Without spec.replicas the StatefulSet's own count stands.
        var own = await Self.deployed(Self.spec(steps: [.weight(50)], replicas: nil))
        await own.run(2)
        #expect(own.statefulSet?.replicas == 5)
    }

    @Test func validationNamesWhatAStatefulSetCannotDo() {
        var c = RolloutCanaryStrategy(canaryService: "db-canary", stableService: "db-stable",
                                      steps: [RolloutCanaryStep(setWeight: 20, setCanaryScale: RolloutSetCanaryScale(replicas: 1))])
        c.trafficRouting = RolloutTrafficRouting(istio: RolloutIstioRouting(virtualService: RolloutIstioVirtualService(name: "db")))
        var spec = RolloutSpec(selector: ["matchLabels": ["app": "db"]], workloadRef: RolloutWorkloadRef(kind: "StatefulSet", name: "db"),
                               strategy: RolloutStrategy(canary: c))
        spec.resourcePlugin = RolloutResourcePlugin(name: "statefulset", config: ["volumeClaimTemplates": []])
        let paths = Set(spec.validate().map(\.path))
        for p in ["spec.strategy.canary.trafficRouting", "spec.strategy.canary.canaryService", "spec.strategy.canary.stableService",
                  "spec.strategy.canary.steps[0].setCanaryScale", "spec.resourcePlugin.config"] {
            #expect(paths.contains(p), "\(p) in \(paths)")
        }
        var ok = Self.spec(steps: [.weight(20), .pause()])
        ok.resourcePlugin = RolloutResourcePlugin(name: "statefulset")
        #expect(ok.validate().isEmpty)
        var other = ok
        other.resourcePlugin = RolloutResourcePlugin(name: "daemonset")
        #expect(other.validate().map(\.path) == ["spec.resourcePlugin.name"])
        var blueGreen = ok
        blueGreen.strategy = RolloutStrategy(blueGreen: RolloutBlueGreenStrategy(activeService: "db"))
        #expect(blueGreen.validate().map(\.path).contains("spec.strategy.blueGreen"))
    }
}
