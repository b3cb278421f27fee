import Foundation
import Testing
import KubeCore
import SerinAPI
import Traffic
@testable import Delivery

let t0 = Date(timeIntervalSince1970: 1_800_000_000)
let ready3 = WorkloadState(desiredReplicas: 3, readyReplicas: 3)
let scaledDown = WorkloadState(desiredReplicas: 0, readyReplicas: 0)

func canarySpec(_ analysis: CanaryAnalysis = CanaryAnalysis(
                    interval: "1m", threshold: 2, maxWeight: 30, stepWeight: 10,
                    metrics: [CanaryMetric(name: "request-success-rate", thresholdRange: ThresholdRange(min: 99))]),
                provider: String = "istio") -> CanarySpec {
    CanarySpec(provider: provider, targetRef: CrossNamespaceRef(apiVersion: "apps/v1", kind: "Deployment", name: "podinfo"),
               service: CanaryService(port: 9898), analysis: analysis)
}

func world(target: WorkloadState? = scaledDown, primary: WorkloadState? = ready3, checksum: String = "rev-1",
           primaryChecksum: String? = "rev-1", routes: RouteWeights? = .primaryOnly,
           hooks: [String: WebhookResult] = [:], metrics: [MetricCheckResult]? = nil,
           annotations: [String: String] = [:]) -> ObservedWorld {
    ObservedWorld(name: "podinfo", namespace: "test", generation: 2, annotations: annotations, target: target,
                  primary: primary, releaseChecksum: checksum, primaryChecksum: primaryChecksum, routes: routes,
                  webhookResults: hooks, metricResults: metrics)
}

func status(_ phase: CanaryPhase, weight: Int = 0, failed: Int = 0, iterations: Int = 0, applied: String = "rev-1",
            lastStep: Date? = nil, preRollout: Bool = true) -> CanaryStatus {
    var s = CanaryStatus(phase: phase, canaryWeight: weight, failedChecks: failed, iterations: iterations,
                         lastAppliedSpec: applied, lastPromotedSpec: "rev-1", lastTransitionTime: KubeTime.format(t0))
    s.lastStepTime = lastStep.map { KubeTime.format($0) }
    s.preRolloutPassed = preRollout
    return s
}

let decider = CanaryDecider(defaultProvider: "istio", pollSeconds: 5)
let pass3 = [metric("request-success-rate", 99.9, .pass)]

@Suite struct InitializationTransitions {
    @Test func aNewCanaryCreatesThePrimaryAndWaits() {
        let d = decider.decide(spec: canarySpec(), status: nil, observed: world(target: ready3, primary: nil, routes: nil), now: t0)
        #expect(d.newStatus.phase == .initializing)
        #expect(d.actions == [.initializePrimary, .reconcileRouting])
        #expect(d.events.map(\.reason) == ["Initializing"])
        #expect(d.requeueAfter == 5)
        #expect(d.newStatus.conditions?[type: "Promoted"]?.status == .unknown)
        #expect(d.newStatus.conditions?[type: "SpecValid"]?.status == .true)
        #expect(d.newStatus.observedGeneration == 2)
    }

    @Test func aReadyPrimaryFinishesInitialization() {
        let d = decider.decide(spec: canarySpec(), status: CanaryStatus(phase: .initializing),
                               observed: world(target: ready3, routes: nil), now: t0)
        #expect(d.newStatus.phase == .initialized)
        #expect(d.actions == [.initializePrimary, .reconcileRouting, .setRoutes(.primaryOnly), .scaleTargetToZero])
        #expect(d.newStatus.lastAppliedSpec == "rev-1")
        #expect(d.newStatus.lastPromotedSpec == "rev-1")
        #expect(d.events.map(\.message) == ["Initialization done! podinfo.test"])
        let promoted = d.newStatus.conditions?[type: "Promoted"]
        #expect(promoted?.status == .true)
        #expect(promoted?.reason == "Initialized")
    }

    @Test func initializedWithTheSameRevisionDoesNothing() {
        let d = decider.decide(spec: canarySpec(), status: status(.initialized), observed: world(), now: t0)
        #expect(d.newStatus.phase == .initialized)
        #expect(d.actions.isEmpty)
        #expect(d.events.isEmpty)
        #expect(d.requeueAfter == 60)
    }

