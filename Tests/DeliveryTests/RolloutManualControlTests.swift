import Foundation
import KubeCore
import SerinAPI
import Testing
@testable import Delivery

@Suite struct RolloutManualControlTests {
    @Test func undoToAStableRevisionSkipsAnalysis() async throws {
        var sim = await RolloutBlueGreenTests.deployed(RolloutSim.blueGreen(auto: true))
        let v1 = try #require(sim.stableHash)
        sim.setImage("web:2")
        await sim.run(2)
        sim.finishRuns()
        await sim.run(2)
        sim.finishRuns()
        await sim.run(2)
        let v2 = try #require(sim.stableHash)
        #expect(v2 != v1)
        let runs = sim.createdRuns.count
        #expect(runs == 2)
        // Undo: the template of revision 1 (as the API server stored it, with a default added)
        // goes back into the spec; the old ReplicaSet is reused and gets revision 3.
        sim.annotate(ManualControlAnnotations.undo, "previous")
        let d = await sim.step()
        let condition1 = d.actions.contains { if case .setPodTemplate = $0 { return true } else { return false } }
        #expect(condition1)
        sim.settle()
        await sim.run(4)
        #expect(sim.status.currentPodHash == v1)
        #expect(sim.rs(v1)?.revision == 3)
        #expect(sim.stableHash == v1)
        #expect(sim.selector("web-active") == v1)
        #expect(sim.createdRuns.count == runs)  // no analysis for a revision that was stable
        #expect(sim.phase == .healthy)
        let condition2 = sim.events.contains { $0.reason == "RolloutFastTracked" }
        #expect(condition2)
        // The spec's template keeps its own hash in status; nothing new is detected later.
        await sim.run(3)
        #expect(sim.status.currentPodHash == v1)
        #expect(sim.replicaSets.count == 2)
    }

    @Test func undoMidCanaryReturnsToStableAtOnce() async throws {
        var sim = await RolloutCanaryTests.deployed(RolloutSim.canary(replicas: 4, steps: [.weight(50), .pause()]))
        let v1 = try #require(sim.stableHash)
        sim.setImage("web:2")
        await sim.run(4)
        #expect(sim.phase == .paused)
        sim.annotate(ManualControlAnnotations.undo, "1")
        await sim.run(5)
        #expect(sim.status.currentPodHash == v1)
        #expect(sim.replicas(v1) == 4)
        #expect(sim.phase == .healthy)
    }

    @Test func aTokenSuffixMakesARepeatedUndoANewRequest() async throws {
        var sim = await RolloutCanaryTests.deployed(RolloutSim.canary(replicas: 4, steps: [.weight(50), .pause()]))
        let v1 = try #require(sim.stableHash)
        sim.setImage("web:2")
        await sim.run(4)
        sim.annotate(ManualControlAnnotations.undo, "1@1800000000")
        await sim.run(5)
        #expect(sim.status.currentPodHash == v1)
        #expect(sim.phase == .healthy)
    }

    @Test func specPausedAndThePausedAnnotationHold() async throws {
        var sim = await RolloutCanaryTests.deployed(RolloutSim.canary(replicas: 4, steps: [.weight(50), .pause(.int(10))]))
        sim.spec.paused = true
        sim.setImage("web:2")
        await sim.run(3)
        #expect(sim.phase == .paused)
        #expect(sim.status.message == "manually paused (spec.paused)")
        #expect(sim.replicaSets.count == 1)  // nothing created while paused
        sim.spec.paused = nil
        sim.annotate(ManualControlAnnotations.paused, "true")
        await sim.run(3)
        #expect(sim.phase == .paused)
        #expect(sim.replicaSets.count == 1)
        sim.annotate(ManualControlAnnotations.paused, "false")
        await sim.run(3)
        #expect(sim.replicaSets.count == 2)
        #expect(sim.status.currentStepIndex == 1)
    }

    @Test func statusAbortSetByHandAborts() async throws {
        var sim = await RolloutCanaryTests.deployed(RolloutSim.canary(replicas: 4, steps: [.weight(50), .pause()]))
        let v1 = try #require(sim.stableHash)
        sim.setImage("web:2")
        await sim.run(4)
        sim.status.abort = true  // kubectl patch --subresource=status, as Argo's CLI does
        await sim.run(4)
        #expect(sim.phase == .degraded)
        #expect(sim.status.abortedAt != nil)
        #expect(sim.replicas(v1) == 4)
        #expect(sim.replicas(sim.status.currentPodHash) == 0)
    }

