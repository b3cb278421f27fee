import Foundation
import KubeCore
import SerinAPI
import Testing
@testable import Delivery

@Suite struct RolloutBlueGreenTests {
    static let services = ["web-active", "web-preview"]

    /// A blue-green Rollout deployed once (revision 1 stable and active).
    static func deployed(_ spec: RolloutSpec = RolloutSim.blueGreen()) async -> RolloutSim {
        var sim = RolloutSim(spec: spec, services: services)
        await sim.run(3)
        return sim
    }

    @Test func firstDeploymentGoesStraightToActive() async {
        var sim = RolloutSim(spec: RolloutSim.blueGreen(), services: Self.services)
        await sim.step()
        let hash = sim.status.currentPodHash
        #expect(hash != nil)
        #expect(sim.replicas(hash) == 5)
        #expect(sim.phase == .progressing)
        #expect(sim.selector("web-active") == nil)  // not before its pods are available
        sim.settle()
        await sim.step()
        #expect(sim.selector("web-active") == hash)
        #expect(sim.selector("web-preview") == hash)
        #expect(sim.stableHash == hash)
        #expect(sim.phase == .healthy)
        #expect(sim.createdRuns.isEmpty)  // no analysis on the first deployment
        #expect(sim.rs(hash)?.revision == 1)
        #expect(sim.rs(hash)?.wasStable == true)
        #expect(sim.status.selector == "app=web,rollouts-pod-template-hash=\(hash!)")
        #expect(sim.violations.isEmpty)
    }

    @Test func updateWithManualPromotionAndAnalyses() async throws {
        var sim = await Self.deployed()
        let v1 = try #require(sim.stableHash)
        sim.setImage("web:2")
        await sim.run(2)
        let v2 = try #require(sim.status.currentPodHash)
        #expect(v2 != v1)
        // Preview up with all replicas, active still on v1, pre-promotion analysis running.
        #expect(sim.replicas(v2) == 5)
        #expect(sim.selector("web-preview") == v2)
        #expect(sim.selector("web-active") == v1)
        let pre = try #require(sim.createdRuns.first)
        #expect(pre.kind == .prePromotion)
        #expect(pre.name == "web-\(v2)-2-pre")
        #expect(pre.latestHash == v2 && pre.stableHash == v1)
        #expect(sim.phase == .progressing)
        #expect(sim.status.message == "waiting for pre-promotion analysis \(pre.name)")
        // Analysis passes: the rollout pauses for a manual promote.
        sim.finishRuns()
        await sim.run(3)
        #expect(sim.phase == .paused)
        #expect(sim.status.pauseConditions?.map(\.reason) == ["BlueGreenPause"])
        #expect(sim.selector("web-active") == v1)
        await sim.run(5, dt: 60)
        #expect(sim.selector("web-active") == v1)  // still waiting: no autoPromotionSeconds
        // Promote: the active Service switches; post-promotion analysis starts.
        sim.annotate(ManualControlAnnotations.promote, "1")
        await sim.run(2)
        #expect(sim.selector("web-active") == v2)
        #expect(sim.status.blueGreen?.activeSelector == v2)
        #expect(sim.stableHash == v1)  // not stable before post-promotion analysis passes
        #expect(sim.createdRuns.last?.kind == .postPromotion)
        #expect(sim.replicas(v1) == 5)  // the old pods wait for the analysis
        sim.finishRuns()
        await sim.run(1)
        #expect(sim.stableHash == v2)
        #expect(sim.phase == .healthy)
        let deadline = try #require(sim.rs(v1)?.scaleDownDeadline)
        #expect(KubeTime.parse(deadline)?.timeIntervalSince(sim.now) ?? 0 > 28)
        // 30 s later (scaleDownDelaySeconds default) the old ReplicaSet is scaled to zero.
        await sim.run(25)
        #expect(sim.replicas(v1) == 5)
        await sim.run(10)
        #expect(sim.replicas(v1) == 0)
        #expect(sim.rs(v1)?.scaleDownDeadline == nil)
        #expect(sim.phase == .healthy)
        #expect(sim.violations.isEmpty, "\(sim.violations)")
        let reasons = sim.events.map(\.reason)
        #expect(reasons.contains("SwitchService"))
        #expect(reasons.contains("RolloutCompleted"))
    }