    @Test func driftIsRepairedInSteadyPhases() {
        let d = decider.decide(spec: canarySpec(), status: status(.succeeded),
                               observed: world(target: ready3, routes: RouteWeights(primary: 70, canary: 30)), now: t0)
        #expect(d.actions == [.setRoutes(.primaryOnly), .scaleTargetToZero])
        #expect(d.newStatus.phase == .succeeded)
    }
}

@Suite struct ReleaseTransitions {
    @Test func aNewRevisionScalesTheCanaryUp() {
        let d = decider.decide(spec: canarySpec(), status: status(.succeeded), observed: world(checksum: "rev-2"), now: t0)
        #expect(d.newStatus.phase == .progressing)
        #expect(d.actions == [.scaleTargetUp])
        #expect(d.newStatus.lastAppliedSpec == "rev-2")
        #expect(d.newStatus.canaryWeight == 0)
        #expect(d.newStatus.notReadySince == KubeTime.format(t0))
        #expect(d.events.map(\.message) == ["New revision detected! Scaling up podinfo.test"])
    }

    func gated() -> CanarySpec {
        canarySpec(CanaryAnalysis(interval: "1m", threshold: 2, maxWeight: 30, stepWeight: 10,
                                  webhooks: [CanaryWebhook(name: "approve", type: .confirmRollout, url: "http://gate/")]))
    }

    @Test func confirmRolloutIsAskedBeforeAnythingChanges() throws {
        let before = status(.succeeded)
        let d = decider.decide(spec: gated(), status: before, observed: world(checksum: "rev-2"), now: t0)
        #expect(d.needsResults)
        #expect(d.newStatus == before)
        #expect(d.events.isEmpty)
        let q = try #require(d.queries.first)
        guard case .callWebhook(let hook, let payload) = q else { Issue.record("not a webhook call"); return }
        #expect(hook.name == "approve")
        #expect(payload == WebhookPayload(name: "podinfo", namespace: "test", phase: .succeeded, checksum: "rev-2", metadata: nil))
    }

    @Test func aDeniedConfirmRolloutWaits() {
        let no = world(checksum: "rev-2", hooks: ["approve": WebhookResult(passed: false, statusCode: 403)])
        let d = decider.decide(spec: gated(), status: status(.succeeded), observed: no, now: t0)
        #expect(d.newStatus.phase == .waiting)
        #expect(d.actions.isEmpty)
        #expect(d.events.map(\.message) == ["Halt advancement of podinfo.test, waiting for rollout approval: confirm-rollout webhook approve answered HTTP 403"])
        // A minute later the gate is asked again; still no: no repeated event.
        let later = t0.addingTimeInterval(60)
        let again = decider.decide(spec: gated(), status: d.newStatus, observed: no, now: later)
        #expect(again.newStatus.phase == .waiting)
        #expect(again.events.isEmpty)
        // Approved: the canary scales up.
        let yes = world(checksum: "rev-2", hooks: ["approve": WebhookResult(passed: true, statusCode: 200)])
        let go = decider.decide(spec: gated(), status: again.newStatus, observed: yes, now: later.addingTimeInterval(60))
        #expect(go.newStatus.phase == .progressing)
        #expect(go.actions == [.scaleTargetUp])
        #expect(go.events.map(\.message) == ["Rollout of podinfo.test approved! Scaling up podinfo.test"])
    }

    @Test func aCanaryNotReadyWaitsThenRollsBackAtTheDeadline() {
        var s = status(.progressing, applied: "rev-2", preRollout: false)
        s.notReadySince = KubeTime.format(t0)
        let slow = world(target: WorkloadState(desiredReplicas: 3, readyReplicas: 1), checksum: "rev-2")
        let d = decider.decide(spec: canarySpec(), status: s, observed: slow, now: t0.addingTimeInterval(100))
        #expect(d.newStatus.phase == .progressing)
        #expect(d.newStatus.waitingFor == "canary-ready")
        #expect(d.requeueAfter == 5)
        #expect(d.actions.isEmpty)
        let late = decider.decide(spec: canarySpec(), status: s, observed: slow, now: t0.addingTimeInterval(600))
        #expect(late.newStatus.phase == .failed)
        #expect(late.actions == [.scaleTargetToZero])  // routes already at the primary
        #expect(late.events.first?.message == "Rolling back podinfo.test: canary deployment podinfo not ready within progressDeadlineSeconds 600 (1/3 replicas ready)")
    }

