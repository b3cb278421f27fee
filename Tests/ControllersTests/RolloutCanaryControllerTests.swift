import Controllers
import Foundation
import KubeCore
import SerinAPI
import Testing
import SerinTestSupport

/// Canary Rollouts against the test API server: steps walked with real AnalysisRuns, the
/// replica split as the traffic split without a router, an HTTPRoute's weights with one, an
/// abort by a failing analysis, and an operator restarted in the middle of an update.
@Suite("Rollout controller: canary", .serialized, .timeLimit(.minutes(3)))
struct RolloutCanaryControllerTests {
    static let name = "web"

    /// An AnalysisTemplate on the fake Prometheus: success rate of `{{args.service-name}}`, `count` samples 10 s apart.
    static func applyTemplate(_ env: RolloutEnvironment, count: Int = 3) async throws {
        _ = try await env.client.create(.analysisTemplates, namespace: env.namespace, [
            "apiVersion": "serin.dev/v1alpha1", "kind": "AnalysisTemplate",
            "metadata": ["name": "success-rate", "namespace": .string(env.namespace)],
            "spec": [
                "args": [["name": "service-name"]],
                "metrics": [[
                    "name": "success-rate", "interval": "10s", "count": .int(Int64(count)),
                    "successCondition": "result[0] >= 0.95",
                    "provider": ["prometheus": [
                        "address": .string(env.prometheus.address),
                        "query": #"sum(rate(http_requests_total{service="{{args.service-name}}",status!~"5.."}[1m])) / sum(rate(http_requests_total{service="{{args.service-name}}"}[1m]))"#,
                    ]],
                ]],
            ],
        ])
    }

    static let analysisStep: JSONValue = [
        "analysis": ["templates": [["templateName": "success-rate"]], "args": [["name": "service-name", "value": "web-canary"]]],
    ]

    /// Services, template, the Rollout; the operator started; revision 1 Healthy. Returns its hash.
    static func deploy(_ env: RolloutEnvironment, steps: [JSONValue], routing: JSONValue? = nil) async throws -> String {
        try await env.createService("web-canary", app: name)
        try await env.createService("web-stable", app: name)
        try await applyTemplate(env)
        var canary: JSONValue = ["canaryService": "web-canary", "stableService": "web-stable", "steps": .array(steps)]
        if let routing { canary["trafficRouting"] = routing }
        _ = try await env.client.create(.rollouts, namespace: env.namespace,
                                        env.rolloutManifest(name, app: name, replicas: 5, image: "web:1", strategy: ["canary": canary]))
        await env.startOperator()
        let healthy = await env.drive { await env.phase(name) == "Healthy" }
        let status = await env.status(name)
        #expect(healthy, "not Healthy: \(status)")
        return try #require(status["stableRS"].stringValue)
    }

    static func step(_ env: RolloutEnvironment) async -> Int? { await env.status(name)["currentStepIndex"].intValue }