    @Test func postPromotionFailureSwitchesBack() async throws {
        var sim = await Self.deployed(RolloutSim.blueGreen(auto: true))
        let v1 = try #require(sim.stableHash)
        sim.runOutcome = { $0.kind == .postPromotion ? .failed : .successful }
        sim.setImage("web:2")
        await sim.run(2)
        sim.finishRuns()  // pre-promotion passes; autoPromotionEnabled: the switch follows
        await sim.run(2)
        let v2 = try #require(sim.status.currentPodHash)
        #expect(sim.selector("web-active") == v2)
        sim.finishRuns()  // post-promotion fails
        await sim.run(2)
        #expect(sim.selector("web-active") == v1)
        #expect(sim.selector("web-preview") == v1)
        #expect(sim.status.abort == true)
        #expect(sim.phase == .degraded)
        #expect(sim.status.message?.hasPrefix("RolloutAborted:") == true)
        #expect(sim.status.message?.contains("post-promotion analysis") == true)
        #expect(sim.stableHash == v1)
        #expect(sim.replicas(v1) == 5)
        // The new pods go after abortScaleDownDelaySeconds (30 s).
        #expect(sim.replicas(v2) == 5)
        await sim.run(35)
        #expect(sim.replicas(v2) == 0)
        #expect(sim.selector("web-active") == v1)
        #expect(sim.violations.isEmpty, "\(sim.violations)")
        // Retry starts the update again: a new pre-promotion run (a new name).
        let before = sim.createdRuns.count
        sim.runOutcome = { _ in .successful }
        sim.annotate(ManualControlAnnotations.retry, "1")
        await sim.run(3)
        #expect(sim.status.abort == nil)
        #expect(sim.replicas(v2) == 5)
        #expect(sim.createdRuns.count == before + 1)
        #expect(sim.createdRuns.last?.name == "web-\(v2)-2-pre.1")
    }

    @Test func previewReplicaCountScalesUpBeforeTheSwitch() async throws {
        var sim = await Self.deployed(RolloutSim.blueGreen(auto: true, pre: false, post: false, previewReplicaCount: 1))
        let v1 = try #require(sim.stableHash)
        sim.setImage("web:2")
        await sim.step()
        let v2 = try #require(sim.status.currentPodHash)
        #expect(sim.replicas(v2) == 1)
        sim.settle()
        await sim.step()
        #expect(sim.replicas(v2) == 5)
        #expect(sim.selector("web-active") == v1)
        #expect(sim.status.blueGreen?.scaleUpPreviewCheckPoint == true)
        sim.settle()
        await sim.step()
        #expect(sim.selector("web-active") == v2)
        #expect(sim.violations.isEmpty)
    }

    @Test func autoPromotionSecondsPromotesAfterTheWait() async throws {
        var sim = await Self.deployed(RolloutSim.blueGreen(auto: true, pre: false, post: false, autoPromotionSeconds: 20))
        let v1 = try #require(sim.stableHash)
        sim.setImage("web:2")
        await sim.run(3)
        #expect(sim.phase == .paused)
        let d = await sim.step()
        let condition1 = d.requeueAfter.map { $0 <= 20 } == true
        #expect(condition1)
        await sim.run(10, dt: 1)
        #expect(sim.selector("web-active") == v1)
        await sim.run(15, dt: 1)
        #expect(sim.selector("web-active") == sim.status.currentPodHash)
        #expect(sim.phase == .healthy)
    }

    @Test func neverReadyPreviewKeepsActiveAndHitsTheProgressDeadline() async throws {
        var spec = RolloutSim.blueGreen(auto: true, pre: false, post: false)
        spec.progressDeadlineSeconds = 60
        var sim = await Self.deployed(spec)
        let v1 = try #require(sim.stableHash)
        sim.setImage("web:broken")
        await sim.step()
        let v2 = try #require(sim.status.currentPodHash)
        sim.neverReady.insert(v2)
        await sim.run(30, dt: 5)
        #expect(sim.selector("web-active") == v1)
        #expect(sim.phase == .degraded)
        #expect(sim.status.message?.hasPrefix("ProgressDeadlineExceeded") == true)
        #expect(sim.status.conditions?[type: "Progressing"]?.reason == "ProgressDeadlineExceeded")
        #expect(sim.violations.isEmpty)
    }

    @Test func missingActiveServiceIsDegradedWithTheName() async {
        var sim = RolloutSim(spec: RolloutSim.blueGreen(), services: ["web-preview"])
        await sim.run(3)
        #expect(sim.phase == .degraded)
        #expect(sim.status.message == "ServiceNotFound: Service web-active not found in apps")
    }
}