    @Test func theFirstStepRunsPreRolloutHooksThenAdvances() {
        let spec = canarySpec(CanaryAnalysis(interval: "1m", threshold: 2, maxWeight: 30, stepWeight: 10,
                                             webhooks: [CanaryWebhook(name: "smoke", type: .preRollout, url: "http://t/")]))
        let s = status(.progressing, applied: "rev-2", preRollout: false)
        let ask = decider.decide(spec: spec, status: s, observed: world(target: ready3, checksum: "rev-2"), now: t0)
        #expect(ask.queries.count == 1)
        let failed = decider.decide(spec: spec, status: s, observed: world(target: ready3, checksum: "rev-2",
                                    hooks: ["smoke": WebhookResult(passed: false, statusCode: 500)]), now: t0)
        #expect(failed.newStatus.failedChecks == 1)
        #expect(failed.newStatus.canaryWeight == 0)
        #expect(failed.events.map(\.message) == ["Halt podinfo.test advancement: pre-rollout webhook smoke answered HTTP 500"])
        let ok = decider.decide(spec: spec, status: s, observed: world(target: ready3, checksum: "rev-2",
                                hooks: ["smoke": WebhookResult(passed: true, statusCode: 200)]), now: t0)
        #expect(ok.newStatus.canaryWeight == 10)
        #expect(ok.newStatus.preRolloutPassed == true)
        #expect(ok.actions == [.setRoutes(RouteWeights(primary: 90, canary: 10))])
        #expect(ok.events.map(\.message) == ["Starting canary analysis for podinfo.test", "Advance podinfo.test canary weight 0 → 10"])
    }

    @Test func nothingHappensBeforeTheIntervalElapses() {
        let s = status(.progressing, weight: 10, applied: "rev-2", lastStep: t0)
        let d = decider.decide(spec: canarySpec(), status: s,
                               observed: world(target: ready3, checksum: "rev-2", routes: RouteWeights(primary: 90, canary: 10)),
                               now: t0.addingTimeInterval(45))
        #expect(d.actions.isEmpty)
        #expect(d.requeueAfter == 15)
        let condition1 = d.newStatus == s.with { $0.conditions = d.newStatus.conditions; $0.observedGeneration = 2 }
        #expect(condition1)
    }

    @Test func aPassingIntervalAdvancesByStepWeight() {
        let s = status(.progressing, weight: 10, applied: "rev-2", lastStep: t0)
        let ask = decider.decide(spec: canarySpec(), status: s, observed: world(target: ready3, checksum: "rev-2",
                                 routes: RouteWeights(primary: 90, canary: 10)), now: t0.addingTimeInterval(60))
        #expect(ask.needsResults)
        // A decision that asks carries no effects: they wait for the answers.
        #expect(ask.actions.isEmpty)
        #expect(ask.queries == [.runMetricChecks(canarySpec().analysis?.metrics ?? [])])
        let d = decider.decide(spec: canarySpec(), status: s, observed: world(target: ready3, checksum: "rev-2",
                               routes: RouteWeights(primary: 90, canary: 10), metrics: pass3), now: t0.addingTimeInterval(60))
        #expect(d.newStatus.canaryWeight == 20)
        #expect(d.actions == [.setRoutes(RouteWeights(primary: 80, canary: 20))])
        #expect(d.newStatus.metricResults == pass3)
        #expect(d.newStatus.lastStepTime == KubeTime.format(t0.addingTimeInterval(60)))
        #expect(d.requeueAfter == 60)
    }

    @Test func holdNeitherAdvancesNorCounts() {
        let s = status(.progressing, weight: 10, failed: 1, applied: "rev-2", lastStep: t0)
        let held = [metric("request-success-rate", nil, .hold, noData: true)]
        let d = decider.decide(spec: canarySpec(), status: s, observed: world(target: ready3, checksum: "rev-2",
                               routes: RouteWeights(primary: 90, canary: 10), metrics: held), now: t0.addingTimeInterval(60))
        #expect(d.newStatus.canaryWeight == 10)
        #expect(d.newStatus.failedChecks == 1)
        #expect(d.actions.isEmpty)
        #expect(d.events.map(\.reason) == ["Hold"])
        #expect(d.newStatus.lastStepTime == KubeTime.format(t0.addingTimeInterval(60)))
    }

