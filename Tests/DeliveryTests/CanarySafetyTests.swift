import Foundation
import Testing
import KubeCore
import SerinAPI
import Traffic
@testable import Delivery

/// Serin's safety beyond the peers: a rollback that never sends everything to a primary its
/// autoscaler shrank, a promotion that keeps the canary serving when the primary never
/// becomes ready, and releases queued under a concurrency limit.
@Suite struct CanarySafetyTests {
    static func autoscaledSpec(rollback: CanaryRollbackPolicy? = nil, deadline: Int = 600) -> CanarySpec {
        var a = CanaryAnalysis(interval: "1m", threshold: 1, maxWeight: 50, stepWeight: 25,
                               metrics: [CanaryMetric(name: "request-success-rate", thresholdRange: ThresholdRange(min: 99))])
        a.rollback = rollback
        return CanarySpec(provider: "istio", targetRef: CrossNamespaceRef(name: "podinfo"),
                          autoscalerRef: CanaryAutoscalerRef(apiVersion: "autoscaling/v2", kind: "HorizontalPodAutoscaler", name: "podinfo"),
                          service: CanaryService(port: 80), progressDeadlineSeconds: deadline, analysis: a)
    }

    /// Initializes, starts a release, and runs the analysis to 50%; then the primary's
    /// autoscaler shrinks it (half the traffic left it) and the next check fails.
    static func failAtHalf(_ sim: Simulator, primaryAfterShrink: Int = 2) async {
        sim.cluster.replicas = 4
        sim.cluster.targetDesired = 4
        sim.cluster.targetReady = 4
        await sim.run { $0.phase == .initialized }
        sim.release("rev-2")
        sim.metricScript = { _ in [metric("request-success-rate", 99.9, .pass)] }
        await sim.run { $0.canaryWeight == 50 }
        sim.cluster.primary = WorkloadState(desiredReplicas: primaryAfterShrink, readyReplicas: primaryAfterShrink)
        sim.metricScript = { _ in [metric("request-success-rate", 42, .fail)] }
    }

    /// The canary share each setRoutes gave the primary, with the primary's ready replicas then.
    struct Shift { var primaryWeight: Int; var primaryReady: Int }

    static func runRecordingShifts(_ sim: Simulator, steps: Int = 200) async -> [Shift] {
        var shifts: [Shift] = []
        for _ in 0..<steps {
            let before = sim.actions.count
            let d = await sim.reconcile()
            for a in sim.actions[before...] {
                if case .setRoutes(let w) = a {
                    shifts.append(Shift(primaryWeight: w.primary, primaryReady: sim.cluster.primary?.readyReplicas ?? 0))
                }
            }
            if sim.phase == .failed, sim.status?.handover == nil { break }
            sim.now = sim.now.addingTimeInterval(max(d.requeueAfter ?? 60, 0.001))
        }
        return shifts
    }

    @Test func aRollbackScalesTheShrunkPrimaryBeforeItTakesTheTrafficBack() async {
        let sim = Simulator(spec: Self.autoscaledSpec())
        await Self.failAtHalf(sim)
        sim.cluster.primaryReadyPerReconcile = 1
        let shifts = await Self.runRecordingShifts(sim)

        // 2 primary replicas carried 50%: all of it needs 4, asked of the autoscaler.
        #expect(sim.cluster.capacityHolds == [4])
        #expect(sim.phase == .failed)
        #expect(sim.status?.handover == nil)
        #expect(sim.cluster.routes == .primaryOnly)
        #expect(sim.cluster.targetDesired == 0)
        #expect(sim.cluster.capacityReleases == 1)
        // Never more traffic on the primary than its ready replicas carry (4 carry 100%).
        let overloaded = shifts.filter { $0.primaryWeight * 4 > max($0.primaryReady, 2) * 100 }
        let overloadText = overloaded.map { "\($0.primaryWeight)%/\($0.primaryReady) ready" }
        #expect(overloaded.isEmpty, "primary overloaded at \(overloadText)")
        #expect(shifts.map(\.primaryWeight) == [75, 100])
        let reasons = sim.events.map(\.reason)
        let tail = Array(reasons.suffix(5))
        #expect(tail == ["RollingBack", "ScalingPrimary", "ReturningTraffic", "TrafficReturned", "Failed"])
    }

