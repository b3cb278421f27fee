import Controllers
import Delivery
import Foundation
import KubeCore
import SerinAPI
import Testing
import SerinTestSupport

/// Experiments against the test API server (the workload simulator gives ReplicaSets ready
/// pods): ReplicaSets and Services per template owned by the Experiment, AnalysisRuns from its
/// analyses, Argo's phases, the scale-down after the end, and a Rollout's experiment step.
@Suite("Experiment controller", .serialized, .timeLimit(.minutes(3)))
struct ExperimentControllerTests {
    static func experiment(_ env: RolloutEnvironment, name: String, duration: String?, analyses: JSONValue? = nil) -> JSONValue {
        func template(_ color: String, replicas: Int, service: Bool) -> JSONValue {
            var t: JSONValue = [
                "name": .string(color), "replicas": .int(Int64(replicas)),
                "selector": ["matchLabels": ["app": "demo", "color": .string(color)]],
                "template": [
                    "metadata": ["labels": ["app": "demo", "color": .string(color)]],
                    "spec": ["containers": [["name": "demo", "image": .string("demo:\(color)"),
                                             "ports": [["name": "http", "containerPort": 8080, "protocol": "TCP"]]]]],
                ],
            ]
            if service { t["service"] = [:] }
            return t
        }
        var spec: JSONValue = ["templates": [template("purple", replicas: 1, service: true), template("orange", replicas: 2, service: false)],
                               "scaleDownDelaySeconds": 20, "progressDeadlineSeconds": 120]
        if let duration { spec["duration"] = .string(duration) }
        if let analyses { spec["analyses"] = analyses }
        return ["apiVersion": "serin.dev/v1alpha1", "kind": "Experiment",
                "metadata": ["name": .string(name), "namespace": .string(env.namespace)], "spec": spec]
    }

    static func get(_ env: RolloutEnvironment, _ name: String) async -> JSONValue {
        (try? await env.client.get(.experiments, namespace: env.namespace, name: name)) ?? .null
    }

    static func owned(_ env: RolloutEnvironment, _ resource: ResourceType, by uid: String?) async -> [JSONValue] {
        let items = (try? await env.client.list(resource, namespace: env.namespace))?.items ?? []
        return items.filter { o in o.ownerReferences.contains { $0["uid"].stringValue == uid && $0["kind"].stringValue == "Experiment" } }
    }

    @Test("templates run as owned ReplicaSets with a Service; the required analysis succeeds; scaled down after the delay")
    func runsAndSucceeds() async throws {
        try await RolloutEnvironment.with { env in
            env.prometheus.set { $0.successRate = 0.99 }
            try await RolloutCanaryControllerTests.applyTemplate(env, count: 2)
            let analyses: JSONValue = [["name": "purple-rate", "templateName": "success-rate", "requiredForCompletion": true,
                                        "args": [["name": "service-name", "value": "{{templates.purple.podTemplateHash}}"]]]]
            _ = try await env.client.create(.experiments, namespace: env.namespace,
                                            Self.experiment(env, name: "colors", duration: nil, analyses: analyses))
            await env.startOperator()
            let running = await env.drive { await Self.get(env, "colors")["status"]["phase"] == "Running" }
            let runningSeen = await Self.get(env, "colors")["status"]
            #expect(running, "\(runningSeen)")
            let ex = await Self.get(env, "colors")
            let rss = await Self.owned(env, .replicaSets, by: ex.uid)
            #expect(rss.count == 2)
            let purpleFound = rss.first { $0.annotations[ExperimentLabels.templateName] == "purple" }
            let purple = try #require(purpleFound)
            let hash = try #require(purple.labels[RolloutLabels.podTemplateHash])
            #expect(purple.name == "colors-purple-\(hash)")
            let orange = rss.first { $0.annotations[ExperimentLabels.templateName] == "orange" }
            #expect(orange?[path: ["spec", "replicas"]].intValue == 2)
            // The Service selects the template's pods by hash; orange asked for none.
            // The Service follows its ReplicaSet (created once the ReplicaSet exists).
            let hasService = await env.drive { await !Self.owned(env, .services, by: ex.uid).isEmpty }
            #expect(hasService)
            let services = await Self.owned(env, .services, by: ex.uid)
            #expect(services.map(\.name) == [purple.name])
            #expect(services.first?[path: ["spec", "selector", RolloutLabels.podTemplateHash]].stringValue == hash)
            #expect(services.first?[path: ["spec", "ports"]].arrayValue?.first?["port"] == 8080)
            #expect(ex["status"]["availableAt"].stringValue != nil)

            let succeeded = await env.drive(step: .seconds(5)) { await Self.get(env, "colors")["status"]["phase"] == "Successful" }
            let succeededSeen = await Self.get(env, "colors")["status"]
            #expect(succeeded, "\(succeededSeen)")
            let runs = await Self.owned(env, .analysisRuns, by: ex.uid)
            #expect(runs.map(\.name) == ["colors-purple-rate"])
            let arg = runs.first?[path: ["spec", "args"]].arrayValue?.first { $0["name"] == "service-name" }
            #expect(arg?["value"].stringValue == hash)
            let done = await Self.get(env, "colors")
            #expect(done["status"]["message"] == "Required AnalysisRuns completed")
            let completed = done["status"]["conditions"].arrayValue?.first { $0["type"] == "Completed" }
            #expect(completed?["status"] == "True")

            // Scale-down only after scaleDownDelaySeconds; the Service goes with the pods.
            let stillUp = await Self.owned(env, .replicaSets, by: ex.uid).allSatisfy { ($0[path: ["spec", "replicas"]].intValue ?? 0) > 0 }
            #expect(stillUp)
            let down = await env.drive(step: .seconds(5)) {
                await Self.owned(env, .replicaSets, by: ex.uid).allSatisfy { $0[path: ["spec", "replicas"]].intValue == 0 }
            }
            #expect(down)
            let gone = await env.drive(step: .seconds(2)) { await Self.owned(env, .services, by: ex.uid).isEmpty }
            #expect(gone)
            let events = ((try? await env.client.list(.events, namespace: env.namespace))?.items ?? [])
                .filter { $0["involvedObject"]["name"] == "colors" }.compactMap { $0["reason"].stringValue }
            #expect(events.contains("ExperimentRunning"))
            #expect(events.contains("ExperimentSuccessful"))
            #expect(events.contains("TemplateRunning"))
        }
    }