    @Test func failedChecksAtTheThresholdRollBack() {
        let s = status(.progressing, weight: 20, failed: 1, applied: "rev-2", lastStep: t0)
        let bad = [MetricCheckResult(name: "request-duration", query: "q", value: 731.456, threshold: "<= 500", verdict: .fail,
                                     message: "731.456 > 500", checkedAt: "x")]
        var spec = canarySpec()
        spec.analysis?.metrics = [CanaryMetric(name: "request-duration", thresholdRange: ThresholdRange(max: 500))]
        spec.analysis?.webhooks = [CanaryWebhook(name: "notify", type: .postRollout, url: "http://n/")]
        let d = decider.decide(spec: spec, status: s, observed: world(target: ready3, checksum: "rev-2",
                               routes: RouteWeights(primary: 80, canary: 20), metrics: bad), now: t0.addingTimeInterval(60))
        #expect(d.newStatus.phase == .failed)
        #expect(d.newStatus.failedChecks == 2)
        #expect(d.newStatus.canaryWeight == 0)
        #expect(d.actions.prefix(2) == [.setRoutes(.primaryOnly), .scaleTargetToZero])
        let condition2 = d.actions.contains { if case .notifyWebhook(let h, let p) = $0 { return h.name == "notify" && p.phase == .failed } else { return false } }
        #expect(condition2)
        #expect(d.events.map(\.message) == [
            "Halt podinfo.test advancement: request-duration 731.46 > 500",
            "Rolling back podinfo.test: failed checks threshold reached 2: request-duration 731.46 > 500",
            "Canary failed! Scaling down podinfo.test",
        ])
        #expect(d.events.map(\.type) == [.warning, .warning, .warning])
        #expect(d.newStatus.conditions?[type: "Promoted"]?.status == .false)
    }

    @Test func aRollbackWebhookAnswering2xxRollsBack() {
        var spec = canarySpec()
        spec.analysis?.webhooks = [CanaryWebhook(name: "kill-switch", type: .rollback, url: "http://k/")]
        let s = status(.progressing, weight: 20, applied: "rev-2", lastStep: t0)
        let d = decider.decide(spec: spec, status: s, observed: world(target: ready3, checksum: "rev-2",
                               routes: RouteWeights(primary: 80, canary: 20),
                               hooks: ["kill-switch": WebhookResult(passed: true, statusCode: 200)], metrics: pass3), now: t0.addingTimeInterval(60))
        #expect(d.newStatus.phase == .failed)
        #expect(d.events.first?.message == "Rolling back podinfo.test: rollback webhook kill-switch answered HTTP 200")
    }

    @Test func confirmTrafficIncreaseHoldsTheWeight() {
        var spec = canarySpec()
        spec.analysis?.webhooks = [CanaryWebhook(name: "more", type: .confirmTrafficIncrease, url: "http://g/")]
        let s = status(.progressing, weight: 10, applied: "rev-2", lastStep: t0)
        let obs = world(target: ready3, checksum: "rev-2", routes: RouteWeights(primary: 90, canary: 10),
                        hooks: ["more": WebhookResult(passed: false, statusCode: 403)], metrics: pass3)
        let d = decider.decide(spec: spec, status: s, observed: obs, now: t0.addingTimeInterval(60))
        #expect(d.newStatus.canaryWeight == 10)
        #expect(d.newStatus.waitingFor == "confirm-traffic-increase")
        #expect(d.events.count == 1)
        let again = decider.decide(spec: spec, status: d.newStatus, observed: obs, now: t0.addingTimeInterval(120))
        #expect(again.events.isEmpty)
        var yes = obs
        yes.webhookResults = ["more": WebhookResult(passed: true, statusCode: 200)]
        let go = decider.decide(spec: spec, status: again.newStatus, observed: yes, now: t0.addingTimeInterval(180))
        #expect(go.newStatus.canaryWeight == 20)
        #expect(go.newStatus.waitingFor == nil)
    }

    @Test func confirmPromotionGatesPromotion() {
        var spec = canarySpec()
        spec.analysis?.webhooks = [CanaryWebhook(name: "ship", type: .confirmPromotion, url: "http://g/")]
        let s = status(.progressing, weight: 30, applied: "rev-2", lastStep: t0)
        var obs = world(target: ready3, checksum: "rev-2", routes: RouteWeights(primary: 70, canary: 30),
                        hooks: ["ship": WebhookResult(passed: false, statusCode: 404)], metrics: pass3)
        let wait = decider.decide(spec: spec, status: s, observed: obs, now: t0.addingTimeInterval(60))
        #expect(wait.newStatus.phase == .waitingPromotion)
        #expect(wait.actions.isEmpty)
        obs.webhookResults = ["ship": WebhookResult(passed: true, statusCode: 200)]
        let go = decider.decide(spec: spec, status: wait.newStatus, observed: obs, now: t0.addingTimeInterval(120))
        #expect(go.newStatus.phase == .promoting)
        #expect(go.actions == [.promote(checksum: "rev-2")])
        #expect(go.events.map(\.message) == ["Copying podinfo.test template spec to podinfo-primary.test"])
    }

    @Test func aClosedGateStillCountsFailedChecks() {
        var spec = canarySpec()
        spec.analysis?.webhooks = [CanaryWebhook(name: "ship", type: .confirmPromotion, url: "http://g/")]
        let s = status(.waitingPromotion, weight: 30, failed: 1, applied: "rev-2", lastStep: t0)
        let failing = [metric("request-success-rate", 42, .fail)]
        let obs = world(target: ready3, checksum: "rev-2", routes: RouteWeights(primary: 70, canary: 30),
                        hooks: ["ship": WebhookResult(passed: false, statusCode: 403)], metrics: failing)
        let d = decider.decide(spec: spec, status: s, observed: obs, now: t0.addingTimeInterval(60))
        #expect(d.newStatus.phase == .failed)
        #expect(d.newStatus.failedChecks == 2)
        #expect(d.actions.prefix(2) == [.setRoutes(.primaryOnly), .scaleTargetToZero])
        #expect(d.events.first?.message == "Halt podinfo.test advancement: request-success-rate 42.00 < 99")
    }

    @Test func promotionWaitsForThePrimaryThenFinalises() {
        let s = status(.promoting, weight: 30, applied: "rev-2", lastStep: t0)
        let notYet = decider.decide(spec: canarySpec(), status: s,
                                    observed: world(target: ready3, primary: WorkloadState(desiredReplicas: 3, readyReplicas: 1),
                                                    checksum: "rev-2", primaryChecksum: "rev-2",
                                                    routes: RouteWeights(primary: 70, canary: 30)), now: t0.addingTimeInterval(5))
        #expect(notYet.newStatus.phase == .promoting)
        #expect(notYet.actions.isEmpty)
        // After a restart that lost the promote: it is asked for again.
        let lost = decider.decide(spec: canarySpec(), status: s,
                                  observed: world(target: ready3, checksum: "rev-2", primaryChecksum: "rev-1",
                                                  routes: RouteWeights(primary: 70, canary: 30)), now: t0.addingTimeInterval(5))
        #expect(lost.actions == [.promote(checksum: "rev-2")])
        let done = decider.decide(spec: canarySpec(), status: s,
                                  observed: world(target: ready3, checksum: "rev-2", primaryChecksum: "rev-2",
                                                  routes: RouteWeights(primary: 70, canary: 30)), now: t0.addingTimeInterval(5))
        #expect(done.newStatus.phase == .finalising)
        #expect(done.actions == [.setRoutes(.primaryOnly), .scaleTargetToZero])
        #expect(done.newStatus.canaryWeight == 0)
    }

    @Test func finalisingSucceedsOnceTheTargetIsDown() {
        var spec = canarySpec()
        spec.analysis?.webhooks = [CanaryWebhook(name: "notify", type: .postRollout, url: "http://n/")]
        let s = status(.finalising, applied: "rev-2")
        let up = decider.decide(spec: spec, status: s, observed: world(target: ready3, checksum: "rev-2", primaryChecksum: "rev-2"), now: t0)
        #expect(up.newStatus.phase == .finalising)
        #expect(up.actions == [.scaleTargetToZero])
        let down = decider.decide(spec: spec, status: s, observed: world(checksum: "rev-2", primaryChecksum: "rev-2"), now: t0)
        #expect(down.newStatus.phase == .succeeded)
        #expect(down.newStatus.lastPromotedSpec == "rev-2")
        #expect(down.events.map(\.message) == ["Promotion completed! Scaling down podinfo.test"])
        #expect(down.actions.count == 1)
        #expect(down.newStatus.conditions?[type: "Promoted"]?.status == .true)
    }

    @Test func stepWeightPromotionShiftsTrafficToThePrimaryInSteps() {
        var spec = canarySpec()
        spec.analysis?.stepWeightPromotion = 20
        let s = status(.promoting, weight: 30, applied: "rev-2", lastStep: t0)
        let obs = world(target: ready3, checksum: "rev-2", primaryChecksum: "rev-2", routes: RouteWeights(primary: 70, canary: 30))
        let d = decider.decide(spec: spec, status: s, observed: obs, now: t0.addingTimeInterval(60))
        #expect(d.newStatus.phase == .promoting)
        #expect(d.newStatus.canaryWeight == 10)
        #expect(d.actions == [.setRoutes(RouteWeights(primary: 90, canary: 10))])
        #expect(d.events.map(\.message) == ["Advance podinfo.test primary weight 70 → 90"])
        var obs2 = obs
        obs2.routes = RouteWeights(primary: 90, canary: 10)
        let d2 = decider.decide(spec: spec, status: d.newStatus, observed: obs2, now: t0.addingTimeInterval(120))
        #expect(d2.newStatus.phase == .finalising)
        #expect(d2.actions == [.setRoutes(.primaryOnly), .scaleTargetToZero])
    }

    @Test func aNewRevisionMidAnalysisRestartsFromZero() {
        let s = status(.progressing, weight: 20, failed: 1, applied: "rev-2", lastStep: t0)
        let d = decider.decide(spec: canarySpec(), status: s, observed: world(target: ready3, checksum: "rev-3",
                               routes: RouteWeights(primary: 80, canary: 20)), now: t0.addingTimeInterval(10))
        #expect(d.newStatus.phase == .progressing)
        #expect(d.newStatus.canaryWeight == 0)
        #expect(d.newStatus.failedChecks == 0)
        #expect(d.newStatus.lastAppliedSpec == "rev-3")
        #expect(d.newStatus.lastStepTime == nil)
        #expect(d.actions == [.setRoutes(.primaryOnly), .scaleTargetUp])
        #expect(d.events.map(\.message) == ["New revision detected! Restarting analysis for podinfo.test"])
    }

    @Test func skipAnalysisPromotesAtOnce() {
        var spec = canarySpec()
        spec.skipAnalysis = true
        let d = decider.decide(spec: spec, status: status(.succeeded), observed: world(checksum: "rev-2"), now: t0)
        #expect(d.newStatus.phase == .promoting)
        #expect(d.actions == [.promote(checksum: "rev-2")])
    }
}