    @Test func clearingPauseConditionsByHandResumes() async throws {
        var sim = await RolloutCanaryTests.deployed(RolloutSim.canary(replicas: 4, steps: [.weight(50), .pause(), .weight(75), .pause()]))
        sim.setImage("web:2")
        await sim.run(4)
        #expect(sim.status.currentStepIndex == 1)
        sim.status.pauseConditions = nil  // Argo's resume
        await sim.run(4)
        #expect(sim.status.currentStepIndex == 3)
    }

    @Test func triggersActOncePerValue() async throws {
        var sim = await RolloutCanaryTests.deployed(RolloutSim.canary(replicas: 4, steps: [.weight(25), .pause(), .weight(50), .pause(), .weight(75), .pause()]))
        sim.setImage("web:2")
        await sim.run(4)
        sim.annotate(ManualControlAnnotations.promote, "x")
        await sim.run(6)
        #expect(sim.status.currentStepIndex == 3)
        #expect(sim.status.handledAnnotations?[ManualControlAnnotations.promote] == "x")
        await sim.run(6)
        #expect(sim.status.currentStepIndex == 3)  // the same value does nothing more
        sim.annotate(ManualControlAnnotations.promote, "y")
        await sim.run(6)
        #expect(sim.status.currentStepIndex == 5)
    }

    @Test func restartReplacesOldPodsThenRecordsTheTime() async {
        var sim = await RolloutCanaryTests.deployed(RolloutSim.canary(replicas: 4, steps: [.weight(50)]))
        sim.podsToRestart = 4
        sim.annotate(ManualControlAnnotations.restart, "1")
        await sim.run(6)
        #expect(sim.podsToRestart == 0)
        #expect(sim.status.restartedAt != nil)
        #expect(sim.status.restartRequestedAt == nil)
        let condition3 = sim.events.contains { $0.reason == "RolloutRestarted" }
        #expect(condition3)
    }

    @Test func invalidSpecIsDegradedWithTheFix() async {
        var spec = RolloutSim.canary(replicas: 4, steps: [.weight(150)])
        spec.selector = ["matchLabels": ["app": "web"]]
        var sim = RolloutSim(spec: spec, services: RolloutCanaryTests.services)
        await sim.run(2)
        #expect(sim.phase == .degraded)
        #expect(sim.status.message?.contains("spec.strategy.canary.steps[0].setWeight: 150 is outside 0..100") == true)
        #expect(sim.status.conditions?[type: "InvalidSpec"]?.status == .true)
        #expect(sim.replicaSets.isEmpty)
    }

    @Test func historyIsPrunedToRevisionHistoryLimit() async {
        var spec = RolloutSim.canary(replicas: 2, steps: [])
        spec.revisionHistoryLimit = 2
        var sim = RolloutSim(spec: spec, services: RolloutCanaryTests.services)
        await sim.run(3)
        for i in 2...6 {
            sim.setImage("web:\(i)")
            await sim.run(8)
        }
        #expect(sim.replicaSets.count == 3)  // current + two old
        let revisions = sim.replicaSets.values.map(\.revision).sorted()
        #expect(revisions == [4, 5, 6])
    }

    @Test func restartedDeciderResumesAtTheSameStep() async throws {
        // Deciding again from the stored status (a new operator process) repeats nothing.
        var sim = await RolloutCanaryTests.deployed(RolloutSim.canary(replicas: 4, steps: [.weight(25), .analysis(.template("rate")), .pause()]))
        sim.setImage("web:2")
        await sim.run(4)
        #expect(sim.createdRuns.count == 1)
        let first = await sim.step()
        sim.decider = RolloutDecider(pollSeconds: 5)
        let again = await sim.step()
        #expect(first.newStatus.currentStepIndex == again.newStatus.currentStepIndex)
        #expect(sim.createdRuns.count == 1)
        #expect(again.actions.isEmpty, "\(again.actions)")
    }
}