    @Test("a failing analysis fails the experiment and its ReplicaSets are scaled down")
    func failingAnalysisFails() async throws {
        try await RolloutEnvironment.with { env in
            env.prometheus.set { $0.successRate = 0.5 }
            try await RolloutCanaryControllerTests.applyTemplate(env, count: 2)
            let analyses: JSONValue = [["name": "rate", "templateName": "success-rate",
                                        "args": [["name": "service-name", "value": "orange"]]]]
            _ = try await env.client.create(.experiments, namespace: env.namespace,
                                            Self.experiment(env, name: "bad", duration: "10m", analyses: analyses))
            await env.startOperator()
            let failed = await env.drive(step: .seconds(5)) { await Self.get(env, "bad")["status"]["phase"] == "Failed" }
            let failedSeen = await Self.get(env, "bad")["status"]
            #expect(failed, "\(failedSeen)")
            let ex = await Self.get(env, "bad")
            #expect(ex["status"]["analysisRuns"].arrayValue?.first?["phase"] == "Failed")
            let down = await env.drive(step: .seconds(5)) {
                await Self.owned(env, .replicaSets, by: ex.uid).allSatisfy { $0[path: ["spec", "replicas"]].intValue == 0 }
            }
            #expect(down)
        }
    }

    @Test("a spec Serin cannot run is Error with InvalidSpec naming the field; nothing is created")
    func invalidSpec() async throws {
        try await RolloutEnvironment.with { env in
            var bad = Self.experiment(env, name: "broken", duration: "1m")
            var templates = bad[path: ["spec", "templates"]].arrayValue ?? []
            templates[0]["template"] = .null
            templates[1]["name"] = "purple"
            bad[path: ["spec", "templates"]] = .array(templates)
            _ = try await env.client.create(.experiments, namespace: env.namespace, bad)
            await env.startOperator()
            let error = await env.drive { await Self.get(env, "broken")["status"]["phase"] == "Error" }
            #expect(error)
            let ex = await Self.get(env, "broken")
            let invalid = ex["status"]["conditions"].arrayValue?.first { $0["type"] == "InvalidSpec" }
            let message = invalid?["message"].stringValue ?? ""
            #expect(message.contains("spec.templates[0].template: is missing"))
            #expect(message.contains("spec.templates[1].name: \"purple\" is used twice"))
            #expect(await Self.owned(env, .replicaSets, by: ex.uid).isEmpty)
        }
    }

    @Test("a Rollout's experiment step creates its Experiment, waits for it and moves on when it is Successful")
    func rolloutStep() async throws {
        try await RolloutEnvironment.with { env in
            env.prometheus.set { $0.successRate = 0.99 }
            let steps: [JSONValue] = [
                ["setWeight": 20],
                ["experiment": ["duration": "30s", "templates": [["name": "baseline", "specRef": "stable"],
                                                                 ["name": "canary", "specRef": "canary"]]]],
                ["setWeight": 60],
            ]
            _ = try await RolloutCanaryControllerTests.deploy(env, steps: steps)
            try await env.setImage("web", "web:2")
            let inStep = await env.drive { await env.status("web")["canary"]["currentExperiment"].stringValue != nil }
            let inStepSeen = await env.status("web")
            #expect(inStep, "\(inStepSeen)")
            let v2 = try #require(await env.status("web")["currentPodHash"].stringValue)
            let name = try #require(await env.status("web")["canary"]["currentExperiment"].stringValue)
            #expect(name == "web-\(v2)-2-1")
            // Status first, then the Experiment.
            let exists = await env.drive { await Self.get(env, name) != .null }
            #expect(exists)
            let ex = await Self.get(env, name)
            #expect(ex.ownerReferences.first?["kind"] == "Rollout")
            let images = (ex[path: ["spec", "templates"]].arrayValue ?? []).compactMap { $0["template"]["spec"]["containers"].arrayValue?.first?["image"].stringValue }
            #expect(images == ["web:1", "web:2"])
            let passed = await env.drive(step: .seconds(5)) { await env.status("web")["currentStepIndex"].intValue == 2 }
            let passedSeen = await env.status("web")
            #expect(passed, "\(passedSeen)")
            #expect(await Self.get(env, name)["status"]["phase"] == "Successful")
            #expect(await env.hasEvent("web", reason: "ExperimentCreated"))
            // One Experiment for the step, whatever the number of passes.
            let all = (try? await env.client.list(.experiments, namespace: env.namespace))?.items ?? []
            #expect(all.count == 1)
        }
    }
}
