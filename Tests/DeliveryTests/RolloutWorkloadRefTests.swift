import Foundation
import KubeCore
import SerinAPI
import Testing
@testable import Delivery

/// workloadRef: the pod template comes from a Deployment, which gives way as the Rollout takes over.
@Suite struct RolloutWorkloadRefTests {
    static func sim(_ scaleDown: String) -> RolloutSim {
        var spec = RolloutSim.blueGreen(replicas: 4, auto: true, pre: false, post: false)
        spec.template = nil
        spec.workloadRef = RolloutWorkloadRef(name: "web", scaleDown: scaleDown)
        var sim = RolloutSim(spec: spec, services: RolloutBlueGreenTests.services)
        sim.workloadTemplate = RolloutSim.template(image: "web:1")
        sim.workload = RolloutWorkloadState(name: "web", replicas: 4)
        return sim
    }

    @Test func onSuccessScalesTheDeploymentDownOnceHealthy() async {
        var sim = Self.sim("onsuccess")
        await sim.step()
        #expect(sim.workload?.replicas == 4)  // not before the Rollout's pods are available
        sim.settle()
        await sim.run(2)
        #expect(sim.phase == .healthy)
        #expect(sim.workload?.replicas == 0)
    }

    @Test func progressivelyFollowsTheAvailablePods() async {
        var sim = Self.sim("progressively")
        await sim.step()
        #expect(sim.workload?.replicas == 4)
        sim.settle()
        await sim.step()
        #expect(sim.workload?.replicas == 0)
    }

    @Test func neverLeavesItAndAMissingDeploymentIsDegraded() async {
        var sim = Self.sim("never")
        await sim.run(3)
        #expect(sim.phase == .healthy)
        #expect(sim.workload?.replicas == 4)
        var missing = Self.sim("never")
        missing.workloadTemplate = nil
        missing.workload = nil
        await missing.run(2)
        #expect(missing.phase == .degraded)
        #expect(missing.status.message == "WorkloadNotFound: workloadRef Deployment web not found in apps")
        #expect(missing.replicaSets.isEmpty)
    }

    @Test func aNewDeploymentTemplateIsANewRevision() async {
        var sim = Self.sim("never")
        await sim.run(3)
        let v1 = sim.stableHash
        sim.workloadTemplate = RolloutSim.template(image: "web:2")
        await sim.run(4)
        #expect(sim.stableHash != v1)
        #expect(sim.rs(sim.stableHash)?.revision == 2)
    }
}