    @Test("setWeight, pause, analysis, setWeight, timed pause: walked step by step and promoted")
    func promoted() async throws {
        try await RolloutEnvironment.with { env in
            env.prometheus.set { $0.successRate = 0.99 }
            let steps: [JSONValue] = [["setWeight": 20], ["pause": [:]], Self.analysisStep, ["setWeight": 60],
                                      ["pause": ["duration": "30s"]]]
            let v1 = try await Self.deploy(env, steps: steps)
            let recorder = RolloutRecorder.start(env, rollout: Self.name, services: ["web-stable", "web-canary"])
            defer { recorder.stop() }
            try await env.setImage(Self.name, "web:2")

            // 20% of 5 pods: one canary pod, four stable ones, then the indefinite pause.
            let paused = await env.drive(step: .seconds(1)) { await env.phase(Self.name) == "Paused" }
            #expect(paused)
            let v2 = try #require(await env.status(Self.name)["currentPodHash"].stringValue)
            #expect(await env.replicasBecome(hash: v2, 1))
            #expect(await env.replicasBecome(hash: v1, 4))
            #expect(await Self.step(env) == 1)
            #expect(await env.status(Self.name)["canary"]["weights"]["canary"]["weight"] == 20)
            #expect(await env.selectorBecomes("web-canary", v2))
            #expect(await env.selectorBecomes("web-stable", v1))
            await env.advance(.seconds(60), step: .seconds(10))
            #expect(await Self.step(env) == 1)

            try await env.annotate(Self.name, ManualControlAnnotations.promote, "1")
            let runName = "\(Self.name)-\(v2)-2-2"
            let analysed = await env.drive { await env.runPhase(runName) == "Successful" }
            #expect(analysed)
            let atSixty = await env.drive(step: .seconds(1)) {
                let canary = await env.replicas(hash: v2)
                let stable = await env.replicas(hash: v1)
                return canary == 3 && stable == 2
            }
            #expect(atSixty)
            let promoted = await env.drive(step: .seconds(1), timeout: .seconds(60)) { await env.phase(Self.name) == "Healthy" }
            #expect(promoted)
            let st = await env.status(Self.name)
            #expect(st["stableRS"].stringValue == v2)
            #expect(st["currentStepIndex"] == 5)
            // Status is written first; the effects follow within the same reconcile.
            let settled = await eventually(timeout: .seconds(5)) {
                let canary = await env.replicas(hash: v2)
                let stable = await env.replicas(hash: v1)
                let selected = await env.selector("web-stable")
                return canary == 5 && stable == 0 && selected == v2
            }
            #expect(settled)
            #expect(await env.hasEvent(Self.name, reason: "RolloutStepCompleted", containing: "step 3/5 completed (analysis: success-rate)"))

            recorder.stop()
            let seen = recorder.sequence
            print("Canary Rollout as seen (v1=\(v1), v2=\(v2)):")
            for s in seen { print("  \(s)") }
            // Steps move forward one at a time (0 → 5), never back, none skipped.
            let all = seen.compactMap(\.step).reduce(into: [Int]()) { if $0.last != $1 { $0.append($1) } }
            let indices = Array(all.drop { $0 != 0 })  // from the update on (before it: 5, the last release)
            #expect(indices.first == 0)
            let forward = zip(indices, indices.dropFirst()).allSatisfy { $1 == $0 + 1 }
            #expect(forward, "\(indices)")
            #expect(indices.last == 5)
        }
    }

    @Test("a failing analysis aborts: canary pods gone, stable back to all five, weight 0")
    func abortedByAnalysis() async throws {
        try await RolloutEnvironment.with { env in
            env.prometheus.set { $0.successRate = 0.99 }
            let steps: [JSONValue] = [["setWeight": 40], Self.analysisStep, ["setWeight": 100]]
            let v1 = try await Self.deploy(env, steps: steps)
            env.prometheus.set { $0.successRate = 0.80 }
            try await env.setImage(Self.name, "web:bad")
            let degraded = await env.drive(step: .seconds(1)) { await env.phase(Self.name) == "Degraded" }
            #expect(degraded)
            let v2 = try #require(await env.status(Self.name)["currentPodHash"].stringValue)
            #expect(await env.runPhase("\(Self.name)-\(v2)-2-1") == "Failed")
            let back = await env.drive(step: .seconds(1)) {
                let canary = await env.replicas(hash: v2)
                let stable = await env.replicaSet(hash: v1)?[path: ["status", "availableReplicas"]].intValue
                let weight = await env.status(Self.name)["canary"]["weights"]["canary"]["weight"].intValue
                return canary == 0 && stable == 5 && weight == 0
            }
            #expect(back)
            let st = await env.status(Self.name)
            #expect(st["abort"] == true)
            #expect(st["canary"]["weights"]["canary"]["weight"] == 0)
            #expect(st["stableRS"].stringValue == v1)
            let message = st["message"].stringValue ?? ""
            #expect(message.contains("success-rate"), "\(message)")
            #expect(await env.selectorBecomes("web-stable", v1))
            #expect(await env.hasEvent(Self.name, reason: "RolloutAborted", containing: "step analysis"))
        }
    }