@Suite struct ControlTransitions {
    @Test func suspendTakesNoAction() {
        var spec = canarySpec()
        spec.suspend = true
        let s = status(.progressing, weight: 20, applied: "rev-2", lastStep: t0)
        let d = decider.decide(spec: spec, status: s, observed: world(target: ready3, checksum: "rev-3", routes: nil),
                               now: t0.addingTimeInterval(600))
        #expect(d.actions.isEmpty)
        #expect(d.newStatus.phase == .progressing)
        #expect(d.newStatus.canaryWeight == 20)
        #expect(d.requeueAfter == nil)
        #expect(d.events.map(\.reason) == ["Suspended"])
    }

    @Test func thePausedAnnotationHoldsLikeSuspendAndRemovingItResumes() {
        let s = status(.progressing, weight: 20, applied: "rev-2", lastStep: t0)
        let paused = world(target: ready3, checksum: "rev-2", routes: RouteWeights(primary: 80, canary: 20),
                           annotations: [CanaryAnnotations.paused: "true"])
        let d = decider.decide(spec: canarySpec(), status: s, observed: paused, now: t0.addingTimeInterval(600))
        #expect(d.actions.isEmpty)
        #expect(d.newStatus.canaryWeight == 20)
        #expect(d.events.map(\.reason) == ["Paused"])
        #expect(d.newStatus.message?.contains("serin resume") == true)
        let resumed = decider.decide(spec: canarySpec(), status: d.newStatus,
                                     observed: world(target: ready3, checksum: "rev-2", routes: RouteWeights(primary: 80, canary: 20)),
                                     now: t0.addingTimeInterval(600))
        // Resumed: the overdue step asks for its checks at once (the first of its two rounds).
        let asksForChecks = resumed.queries.contains { if case .runMetricChecks = $0 { true } else { false } }
        #expect(asksForChecks)
        #expect(resumed.events.isEmpty)
    }

