import Foundation
import KubeCore
import SerinAPI
import Testing
@testable import Delivery

@Suite struct RolloutCanaryTests {
    static let services = ["web-canary", "web-stable"]

    static func deployed(_ spec: RolloutSpec) async -> RolloutSim {
        var sim = RolloutSim(spec: spec, services: services)
        await sim.run(3)
        return sim
    }

    @Test func basicCanaryWalksTheStepsWithReplicaCounts() async throws {
        let steps: [RolloutCanaryStep] = [.weight(20), .pause(), .weight(50), .pause(.string("30s")),
                                          .analysis(.template("rate")), .weight(80)]
        var sim = await Self.deployed(RolloutSim.canary(replicas: 10, steps: steps))
        let v1 = try #require(sim.stableHash)
        #expect(sim.phase == .healthy)
        #expect(sim.status.currentStepIndex == 6)
        sim.setImage("web:2")
        await sim.run(4)
        let v2 = try #require(sim.status.currentPodHash)
        // 20%: two canary pods, eight stable; paused at step 2.
        #expect(sim.replicas(v2) == 2)
        #expect(sim.replicas(v1) == 8)
        #expect(sim.status.currentStepIndex == 1)
        #expect(sim.phase == .paused)
        #expect(sim.status.canary?.weights?.canary.weight == 20)
        #expect(sim.selector("web-canary") == v2)
        #expect(sim.selector("web-stable") == v1)
        await sim.run(5, dt: 60)
        #expect(sim.status.currentStepIndex == 1)  // an indefinite pause waits
        sim.annotate(ManualControlAnnotations.promote, "a")
        await sim.run(4)
        #expect(sim.replicas(v2) == 5)
        #expect(sim.replicas(v1) == 5)
        #expect(sim.status.currentStepIndex == 3)
        #expect(sim.phase == .paused)
        // The timed pause ends by itself; then the analysis step.
        await sim.run(31)
        #expect(sim.status.currentStepIndex == 4)
        #expect(sim.createdRuns.last?.name == "web-\(v2)-2-4")
        #expect(sim.phase == .progressing)
        sim.finishRuns()
        await sim.run(5)
        #expect(sim.replicas(v2) == 10)
        #expect(sim.stableHash == v2)
        #expect(sim.replicas(v1) == 0)
        #expect(sim.phase == .healthy)
        #expect(sim.status.currentStepIndex == 6)
        #expect(sim.selector("web-stable") == v2)
        #expect(sim.violations.isEmpty)
        // Step events name the steps.
        let steps2 = sim.events.filter { $0.reason == "RolloutStepCompleted" }.map(\.message)
        #expect(steps2.first == "Rollout step 1/6 completed (setWeight: 20)")
    }

    @Test func surgeAndUnavailableBoundTheReplicaSplit() {
        let (surge, unavailable) = RolloutReplicaMath.surgeAndUnavailable(total: 10, maxSurge: nil, maxUnavailable: nil)
        #expect(surge == 3 && unavailable == 2)
        // From all-stable toward 50/50: the canary surges first, the stable waits for it.
        var c = RolloutReplicaMath.Side(replicas: 0, available: 0)
        var s = RolloutReplicaMath.Side(replicas: 10, available: 10)
        var n = RolloutReplicaMath.step(canary: c, stable: s, desired: (5, 5), total: 10, surge: 3, unavailable: 2)
        #expect(n.canary == 3 && n.stable == 8)
        c = .init(replicas: 3, available: 3)
        s = .init(replicas: 8, available: 8)
        n = RolloutReplicaMath.step(canary: c, stable: s, desired: (5, 5), total: 10, surge: 3, unavailable: 2)
        #expect(n.canary == 5 && n.stable == 5)
        // Both zero: one pod may be unavailable.
        let zero = RolloutReplicaMath.surgeAndUnavailable(total: 4, maxSurge: .int(0), maxUnavailable: .int(0))
        #expect(zero.unavailable == 1)
        #expect(RolloutReplicaMath.share(of: 5, weight: 1) == 1)
        #expect(RolloutReplicaMath.share(of: 5, weight: 0) == 0)
    }

    @Test func failingAnalysisAbortsBackToStable() async throws {
        let steps: [RolloutCanaryStep] = [.weight(40), .analysis(.template("rate")), .weight(100)]
        var sim = await Self.deployed(RolloutSim.canary(replicas: 5, steps: steps))
        let v1 = try #require(sim.stableHash)
        sim.runOutcome = { _ in .failed }
        sim.setImage("web:2")
        await sim.run(4)
        let v2 = try #require(sim.status.currentPodHash)
        #expect(sim.replicas(v2) == 2)
        sim.finishRuns()
        await sim.run(6)
        #expect(sim.status.abort == true)
        #expect(sim.phase == .degraded)
        #expect(sim.status.message?.contains("step analysis web-\(v2)-2-1 Failed: success-rate 0.9") == true)
        #expect(sim.replicas(v2) == 0)
        #expect(sim.replicas(v1) == 5)
        #expect(sim.status.canary?.weights?.canary.weight == 0)
        #expect(sim.status.currentStepIndex == 0)
        #expect(sim.stableHash == v1)
        #expect(sim.violations.isEmpty)
    }

