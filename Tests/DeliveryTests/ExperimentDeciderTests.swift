import Foundation
import KubeCore
import SerinAPI
import Testing
@testable import Delivery

/// A small cluster for the Experiment core: it carries out its actions as the controller and
/// the Kubernetes controllers would (ReplicaSets get their pods one tick after a scale, runs end
/// as the test says), keeps the status between decisions and records the events.
struct ExperimentSim {
    var spec: ExperimentSpec
    var status: ExperimentStatus?
    var now = Date(timeIntervalSince1970: 1_800_000_000)
    var world = ExperimentWorld()
    var events: [DeliveryEvent] = []
    var actions: [ExperimentAction] = []
    /// Pods of these templates never become available.
    var neverReady: Set<String> = []

    init(_ spec: ExperimentSpec) { self.spec = spec }

    static func template(_ name: String, replicas: Int? = nil, service: Bool = false) -> ExperimentTemplate {
        ExperimentTemplate(
            name: name, replicas: replicas, selector: ["matchLabels": ["app": "demo", "color": .string(name)]],
            template: ["metadata": ["labels": ["app": "demo", "color": .string(name)]],
                       "spec": ["containers": [["name": "demo", "image": .string("demo:\(name)"), "ports": [["containerPort": 8080]]]]]],
            service: service ? ExperimentTemplateService() : nil)
    }

    @discardableResult
    mutating func step() -> DeliveryDecision<Never, ExperimentAction, ExperimentStatus> {
        let input = ExperimentInput(name: "ex", namespace: "apps", generation: 1, spec: spec, status: status, world: world)
        let d = ExperimentDecider().decide(input, now: now)
        status = d.newStatus
        events += d.events
        actions += d.actions
        for a in d.actions { apply(a) }
        return d
    }

    mutating func apply(_ a: ExperimentAction) {
        switch a {
        case .createReplicaSet(let rs):
            let template = rs[path: ["metadata", "annotations", ExperimentLabels.templateName]].stringValue ?? ""
            world.replicaSets[template] = RolloutReplicaSetState(
                name: rs.name ?? "", podHash: rs[path: ["metadata", "labels", RolloutLabels.podTemplateHash]].stringValue ?? "",
                revision: 0, replicas: rs[path: ["spec", "replicas"]].intValue ?? 0, statusReplicas: 0, readyReplicas: 0,
                availableReplicas: 0)
        case .scaleReplicaSet(let name, let n):
            for (k, rs) in world.replicaSets where rs.name == name { world.replicaSets[k]?.replicas = n }
        case .annotateReplicaSet(let name, let ann):
            for (k, rs) in world.replicaSets where rs.name == name {
                world.replicaSets[k]?.scaleDownDeadline = ann[RolloutLabels.scaleDownDeadline] ?? nil
            }
        case .createService(let svc): world.services.insert(svc.name ?? "")
        case .deleteService(let name): world.services.remove(name)
        case .createAnalysisRun(let req): world.runs[req.runName] = ExperimentObservedRun(phase: .pending)
        case .terminateAnalysisRun(let name):
            world.runs[name]?.terminate = true
            if world.runs[name]?.phase?.isCompleted != true { world.runs[name]?.phase = .successful }
        }
    }

    /// The kubelet catches up: pods of every ReplicaSet available (except `neverReady`).
    mutating func settle() {
        for (k, rs) in world.replicaSets {
            let n = neverReady.contains(k) ? 0 : rs.replicas
            world.replicaSets[k]?.statusReplicas = rs.replicas
            world.replicaSets[k]?.readyReplicas = n
            world.replicaSets[k]?.availableReplicas = n
        }
    }

    mutating func run(_ n: Int = 1, dt: Double = 1) {
        for _ in 0..<n {
            step()
            settle()
            now = now.addingTimeInterval(dt)
        }
    }

    var phase: AnalysisPhase? { status?.phase }
    func replicas(_ template: String) -> Int? { world.replicaSets[template]?.replicas }
}

@Suite struct ExperimentDeciderTests {
    @Test func runsForItsDurationThenSucceedsAndScalesDownAfterTheDelay() throws {
        var spec = ExperimentSpec(templates: [ExperimentSim.template("purple"), ExperimentSim.template("orange", replicas: 2)],
                                  duration: .string("1m"), scaleDownDelaySeconds: 10)
        spec.progressDeadlineSeconds = 30
        var sim = ExperimentSim(spec)
        sim.step()
        #expect(sim.phase == .pending)
        // The ReplicaSets are Argo's names: <experiment>-<template>-<hash>.
        let purple = try #require(sim.world.replicaSets["purple"])
        let hash = ExperimentObjects.hash(experiment: "ex", spec.templates[0], collisionCount: nil)
        #expect(purple.name == "ex-purple-\(hash)")
        #expect(sim.replicas("orange") == 2)
        sim.settle()
        sim.run(2)
        #expect(sim.phase == .running)
        #expect(sim.status?.availableAt != nil)
        #expect(sim.status?.template("orange")?.availableReplicas == 2)
        sim.run(31, dt: 2)
        #expect(sim.phase == .successful)
        let success = sim.events.contains { $0.reason == "ExperimentSuccessful" }
        #expect(success)
        // Scale-down waits scaleDownDelaySeconds after the end.
        #expect(sim.replicas("purple") == 1)
        sim.run(6, dt: 3)
        #expect(sim.replicas("purple") == 0)
        #expect(sim.replicas("orange") == 0)
        #expect(sim.phase == .successful)
        #expect(sim.status?.conditions?[type: "Completed"]?.status == .true)
    }