    @Test func anInvalidSpecIsReportedOnce() {
        let spec = canarySpec(CanaryAnalysis(maxWeight: 20, stepWeight: 30))
        let d = decider.decide(spec: spec, status: status(.initialized), observed: world(checksum: "rev-2"), now: t0)
        #expect(d.actions.isEmpty)
        #expect(d.newStatus.phase == .initialized)
        let cond = d.newStatus.conditions?[type: "SpecValid"]
        #expect(cond?.status == .false)
        #expect(cond?.reason == "InvalidSpec")
        #expect(cond?.message == "spec.analysis.stepWeight: 30 is greater than maxWeight 20; make stepWeight less than or equal to maxWeight")
        #expect(d.events.map(\.reason) == ["InvalidSpec"])
        let again = decider.decide(spec: spec, status: d.newStatus, observed: world(checksum: "rev-2"), now: t0.addingTimeInterval(5))
        #expect(again.events.isEmpty)
    }

    @Test func manualAbortRollsBackOnce() {
        let s = status(.progressing, weight: 20, applied: "rev-2", lastStep: t0)
        let obs = world(target: ready3, checksum: "rev-2", routes: RouteWeights(primary: 80, canary: 20),
                        annotations: [CanaryAnnotations.abort: "1"])
        let d = decider.decide(spec: canarySpec(), status: s, observed: obs, now: t0.addingTimeInterval(5))
        #expect(d.newStatus.phase == .failed)
        #expect(d.actions == [.setRoutes(.primaryOnly), .scaleTargetToZero])
        #expect(d.newStatus.handledAnnotations == [CanaryAnnotations.abort: "1"])
        // Retry with a new value: the same revision runs again from 0.
        var retry = obs
        retry.routes = .primaryOnly
        retry.target = scaledDown
        retry.annotations[CanaryAnnotations.retry] = "a"
        let r = decider.decide(spec: canarySpec(), status: d.newStatus, observed: retry, now: t0.addingTimeInterval(10))
        #expect(r.newStatus.phase == .progressing)
        #expect(r.actions == [.scaleTargetUp])
        // The same retry value seen again after the release failed again does nothing.
        var failedAgain = r.newStatus
        failedAgain.phase = .failed
        let r2 = decider.decide(spec: canarySpec(), status: failedAgain, observed: retry, now: t0.addingTimeInterval(20))
        #expect(r2.newStatus.phase == .failed)
    }