    @Test("with the Gateway API plugin the HTTPRoute's weights follow the steps and return to 0")
    func gatewayWeights() async throws {
        try await RolloutEnvironment.with { env in
            _ = try await env.client.create(.httpRoutes, namespace: env.namespace, [
                "apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
                "metadata": ["name": "web", "namespace": .string(env.namespace)],
                "spec": [
                    "parentRefs": [["name": "public"]],
                    "rules": [["backendRefs": [["name": "web-stable", "port": 80, "weight": 100],
                                               ["name": "web-canary", "port": 80, "weight": 0]]]],
                ],
            ])
            let routing: JSONValue = ["plugins": ["argoproj-labs/gatewayAPI": ["httpRoute": "web"]]]
            let v1 = try await Self.deploy(env, steps: [["setWeight": 30], ["pause": [:]], ["setWeight": 70],
                                                        ["pause": ["duration": 10]]], routing: routing)
            let recorder = try await RouteRecorder.start(client: env.client, resource: .httpRoutes, namespace: env.namespace,
                                                         name: "web", weight: RouteRecorder.gatewayWeight)
            defer { recorder.stop() }
            try await env.setImage(Self.name, "web:2")
            let paused = await env.drive(step: .seconds(1)) { await env.phase(Self.name) == "Paused" }
            #expect(paused)
            let v2 = try #require(await env.status(Self.name)["currentPodHash"].stringValue)
            #expect(await env.replicasBecome(hash: v2, 2))   // ceil(5 × 30%)
            #expect(await env.replicasBecome(hash: v1, 5))   // the stable keeps every pod with a router
            let at30 = await eventually(timeout: .seconds(3)) { recorder.last == 30 }
            #expect(at30, "\(recorder.sequence)")
            try await env.annotate(Self.name, ManualControlAnnotations.promote, "1")
            let healthy = await env.drive(step: .seconds(1), timeout: .seconds(40)) { await env.phase(Self.name) == "Healthy" }
            #expect(healthy)
            let settled = await eventually(timeout: .seconds(3)) { recorder.last == 0 }
            #expect(settled)
            #expect(recorder.sequence == [0, 30, 70, 0], "\(recorder.sequence)")
            let route = try await env.client.get(.httpRoutes, namespace: env.namespace, name: "web")
            #expect(route[path: ["spec", "parentRefs"]][0]["name"] == "public")  // the user's fields are kept
            #expect(await env.selectorBecomes("web-stable", v2))
            // The old stable keeps its pods scaleDownDelaySeconds (30 s) behind the router.
            #expect(await env.replicasBecome(hash: v1, 5))
            let down = await env.drive(step: .seconds(1)) { await env.replicas(hash: v1) == 0 }
            #expect(down)
        }
    }