    @Test func withScalePrimaryFalseTrafficReturnsAtOnceAsFlaggerDoes() async {
        let sim = Simulator(spec: Self.autoscaledSpec(rollback: CanaryRollbackPolicy(scalePrimary: false)))
        await Self.failAtHalf(sim)
        let shifts = await Self.runRecordingShifts(sim)
        #expect(sim.cluster.capacityHolds.isEmpty)
        #expect(shifts.map(\.primaryWeight) == [100])
        #expect(sim.phase == .failed)
    }

    @Test func aPrimaryThatNeverScalesGetsTheTrafficAtTheDeadlineWithAWarning() async {
        let sim = Simulator(spec: Self.autoscaledSpec(deadline: 120))
        await Self.failAtHalf(sim)
        sim.cluster.primaryBecomesReady = false
        let start = sim.now
        _ = await Self.runRecordingShifts(sim)
        #expect(sim.cluster.routes == .primaryOnly)
        #expect(sim.now.timeIntervalSince(start) >= 120)
        let warning = sim.event("RollbackDeadline")
        #expect(warning?.message.contains("2/4 replicas ready after progressDeadlineSeconds 120") == true)
    }

    @Test func theAutoscalerMaximumBoundsWhatTheRollbackWaitsFor() async {
        let sim = Simulator(spec: Self.autoscaledSpec())
        await Self.failAtHalf(sim)
        sim.cluster.primaryScaleLimit = 3
        _ = await Self.runRecordingShifts(sim)
        #expect(sim.cluster.primary?.desiredReplicas == 3)
        #expect(sim.cluster.routes == .primaryOnly)
        #expect(sim.event("RollbackDeadline") == nil)
    }

    @Test func rollbackStepWeightReturnsTrafficOneStepPerInterval() async {
        var spec = Self.autoscaledSpec(rollback: CanaryRollbackPolicy(scalePrimary: false, stepWeight: 20))
        spec.autoscalerRef = nil
        let sim = Simulator(spec: spec)
        await Self.failAtHalf(sim, primaryAfterShrink: 4)
        let shifts = await Self.runRecordingShifts(sim)
        #expect(shifts.map(\.primaryWeight) == [70, 90, 100])
        #expect(sim.cluster.capacityHolds.isEmpty)
    }

    @Test func aPrimaryAlreadyCarryingEverythingRollsBackAtOnce() async {
        let sim = Simulator(spec: Self.autoscaledSpec())
        await Self.failAtHalf(sim, primaryAfterShrink: 4)
        let shifts = await Self.runRecordingShifts(sim)
        #expect(sim.cluster.capacityHolds.isEmpty)
        #expect(shifts.map(\.primaryWeight) == [100])
    }

    @Test func theHandoverSurvivesARestartFromStatus() async {
        let sim = Simulator(spec: Self.autoscaledSpec())
        await Self.failAtHalf(sim)
        sim.cluster.primaryReadyPerReconcile = 0
        await sim.run(maxSteps: 10) { $0.handover != nil }  // the failing check: the handover begins
        #expect(sim.status?.handover?.kind == .rollback)
        #expect(sim.status?.handover?.primaryReplicas == 4)
        #expect(sim.status?.message?.contains("2/4 replicas ready, canary weight 50%") == true)
        // A new process reads only status: it keeps the canary's share and does not scale it away.
        let restarted = Simulator(spec: sim.spec)
        restarted.status = sim.status
        restarted.cluster = sim.cluster
        restarted.now = sim.now.addingTimeInterval(5)
        let d = await restarted.reconcile()
        #expect(!d.actions.contains(.scaleTargetToZero))
        #expect(restarted.cluster.routes?.canary == 50)
    }

    // MARK: - Promotion