    @Test func manualPromoteSkipsTheRestOfTheAnalysis() {
        let s = status(.progressing, weight: 10, applied: "rev-2", lastStep: t0)
        let d = decider.decide(spec: canarySpec(), status: s,
                               observed: world(target: ready3, checksum: "rev-2", routes: RouteWeights(primary: 90, canary: 10),
                                               annotations: [CanaryAnnotations.promote: "now"]), now: t0.addingTimeInterval(5))
        #expect(d.newStatus.phase == .promoting)
        #expect(d.actions == [.promote(checksum: "rev-2")])
    }

    @Test func deletionWithRevertRestoresTheTarget() {
        var spec = canarySpec()
        spec.revertOnDeletion = true
        var obs = world()
        obs.hasFinalizer = true
        obs.deleting = true
        let d = decider.decide(spec: spec, status: status(.succeeded), observed: obs, now: t0)
        #expect(d.newStatus.phase == .terminating)
        #expect(d.actions == [.revertTarget])
        obs.target = ready3
        let done = decider.decide(spec: spec, status: d.newStatus, observed: obs, now: t0.addingTimeInterval(5))
        #expect(done.newStatus.phase == .terminated)
        #expect(done.actions == [.revertTarget, .removeFinalizer])
    }

    @Test func revertOnDeletionAddsTheFinalizer() {
        var spec = canarySpec()
        spec.revertOnDeletion = true
        let d = decider.decide(spec: spec, status: status(.succeeded), observed: world(), now: t0)
        #expect(d.actions == [.addFinalizer])
    }

    @Test func aMissingTargetIsReportedNotCrashed() {
        var obs = world(target: nil)
        obs.releaseChecksum = nil
        let d = decider.decide(spec: canarySpec(), status: nil, observed: obs, now: t0)
        #expect(d.actions.isEmpty)
        #expect(d.events.map(\.reason) == ["TargetNotFound"])
        #expect(d.newStatus.phase == nil)
        #expect(d.requeueAfter == 60)
    }