    @Test("with an Istio VirtualService an abort sends all traffic back at once and the canary goes after abortScaleDownDelaySeconds")
    func istioAbort() async throws {
        try await RolloutEnvironment.with { env in
            _ = try await env.client.create(.virtualServices, namespace: env.namespace, [
                "apiVersion": "networking.istio.io/v1beta1", "kind": "VirtualService",
                "metadata": ["name": "web", "namespace": .string(env.namespace)],
                "spec": [
                    "hosts": ["web.example.com"],
                    "http": [["name": "primary", "route": [
                        ["destination": ["host": "web-stable"], "weight": 100],
                        ["destination": ["host": "web-canary"], "weight": 0],
                    ]]],
                ],
            ])
            let routing: JSONValue = ["istio": ["virtualService": ["name": "web", "routes": ["primary"]]]]
            let v1 = try await Self.deploy(env, steps: [["setWeight": 40], ["pause": [:]]], routing: routing)
            let recorder = try await RouteRecorder.start(client: env.client, resource: .virtualServices, namespace: env.namespace,
                                                         name: "web", weight: RouteRecorder.istioWeight)
            defer { recorder.stop() }
            try await env.setImage(Self.name, "web:2")
            let paused = await env.drive(step: .seconds(1)) { await env.phase(Self.name) == "Paused" }
            #expect(paused)
            let v2 = try #require(await env.status(Self.name)["currentPodHash"].stringValue)
            let at40 = await eventually(timeout: .seconds(3)) { recorder.last == 40 }
            #expect(at40, "\(recorder.sequence)")
            try await env.annotate(Self.name, ManualControlAnnotations.abort, "1")
            let back = await eventually(timeout: .seconds(5)) { recorder.last == 0 }
            #expect(back)
            let degraded = await eventually(timeout: .seconds(5)) { await env.phase(Self.name) == "Degraded" }
            #expect(degraded)
            #expect(await env.replicasBecome(hash: v2, 2))  // kept abortScaleDownDelaySeconds (30 s)
            await env.advance(.seconds(20))
            #expect(await env.replicasBecome(hash: v2, 2))
            let down = await env.drive(step: .seconds(1)) { await env.replicas(hash: v2) == 0 }
            #expect(down)
            #expect(await env.replicasBecome(hash: v1, 5))
            #expect(recorder.sequence == [0, 40, 0], "\(recorder.sequence)")
        }
    }

    @Test("an operator restarted during an analysis step resumes it: same run, no step repeated or skipped")
    func restartMidRollout() async throws {
        try await RolloutEnvironment.with { env in
            env.prometheus.set { $0.successRate = 0.99 }
            let steps: [JSONValue] = [["setWeight": 20], Self.analysisStep, ["setWeight": 60], ["pause": [:]]]
            let v1 = try await Self.deploy(env, steps: steps)
            let recorder = RolloutRecorder.start(env, rollout: Self.name, services: [])
            defer { recorder.stop() }
            try await env.setImage(Self.name, "web:2")
            let measuring = await env.drive(step: .seconds(1)) {
                let runs = await env.runs()
                return runs.contains { ($0["status"]["metricResults"][0]["measurements"].arrayValue?.count ?? 0) >= 1 }
            }
            #expect(measuring)
            let v2 = try #require(await env.status(Self.name)["currentPodHash"].stringValue)
            let runName = "\(Self.name)-\(v2)-2-1"
            let uidFound = await env.runs().first { $0.name == runName }?.uid
            let uid = try #require(uidFound)
            #expect(await Self.step(env) == 1)

            // The operator goes away; time passes; a new one takes over.
            await env.stopOperator()
            await env.advance(.seconds(5))
            await env.startOperator()
            let paused = await env.drive(step: .seconds(1), timeout: .seconds(40)) { await env.phase(Self.name) == "Paused" }
            #expect(paused)
            #expect(await Self.step(env) == 3)
            let runs = await env.runs()
            #expect(runs.count == 1)
            #expect(runs.first?.uid == uid)
            #expect(runs.first?["status"]["phase"] == "Successful")
            #expect(await env.replicasBecome(hash: v2, 3))
            #expect(await env.replicasBecome(hash: v1, 2))
            let completed = await env.events(about: Self.name).filter {
                ($0["message"].stringValue ?? "").hasPrefix("Rollout step 2/4 completed")
            }
            let times = completed.reduce(0) { $0 + ($1["count"].intValue ?? 1) }
            #expect(times == 1)
            recorder.stop()
            let indices = recorder.sequence.compactMap(\.step).reduce(into: [Int]()) { if $0.last != $1 { $0.append($1) } }
            #expect(indices.suffix(3) == [1, 2, 3], "\(indices)")
        }
    }
}