    @Test func routedCanaryMovesWeightOnlyOncePodsAreReady() async throws {
        let steps: [RolloutCanaryStep] = [.weight(30), .pause(), .weight(60), .pause()]
        var sim = await Self.deployed(RolloutSim.canary(replicas: 4, steps: steps, routed: true))
        let v1 = try #require(sim.stableHash)
        sim.setImage("web:2")
        await sim.step()
        let v2 = try #require(sim.status.currentPodHash)
        #expect(sim.replicas(v2) == 2)  // ceil(4 * 30%)
        #expect(sim.replicas(v1) == 4)  // the stable keeps all its pods with a router
        #expect(sim.weight == 0)        // no traffic before the canary pods are ready
        sim.settle()
        await sim.run(2)
        #expect(sim.weight == 30)
        #expect(sim.phase == .paused)
        sim.annotate(ManualControlAnnotations.promote, "1")
        await sim.step()
        #expect(sim.replicas(v2) == 3)
        #expect(sim.weight == 30)
        sim.settle()
        await sim.run(2)
        #expect(sim.weight == 60)
        // Abort: weight back to 0 at once; the canary stays up abortScaleDownDelaySeconds.
        sim.annotate(ManualControlAnnotations.abort, "1")
        await sim.run(1)
        #expect(sim.weight == 0)
        #expect(sim.phase == .degraded)
        #expect(sim.replicas(v2) == 3)
        await sim.run(31)
        #expect(sim.replicas(v2) == 0)
        #expect(sim.replicas(v1) == 4)
        #expect(sim.violations.isEmpty)
    }

    @Test func routedPromotionKeepsOldStableForScaleDownDelay() async throws {
        let steps: [RolloutCanaryStep] = [.weight(50)]
        var sim = await Self.deployed(RolloutSim.canary(replicas: 2, steps: steps, routed: true))
        let v1 = try #require(sim.stableHash)
        sim.setImage("web:2")
        await sim.run(6)
        let v2 = try #require(sim.status.currentPodHash)
        #expect(sim.stableHash == v2)
        #expect(sim.weight == 0)
        #expect(sim.selector("web-stable") == v2)
        #expect(sim.replicas(v1) == 2)
        await sim.run(31)
        #expect(sim.replicas(v1) == 0)
    }

    @Test func backgroundAnalysisFailureAborts() async throws {
        var spec = RolloutSim.canary(replicas: 4, steps: [.weight(25), .pause(), .weight(75), .pause()])
        var bg = RolloutAnalysis.template("rate")
        bg.startingStep = 1
        spec.strategy.canary?.analysis = bg
        var sim = await Self.deployed(spec)
        sim.setImage("web:2")
        await sim.run(4)
        let run = try #require(sim.createdRuns.first)
        #expect(run.kind == .background)
        #expect(sim.status.canary?.currentBackgroundAnalysisRunStatus?.name == run.name)
        sim.runOutcome = { _ in .failed }
        sim.finishRuns()
        await sim.run(5)
        #expect(sim.status.abort == true)
        #expect(sim.replicas(sim.status.currentPodHash) == 0)
    }

    @Test func promoteFullSkipsTheRemainingSteps() async throws {
        var sim = await Self.deployed(RolloutSim.canary(replicas: 4, steps: [.weight(25), .pause(), .analysis(.template("rate"))]))
        sim.setImage("web:2")
        await sim.run(4)
        #expect(sim.phase == .paused)
        sim.annotate(ManualControlAnnotations.promoteFull, "1")
        await sim.run(6)
        #expect(sim.stableHash == sim.status.currentPodHash)
        #expect(sim.phase == .healthy)
        #expect(sim.createdRuns.isEmpty)
    }

    @Test func headerRouteStepsAreWrittenWithTheTraffic() async throws {
        var spec = RolloutSim.canary(replicas: 2, steps: [
            .weight(10),
            RolloutCanaryStep(setHeaderRoute: RolloutSetHeaderRoute(name: "beta", match: [
                RolloutHeaderRoutingMatch(headerName: "x-beta", headerValue: RolloutStringMatch(exact: "1"))])),
            .pause(),
        ], routed: true)
        spec.strategy.canary?.trafficRouting?.managedRoutes = [RolloutManagedRoute(name: "beta")]
        var sim = await Self.deployed(spec)
        sim.setImage("web:2")
        await sim.run(4)
        #expect(sim.status.currentStepIndex == 2)
        #expect(sim.traffic.last?.headerRoutes.map(\.name) == ["beta"])
        #expect(sim.traffic.last?.managedRoutes == ["beta"])
        sim.annotate(ManualControlAnnotations.promote, "1")
        await sim.run(4)
        #expect(sim.phase == .healthy)
        #expect(sim.traffic.last?.headerRoutes.isEmpty == true)
    }
}