    @Test func decidingTwiceGivesTheSameDecision() {
        let s = status(.progressing, weight: 10, applied: "rev-2", lastStep: t0)
        let obs = world(target: ready3, checksum: "rev-2", routes: RouteWeights(primary: 90, canary: 10), metrics: pass3)
        let a = decider.decide(spec: canarySpec(), status: s, observed: obs, now: t0.addingTimeInterval(61))
        let b = decider.decide(spec: canarySpec(), status: s, observed: obs, now: t0.addingTimeInterval(61))
        #expect(a == b)
        // And applying it, then deciding again at the same instant, changes nothing more.
        var after = obs
        after.routes = RouteWeights(primary: 80, canary: 20)
        after.metricResults = nil
        let c = decider.decide(spec: canarySpec(), status: a.newStatus, observed: after, now: t0.addingTimeInterval(61))
        #expect(c.actions.isEmpty)
        #expect(c.newStatus == a.newStatus)
        #expect(c.events.isEmpty)
    }
}

@Suite struct StrategyTransitions {
    @Test func blueGreenAnalysesIterationsThenSwitches() async {
        let sim = Simulator(spec: canarySpec(CanaryAnalysis(interval: "1m", threshold: 2, iterations: 3), provider: "kubernetes"),
                            provider: "kubernetes")
        sim.metricScript = { _ in pass3 }
        sim.spec.analysis?.metrics = [CanaryMetric(name: "request-success-rate", thresholdRange: ThresholdRange(min: 99))]
        await sim.run { $0.phase == .initialized }
        sim.release("rev-2")
        await sim.run { $0.phase == .succeeded }
        #expect(sim.phase == .succeeded)
        let shifted = sim.weights.filter { $0 > 0 }
        #expect(shifted == [100])  // no traffic until the switch
        let condition3 = sim.events.filter { $0.reason == "Advance" }.map(\.message) == [
            "Advance podinfo.test canary iteration 1/3", "Advance podinfo.test canary iteration 2/3",
            "Advance podinfo.test canary iteration 3/3",
        ]
        #expect(condition3)
        let condition4 = sim.events.contains { $0.message == "Routing all traffic to canary podinfo.test" }
        #expect(condition4)
        #expect(sim.cluster.routes == .primaryOnly)
        #expect(sim.checksRun == 3)
    }

    @Test func abTestingRoutesMatchingRequests() async {
        let match: JSONValue = [["headers": ["x-canary": ["exact": "insider"]]]]
        let sim = Simulator(spec: canarySpec(CanaryAnalysis(interval: "1m", threshold: 2, iterations: 2, match: match)))
        await sim.run { $0.phase == .initialized }
        sim.release("rev-2")
        await sim.run { $0.iterations == 1 }
        #expect(sim.cluster.routes == RouteWeights(primary: 100, canary: 0, abMatch: true))
        await sim.run { $0.phase == .succeeded }
        #expect(sim.cluster.routes == .primaryOnly)
    }

    @Test func mirroringPrecedesLiveTraffic() async {
        let sim = Simulator(spec: canarySpec(CanaryAnalysis(interval: "1m", threshold: 2, maxWeight: 20, stepWeight: 10,
                                                            mirror: true, mirrorWeight: 50)))
        await sim.run { $0.phase == .initialized }
        sim.release("rev-2")
        await sim.run { $0.mirroring == true }
        #expect(sim.cluster.routes == RouteWeights(primary: 100, canary: 0, mirror: 50))
        await sim.run { ($0.canaryWeight ?? 0) == 10 }
        #expect(sim.cluster.routes == RouteWeights(primary: 90, canary: 10))
        await sim.run { $0.phase == .succeeded }
        #expect(sim.phase == .succeeded)
    }

    @Test func stepWeightsAreFollowed() async {
        let sim = Simulator(spec: canarySpec(CanaryAnalysis(interval: "30s", threshold: 1, stepWeights: [1, 5, 25, 60])))
        await sim.run { $0.phase == .initialized }
        sim.release("rev-2")
        await sim.run { $0.phase == .succeeded }
        let condition5 = sim.weights.filter { $0 > 0 } == [1, 5, 25, 60]
        #expect(condition5)
    }
}

extension CanaryStatus {
    func with(_ change: (inout CanaryStatus) -> Void) -> CanaryStatus {
        var c = self
        change(&c)
        return c
    }
}
