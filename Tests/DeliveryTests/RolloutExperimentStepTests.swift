import Foundation
import KubeCore
import SerinAPI
import Testing
@testable import Delivery

/// The canary `experiment` step: the Rollout creates its Experiment (owned, named after the
/// revision and step), waits for it, moves on when it is Successful and aborts when it fails.
@Suite struct RolloutExperimentStepTests {
    static func spec(analyses: Bool = true) -> RolloutSpec {
        let step = RolloutExperimentStep(
            duration: .string("10m"),
            templates: [RolloutExperimentTemplate(name: "baseline", specRef: "stable"),
                        RolloutExperimentTemplate(name: "canary", specRef: "canary", replicas: 2,
                                                  metadata: CustomMetadata(labels: ["role": "experiment"]))],
            analyses: analyses ? [RolloutExperimentAnalysis(
                name: "compare", templateName: "mann-whitney",
                args: [RolloutAnalysisArgument(name: "canary-hash", valueFrom: RolloutArgumentValueFrom(podTemplateHashValue: "Latest"))])] : nil)
        return RolloutSim.canary(replicas: 4, steps: [.weight(25), RolloutCanaryStep(experiment: step), .weight(50)])
    }

    @Test func theStepCreatesItsExperimentWaitsAndPassesWhenSuccessful() async throws {
        var sim = await RolloutCanaryTests.deployed(Self.spec())
        let v1 = try #require(sim.stableHash)
        sim.setImage("web:2")
        await sim.run(4)
        let v2 = try #require(sim.status.currentPodHash)
        #expect(sim.status.currentStepIndex == 1)
        let name = "web-\(v2)-2-1"
        #expect(sim.status.canary?.currentExperiment == name)
        let created = try #require(sim.createdExperiments.first)
        #expect(sim.createdExperiments.count == 1)
        #expect(created.name == name)
        let ex = try created.decode(as: Experiment.self)
        // The templates run the stable and the canary pod specs, without the hash label.
        let baselineFound = ex.spec.templates.first { $0.name == "baseline" }
        let canaryFound = ex.spec.templates.first { $0.name == "canary" }
        let baseline = try #require(baselineFound)
        let canary = try #require(canaryFound)
        #expect(baseline.template?[path: ["spec", "containers"]] == sim.rs(v1)?.template[path: ["spec", "containers"]])
        let image = canary.template?["spec"]["containers"].arrayValue?.first?["image"]
        #expect(image == "web:2")
        #expect(canary.template?[path: ["metadata", "labels", RolloutLabels.podTemplateHash]] == .null)
        #expect(canary.template?[path: ["metadata", "labels", "role"]] == "experiment")
        #expect(canary.replicas == 2)
        #expect(ex.spec.durationSeconds == 600)
        #expect(ex.spec.analyses?.first?.args?.first?.value == v2)
        // Waits while it runs; the canary keeps its step-1 share.
        await sim.run(5, dt: 30)
        #expect(sim.status.currentStepIndex == 1)
        #expect(sim.replicas(v2) == 1)
        #expect(sim.createdExperiments.count == 1)
        sim.experiments[name]?.phase = .successful
        await sim.run(6)
        let passed = sim.events.contains { $0.message == "Rollout step 2/3 completed (experiment: baseline, canary)" }
        #expect(passed)
        #expect(sim.status.currentStepIndex == 3)
        #expect(sim.status.canary?.currentExperiment == nil)
        #expect(sim.stableHash == v2)
        #expect(sim.createdExperiments.count == 1)
        #expect(sim.violations.isEmpty)
    }

    @Test func aFailedExperimentAbortsTheRollout() async throws {
        var sim = await RolloutCanaryTests.deployed(Self.spec())
        let v1 = try #require(sim.stableHash)
        sim.setImage("web:2")
        await sim.run(4)
        let v2 = try #require(sim.status.currentPodHash)
        let name = "web-\(v2)-2-1"
        sim.experiments[name]?.phase = .failed
        sim.experiments[name]?.message = "Metric \"compare\" assessed Failed"
        await sim.run(4)
        #expect(sim.status.abort == true)
        #expect(sim.phase == .degraded)
        #expect(sim.status.message?.contains("experiment \(name) Failed: Metric \"compare\" assessed Failed") == true)
        #expect(sim.replicas(v2) == 0)
        #expect(sim.replicas(v1) == 4)
        #expect(sim.violations.isEmpty)
    }

    @Test func abortingTerminatesTheRunningExperiment() async throws {
        var sim = await RolloutCanaryTests.deployed(Self.spec(analyses: false))
        sim.setImage("web:2")
        await sim.run(4)
        let v2 = try #require(sim.status.currentPodHash)
        let name = "web-\(v2)-2-1"
        #expect(sim.experiments[name]?.phase == .running)
        sim.annotate(ManualControlAnnotations.abort, "now")
        await sim.run(3)
        #expect(sim.status.abort == true)
        #expect(sim.experiments[name]?.terminate == true)
    }

    @Test func validationRefusesWeightsByNameAndChecksSpecRef() {
        let step = RolloutExperimentStep(templates: [
            RolloutExperimentTemplate(name: "exp", specRef: "canary", weight: 20),
            RolloutExperimentTemplate(name: "other", specRef: "preview"),
        ])
        let spec = RolloutSim.canary(replicas: 4, steps: [.weight(10), RolloutCanaryStep(experiment: step)], routed: true)
        let problems = spec.validate()
        let weight = problems.first { $0.path == "spec.strategy.canary.steps[1].experiment.templates[0].weight" }
        #expect(weight?.message.contains("are not supported by Serin") == true)
        let specRef = problems.first { $0.path == "spec.strategy.canary.steps[1].experiment.templates[1].specRef" }
        #expect(specRef?.message == "\"preview\" is neither stable nor canary")
        #expect(Self.spec().validate().isEmpty)
    }
}
