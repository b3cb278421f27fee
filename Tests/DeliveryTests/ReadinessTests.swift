import Foundation
import Testing
import KubeCore
import SerinAPI
import Traffic
@testable import Delivery

/// kstatus conditions on a Canary: what Flux's health check and `kubectl wait
/// --for=condition=Ready` see through a release.
@Suite struct CanaryReadinessTests {
    static func conditionStatus(_ s: CanaryStatus?, _ type: String) -> String? {
        s?.conditions?[type: type]?.status.rawValue
    }

    @Test func readyWhenThePrimaryServesReconcilingDuringAReleaseStalledWhenItFailed() async {
        let sim = Simulator(spec: canarySpec())
        await sim.run { $0.phase == .initialized }
        #expect(Self.conditionStatus(sim.status, "Ready") == "True")
        #expect(Self.conditionStatus(sim.status, "Stalled") == "False")
        #expect(sim.status?.conditions?[type: "Ready"]?.observedGeneration == 1)

        sim.release("rev-2")
        sim.metricScript = { _ in [metric("request-success-rate", 99.9, .pass)] }
        await sim.run { $0.phase == .progressing }
        #expect(Self.conditionStatus(sim.status, "Ready") == "False")
        #expect(Self.conditionStatus(sim.status, "Reconciling") == "True")
        #expect(sim.status?.conditions?[type: "Reconciling"]?.reason == "Progressing")

        sim.metricScript = { _ in [metric("request-success-rate", 10, .fail)] }
        await sim.run { $0.phase == .failed }
        #expect(Self.conditionStatus(sim.status, "Ready") == "False")
        #expect(Self.conditionStatus(sim.status, "Stalled") == "True")
        #expect(Self.conditionStatus(sim.status, "Reconciling") == "False")
        #expect(sim.status?.conditions?[type: "Stalled"]?.message.hasPrefix("Rolled back") == true)
    }

    @Test func anInvalidSpecIsStalledNamingTheField() {
        var spec = canarySpec()
        spec.analysis?.stepWeight = 0
        let d = decider.decide(spec: spec, status: status(.initialized), observed: world(), now: t0)
        let stalled = d.newStatus.conditions?[type: "Stalled"]
        #expect(stalled?.status == .true)
        #expect(stalled?.reason == "InvalidSpec")
    }
}

/// The kstatus helper itself: one of the three conditions is abnormal, times kept when unchanged.
@Suite struct ReadinessConditionTests {
    @Test func exactlyOneStateHoldsAndUnchangedConditionsKeepTheirTimes() {
        var c: [Condition] = []
        c.setReadiness(.reconciling(reason: "Progressing", message: "m"), at: "2027-01-15T08:00:00Z", generation: 3)
        #expect(c[type: "Ready"]?.status == .false)
        #expect(c[type: "Reconciling"]?.status == .true)
        #expect(c[type: "Stalled"]?.status == .false)
        c.setReadiness(.reconciling(reason: "Progressing", message: "m"), at: "2027-01-15T09:00:00Z", generation: 3)
        #expect(c[type: "Reconciling"]?.lastTransitionTime == "2027-01-15T08:00:00Z")
        c.setReadiness(.ready(message: "done"), at: "2027-01-15T10:00:00Z", generation: 4)
        #expect(c[type: "Ready"]?.status == .true)
        #expect(c[type: "Ready"]?.observedGeneration == 4)
        #expect(c[type: "Reconciling"]?.status == .false)
        #expect(c.count == 3)
    }
}