    static func promotionSpec(deadline: Int = 120) -> CanarySpec {
        CanarySpec(provider: "istio", targetRef: CrossNamespaceRef(name: "podinfo"), service: CanaryService(port: 80),
                   progressDeadlineSeconds: deadline,
                   analysis: CanaryAnalysis(interval: "1m", threshold: 1, maxWeight: 50, stepWeight: 50,
                                            metrics: [CanaryMetric(name: "request-success-rate", thresholdRange: ThresholdRange(min: 99))]))
    }

    @Test func aPromotedPrimaryThatNeverBecomesReadyKeepsTheCanaryServing() async {
        let sim = Simulator(spec: Self.promotionSpec())
        await sim.run { $0.phase == .initialized }
        sim.release("rev-2")
        sim.metricScript = { _ in [metric("request-success-rate", 99.9, .pass)] }
        sim.cluster.primaryBecomesReady = false
        await sim.run(maxSteps: 100) { $0.phase == .failed }

        #expect(sim.status?.handover?.kind == .promotionHold)
        // No primary pod is ready: the canary, the only working copy, takes all the traffic.
        #expect(sim.cluster.routes?.canary == 100)
        #expect(sim.cluster.targetDesired == sim.cluster.replicas)
        #expect(sim.event("PromotionHalted") != nil)
        #expect(sim.status?.conditions?[type: "Promoted"]?.status == .false)

        // Later polls keep it so; when the primary recovers, the promotion completes.
        await sim.run(maxSteps: 5) { _ in false }
        #expect(sim.cluster.routes?.canary == 100)
        sim.cluster.primary = WorkloadState(desiredReplicas: 3, readyReplicas: 3)
        await sim.run { $0.phase == .succeeded }
        #expect(sim.cluster.routes == .primaryOnly)
        #expect(sim.cluster.targetDesired == 0)
        #expect(sim.event("PromotionResumed") != nil)
    }

    @Test func retryPromotesAgainDuringAHold() async {
        let sim = Simulator(spec: Self.promotionSpec())
        await sim.run { $0.phase == .initialized }
        sim.release("rev-2")
        sim.metricScript = { _ in [metric("request-success-rate", 99.9, .pass)] }
        sim.cluster.primaryBecomesReady = false
        await sim.run(maxSteps: 100) { $0.phase == .failed }
        let promotionsBefore = sim.promotions("rev-2")
        sim.cluster.annotations[CanaryAnnotations.retry] = "1"
        sim.cluster.primaryBecomesReady = true
        await sim.reconcile()
        #expect(sim.phase == .promoting)
        #expect(sim.promotions("rev-2") == promotionsBefore + 1)
        await sim.run { $0.phase == .succeeded }
        #expect(sim.cluster.routes == .primaryOnly)
    }

    // MARK: - Concurrency limit

    @Test func aReleaseWithoutASlotQueuesAndStartsWhenOneFrees() async {
        let sim = Simulator(spec: Self.promotionSpec())
        await sim.run { $0.phase == .initialized }
        sim.cluster.releaseSlot = ReleaseSlot(waitsFor: "1 of 1 concurrent releases in the cluster run (shop/cart)")
        sim.release("rev-2")
        await sim.reconcile()
        #expect(sim.phase == .waiting)
        #expect(sim.status?.waitingFor == "release-slot")
        #expect(sim.status?.queuedSince != nil)
        #expect(sim.status?.message == "Release of podinfo.test queued: 1 of 1 concurrent releases in the cluster run (shop/cart)")
        #expect(sim.cluster.targetDesired == 0)
        #expect(sim.events.last?.reason == "Queued")
        let d = await sim.reconcile()
        #expect(d.requeueAfter == 5)
        #expect(sim.phase == .waiting)

        sim.cluster.releaseSlot = .free
        await sim.reconcile()
        #expect(sim.phase == .progressing)
        #expect(sim.status?.queuedSince == nil)
        #expect(sim.status?.waitingFor == nil)
    }
}

extension Simulator {
    func event(_ reason: String) -> CanaryEvent? { events.first { $0.reason == reason } }
    func promotions(_ checksum: String) -> Int { actions.filter { $0 == .promote(checksum: checksum) }.count }
}