    @Test func aTemplateThatNeverBecomesAvailableFailsAtItsProgressDeadline() {
        var spec = ExperimentSpec(templates: [ExperimentSim.template("purple"), ExperimentSim.template("orange")], duration: .int(600))
        spec.progressDeadlineSeconds = 20
        var sim = ExperimentSim(spec)
        sim.neverReady = ["orange"]
        sim.run(10, dt: 1)
        #expect(sim.phase == .pending)
        sim.run(15, dt: 1)
        #expect(sim.phase == .failed)
        #expect(sim.status?.message == "Template 'orange' exceeded its progressDeadlineSeconds (20)")
        let warning = sim.events.contains { $0.reason == "TemplateFailed" && $0.type == .warning }
        #expect(warning)
        #expect(sim.status?.availableAt == nil)
    }

    @Test func analysesStartOnceAvailableAndAFailedRunFailsTheExperiment() {
        let spec = ExperimentSpec(templates: [ExperimentSim.template("canary")],
                                  analyses: [ExperimentAnalysis(name: "rate", templateName: "success-rate",
                                                                args: [AnalysisArgument(name: "hash", value: "{{templates.canary.podTemplateHash}}")])])
        var sim = ExperimentSim(spec)
        sim.run(2)
        #expect(sim.world.runs.isEmpty)  // not before the templates are available
        sim.run(3)
        #expect(sim.phase == .running)
        #expect(sim.world.runs["ex-rate"] != nil)
        let hash = ExperimentObjects.hash(experiment: "ex", spec.templates[0], collisionCount: nil)
        let created = sim.actions.compactMap { a -> ExperimentAnalysisRequest? in
            if case .createAnalysisRun(let r) = a { return r } else { return nil }
        }
        #expect(created.first?.args.first?.value == hash)
        #expect(created.count == 1)
        sim.world.runs["ex-rate"]?.phase = .running
        sim.run(3)
        #expect(sim.phase == .running)
        sim.world.runs["ex-rate"] = ExperimentObservedRun(phase: .failed, message: "rate 0.8 < 0.95")
        sim.run(2)
        #expect(sim.phase == .failed)
        #expect(sim.status?.message == "rate 0.8 < 0.95")
        #expect(sim.status?.analysis("rate")?.phase == .failed)
    }

    @Test func requiredAnalysisSuccessEndsAnExperimentWithoutDuration() {
        let spec = ExperimentSpec(templates: [ExperimentSim.template("canary")],
                                  analyses: [ExperimentAnalysis(name: "a", templateName: "t", requiredForCompletion: true),
                                             ExperimentAnalysis(name: "b", templateName: "t")])
        var sim = ExperimentSim(spec)
        sim.run(5)
        #expect(sim.phase == .running)
        sim.world.runs["ex-a"]?.phase = .successful
        sim.world.runs["ex-b"]?.phase = .running
        sim.run(4)
        #expect(sim.phase == .successful)
        // The other run still measuring is terminated.
        #expect(sim.world.runs["ex-b"]?.terminate == true)
    }

    @Test func terminateEndsItSuccessfulAndServicesGoWithThePods() {
        var spec = ExperimentSpec(templates: [ExperimentSim.template("preview", service: true)], scaleDownDelaySeconds: 0)
        var sim = ExperimentSim(spec)
        sim.run(4)
        #expect(sim.phase == .running)
        let rsName = sim.world.replicaSets["preview"]?.name ?? ""
        #expect(sim.world.services.contains(rsName))
        #expect(sim.status?.template("preview")?.serviceName == rsName)
        spec.terminate = true
        sim.spec = spec
        sim.run(4)
        #expect(sim.phase == .successful)
        #expect(sim.replicas("preview") == 0)
        #expect(!sim.world.services.contains(rsName))
    }

    @Test func aMissingAnalysisTemplateIsAnErrorNamingIt() {
        let spec = ExperimentSpec(templates: [ExperimentSim.template("canary")],
                                  analyses: [ExperimentAnalysis(name: "rate", templateName: "nope")])
        var sim = ExperimentSim(spec)
        sim.world.missingTemplates["rate"] = "analysistemplates.serin.dev \"nope\" not found"
        sim.run(2)
        #expect(sim.phase == .error)
        #expect(sim.status?.message?.contains("AnalysisTemplate verification failed for analysis 'rate'") == true)
    }

    /// Restart at any point: deciding again from the stored status does not repeat a creation
    /// the world already shows, and re-derives one it does not (a lost effect).
    @Test func decidingAgainFromStatusIsIdempotent() {
        let spec = ExperimentSpec(templates: [ExperimentSim.template("a"), ExperimentSim.template("b")], duration: .int(30))
        var sim = ExperimentSim(spec)
        for _ in 0..<40 {
            sim.step()
            // Same input again: the same decision, and no creation of what exists.
            let input = ExperimentInput(name: "ex", namespace: "apps", generation: 1, spec: spec, status: sim.status, world: sim.world)
            let again = ExperimentDecider().decide(input, now: sim.now)
            let twice = ExperimentDecider().decide(input, now: sim.now)
            #expect(again == twice)
            let recreates = again.actions.contains { a in
                if case .createReplicaSet(let rs) = a { return sim.world.replicaSets.values.contains { $0.name == rs.name } }
                return false
            }
            #expect(!recreates)
            sim.settle()
            sim.now = sim.now.addingTimeInterval(2)
        }
        #expect(sim.phase == .successful)
        // A ReplicaSet lost (its create failed after the status write) is created again.
        var lost = ExperimentSim(spec)
        lost.step()
        lost.world.replicaSets["a"] = nil
        let d = lost.step()
        let createsA = d.actions.contains { a in
            if case .createReplicaSet(let rs) = a { return rs.name?.hasPrefix("ex-a-") == true }
            return false
        }
        #expect(createsA)
    }
}
