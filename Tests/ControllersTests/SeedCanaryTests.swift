import Controllers
import Foundation
import KubeCore
import SerinAPI
import Testing
import SerinTestSupport

/// The seed Canary (Istio router) against the test API server, driven by the Canary
/// controller in a Manager, with a fake Prometheus over HTTP and the clock moved by the test.
@Suite("Canary controller: seed canary", .serialized, .timeLimit(.minutes(2)))
struct SeedCanaryControllerTests {
    static let name = "user-service-canary"
    static let planned = [0, 5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 0]

    /// The target, its HPA and the seed Canary, initialized (primary serving, target at zero).
    static func initialized(_ env: CanaryEnvironment, mutate: (inout JSONValue) -> Void = { _ in }) async throws {
        try await env.createDeployment("user-service", image: "registry.example/user-service:1.0.0")
        _ = try await env.client.create(.horizontalPodAutoscalers, namespace: env.namespace, [
            "apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
            "metadata": ["name": "user-service", "namespace": .string(env.namespace)],
            "spec": ["scaleTargetRef": ["apiVersion": "apps/v1", "kind": "Deployment", "name": "user-service"],
                     "minReplicas": 2, "maxReplicas": 6],
        ])
        await env.startOperator(provider: "istio")
        try await env.createSeed(mutate: mutate)
        let ok = await env.waitPhase(name, "Initialized", timeout: .seconds(30))
        let status = await env.status(name)
        #expect(ok, "not Initialized: \(status)")
    }

    static func image(_ d: JSONValue?) -> String? { d?[path: ["spec", "template", "spec", "containers"]][0]["image"].stringValue }

    static func condition(_ status: JSONValue, _ type: String) -> JSONValue? {
        (status["conditions"].arrayValue ?? []).first { $0["type"].stringValue == type }
    }

    @Test("initialization: faithful primary, Services, Istio routes, HPA copy, target scaled to zero")
    func initialization() async throws {
        try await CanaryEnvironment.with { env in
            try await Self.initialized(env)
            let canary = try await env.canary(Self.name)
            let uid = try #require(canary.uid)

            let primary = try #require(await env.deployment("user-service-primary"))
            #expect(primary.ownerReferences.first?["uid"].stringValue == uid)
            #expect(primary.ownerReferences.first?["kind"] == "Canary")
            #expect(primary[path: ["spec", "selector", "matchLabels", "app"]] == "user-service-primary")
            #expect(primary[path: ["spec", "template", "metadata", "labels", "app"]] == "user-service-primary")
            #expect(primary[path: ["spec", "template", "metadata", "annotations", "example.com/keep"]] == "yes")
            #expect(primary[path: ["spec", "template", "spec", "topologySpreadConstraints"]][0]["topologyKey"] == "zone")
            #expect(Self.image(primary) == "registry.example/user-service:1.0.0")
            #expect(primary[path: ["status", "readyReplicas"]].intValue == 2)

            #expect(await env.waitReplicas("user-service", 0))

            for (svc, selects) in [("user-service", "user-service-primary"), ("user-service-primary", "user-service-primary"),
                                   ("user-service-canary", "user-service")] {
                let s = try await env.client.get(.services, namespace: env.namespace, name: svc)
                #expect(s[path: ["spec", "selector", "app"]].stringValue == selects, "\(svc)")
                #expect(s[path: ["spec", "ports"]][0]["port"].intValue == 80)
                #expect(s[path: ["spec", "ports"]][0]["targetPort"].intValue == 3000)
                #expect(s.ownerReferences.first?["uid"].stringValue == uid)
            }

            let vs = try await env.client.get(.virtualServices, namespace: env.namespace, name: "user-service")
            #expect(vs[path: ["spec", "gateways"]] == ["public-gateway.istio-system.svc.cluster.local"])
            #expect(vs[path: ["spec", "hosts"]].arrayValue?.contains("api.mycompany.com") == true)
            #expect(RouteRecorder.istioWeight(vs) == 0)
            for dr in ["user-service-primary", "user-service-canary"] {
                let rule = try await env.client.get(.destinationRules, namespace: env.namespace, name: dr)
                #expect(rule[path: ["spec", "trafficPolicy", "tls", "mode"]] == "DISABLE")
            }

            let hpa = try await env.client.get(.horizontalPodAutoscalers, namespace: env.namespace, name: "user-service-primary")
            #expect(hpa[path: ["spec", "scaleTargetRef", "name"]] == "user-service-primary")

            let status = await env.status(Self.name)
            #expect(Self.condition(status, "Promoted")?["status"] == "True")
            #expect(Self.condition(status, "Promoted")?["reason"] == "Initialized")
            #expect(status["lastAppliedSpec"] == status["lastPromotedSpec"])
            #expect(await env.hasEvent(Self.name, reason: "Initialized"))

            // Converged: ten intervals later the controller has written nothing (no hot loop).
            env.server.faults.resetCounts()
            for _ in 0..<60 {
                env.clock.advance(by: .seconds(10))
                try await Task.sleep(for: .milliseconds(3))
            }
            var writes = 0
            for verb in ["create", "update", "patch", "delete"] {
                for r in ["deployments", "services", "virtualservices", "destinationrules", "canaries", "configmaps",
                          "horizontalpodautoscalers"] {
                    writes += env.server.faults.requestCount(verb: verb, resource: r)
                }
            }
            #expect(writes == 0)
            #expect(env.server.faults.requestCount(verb: "get", resource: "virtualservices") > 0)
        }
    }

    @Test("a new image is promoted with canary weights 5, 10, … 50 seen in the VirtualService")
    func promotion() async throws {
        try await CanaryEnvironment.with { env in
            try await Self.initialized(env)
            let before = await env.status(Self.name)["lastAppliedSpec"].stringValue
            let recorder = try await RouteRecorder.start(client: env.client, resource: .virtualServices,
                                                         namespace: env.namespace, name: "user-service",
                                                         weight: RouteRecorder.istioWeight)
            defer { recorder.stop() }
            try await env.setImage("user-service", "registry.example/user-service:2.0.0")

            let ok = await env.waitPhase(Self.name, "Succeeded")
            let final = await env.status(Self.name)
            #expect(ok, "not Succeeded: \(final)")
            _ = await eventually(timeout: .seconds(2)) { recorder.last == 0 && recorder.sequence.count > 2 }
            #expect(recorder.sequence == Self.planned)

            let status = await env.status(Self.name)
            #expect(status["canaryWeight"].intValue == 0)
            #expect(status["failedChecks"].intValue == 0)
            #expect(status["lastAppliedSpec"].stringValue != before)
            #expect(status["lastPromotedSpec"] == status["lastAppliedSpec"])
            #expect(Self.condition(status, "Promoted")?["status"] == "True")
            #expect(Self.condition(status, "Promoted")?["reason"] == "Succeeded")
            let results = status["metricResults"].arrayValue ?? []
            let names = Set(results.compactMap { $0["name"].stringValue })
            let verdicts = Set(results.compactMap { $0["verdict"].stringValue })
            let istio = results.filter { ($0["query"].stringValue ?? "").contains("istio_requests_total") }
            #expect(names == ["request-success-rate", "request-duration", "error-rate"])
            #expect(verdicts == ["Pass"])
            #expect(istio.count == 2)

            #expect(Self.image(await env.deployment("user-service-primary")) == "registry.example/user-service:2.0.0")
            #expect(await env.waitReplicas("user-service", 0))

            let events = await env.events(about: Self.name)
            let messages = events.compactMap { $0["message"].stringValue }
            #expect(messages.contains("Advance user-service-canary.microservices canary weight 45 → 50"))
            #expect(await env.hasEvent(Self.name, reason: "Succeeded"))

            // The rollout webhooks were called with Flagger's payload.
            let posts = env.hooks.requests.filter { $0.method == "POST" }
            #expect(!posts.isEmpty)
            let lastPost = try #require(posts.last)
            let body = try JSONValue(parsing: lastPost.body)
            #expect(body["name"] == "user-service-canary")
            #expect(body["namespace"] == "microservices")
            #expect(body["phase"] == "Progressing")
            #expect(body["checksum"].stringValue?.isEmpty == false)
            #expect(body["metadata"]["type"] == "bash")
        }
    }

    @Test("ten failed checks roll back: Event names the metric and value, primary 100%, target at zero")
    func rollback() async throws {
        try await CanaryEnvironment.with { env in
            try await Self.initialized(env)
            let recorder = try await RouteRecorder.start(client: env.client, resource: .virtualServices,
                                                         namespace: env.namespace, name: "user-service",
                                                         weight: RouteRecorder.istioWeight)
            defer { recorder.stop() }
            try await env.setImage("user-service", "registry.example/user-service:2.0.0")
            let reached = await env.waitWeight(Self.name, 15)
            #expect(reached)
            env.prometheus.set { $0.successRate = 97.25 }

            let failed = await env.waitPhase(Self.name, "Failed")
            let status = await env.status(Self.name)
            #expect(failed, "not Failed: \(status)")
            #expect(status["failedChecks"].intValue == 10)
            #expect(status["canaryWeight"].intValue == 0)
            #expect(Self.condition(status, "Promoted")?["status"] == "False")
            #expect(Self.condition(status, "Promoted")?["reason"] == "Failed")
            let rate = (status["metricResults"].arrayValue ?? []).first { $0["name"] == "request-success-rate" }
            #expect(rate?["verdict"] == "Fail")
            #expect(rate?["value"].doubleValue == 97.25)

            _ = await eventually(timeout: .seconds(2)) { recorder.last == 0 }
            #expect(recorder.sequence == [0, 5, 10, 15, 0])
            let vs = try await env.client.get(.virtualServices, namespace: env.namespace, name: "user-service")
            let route = vs[path: ["spec", "http"]].arrayValue?.last?["route"].arrayValue ?? []
            #expect(route.first?["destination"]["host"] == "user-service-primary")
            #expect(route.first?["weight"] == 100)
            #expect(await env.waitReplicas("user-service", 0))
            #expect(Self.image(await env.deployment("user-service-primary")) == "registry.example/user-service:1.0.0")

            let events = await env.events(about: Self.name)
            let halt = events.first { $0["reason"] == "Halt" }
            #expect(halt?["message"].stringValue?.contains("request-success-rate 97.25 < 99") == true)
            #expect(halt?["count"].intValue == 10)
            let rolling = events.first { $0["reason"] == "RollingBack" }
            #expect(rolling?["type"] == "Warning")
            #expect(rolling?["message"].stringValue?.contains("failed checks threshold reached 10") == true)
            #expect(rolling?["message"].stringValue?.contains("request-success-rate 97.25 < 99") == true)
        }
    }

    @Test("a new release mid-analysis restarts the analysis from weight 0")
    func newReleaseMidAnalysis() async throws {
        try await CanaryEnvironment.with { env in
            try await Self.initialized(env)
            let recorder = try await RouteRecorder.start(client: env.client, resource: .virtualServices,
                                                         namespace: env.namespace, name: "user-service",
                                                         weight: RouteRecorder.istioWeight)
            defer { recorder.stop() }
            try await env.setImage("user-service", "registry.example/user-service:2.0.0")
            #expect(await env.waitWeight(Self.name, 15))
            let first = await env.status(Self.name)["lastAppliedSpec"].stringValue
            try await env.setImage("user-service", "registry.example/user-service:3.0.0")

            let restarted = await env.drive { [first] in
                let s = await env.status(Self.name)
                return s["lastAppliedSpec"].stringValue != first && s["canaryWeight"].intValue == 0
            }
            #expect(restarted)
            #expect(await env.waitPhase(Self.name, "Succeeded"))
            _ = await eventually(timeout: .seconds(2)) { recorder.last == 0 }
            #expect(recorder.sequence == [0, 5, 10, 15] + Self.planned)

            #expect(Self.image(await env.deployment("user-service-primary")) == "registry.example/user-service:3.0.0")
            #expect(await env.hasEvent(Self.name, reason: "NewRevision", containing: "Restarting analysis"))
        }
    }

    @Test("an operator restarted mid-analysis resumes with no repeated or skipped step")
    func restartMidAnalysis() async throws {
        try await CanaryEnvironment.with { env in
            try await Self.initialized(env)
            let recorder = try await RouteRecorder.start(client: env.client, resource: .virtualServices,
                                                         namespace: env.namespace, name: "user-service",
                                                         weight: RouteRecorder.istioWeight)
            defer { recorder.stop() }
            try await env.setImage("user-service", "registry.example/user-service:2.0.0")
            #expect(await env.waitWeight(Self.name, 20))

            await env.stopOperator()
            // Time passes while no operator runs (more than one interval).
            env.clock.advance(by: .seconds(150))
            try await Task.sleep(for: .milliseconds(50))
            #expect(await env.status(Self.name)["canaryWeight"].intValue == 20)
            await env.startOperator(provider: "istio")

            #expect(await env.waitPhase(Self.name, "Succeeded"))
            _ = await eventually(timeout: .seconds(2)) { recorder.last == 0 }
            #expect(recorder.sequence == Self.planned)
            // Each step happened once: one Advance event per step, each seen once.
            let advances = await env.events(about: Self.name).filter { $0["reason"] == "Advance" }
            let messages = advances.compactMap { $0["message"].stringValue }.sorted()
            #expect(messages.count == 10)
            #expect(Set(messages).count == 10)
            let counts = Set(advances.compactMap { $0["count"].intValue })
            #expect(counts == [1])
        }
    }

    @Test("an operator restarted while promoting finishes the promotion once")
    func restartWhilePromoting() async throws {
        try await CanaryEnvironment.with { env in
            try await Self.initialized(env)
            let recorder = try await RouteRecorder.start(client: env.client, resource: .virtualServices,
                                                         namespace: env.namespace, name: "user-service",
                                                         weight: RouteRecorder.istioWeight)
            defer { recorder.stop() }
            // The primary will not become ready with the promoted template until released.
            env.simulator.neverReady(namespace: env.namespace, name: "user-service-primary")
            try await env.setImage("user-service", "registry.example/user-service:2.0.0")
            #expect(await env.waitPhase(Self.name, "Promoting"))
            let promotedImage = await eventually(timeout: .seconds(5)) {
                Self.image(await env.deployment("user-service-primary")) == "registry.example/user-service:2.0.0"
            }
            #expect(promotedImage)

            await env.stopOperator()
            env.clock.advance(by: .seconds(90))
            await env.startOperator(provider: "istio")
            for _ in 0..<20 {
                env.clock.advance(by: .seconds(5))
                try await Task.sleep(for: .milliseconds(5))
            }
            // Still promoting: traffic stays at the last weight until the primary is ready.
            #expect(await env.phase(Self.name) == "Promoting")
            #expect(recorder.last == 50)

            env.simulator.clearOverrides(namespace: env.namespace, name: "user-service-primary")
            #expect(await env.waitPhase(Self.name, "Succeeded"))
            _ = await eventually(timeout: .seconds(2)) { recorder.last == 0 }
            #expect(recorder.sequence == Self.planned)
            let promoting = await env.events(about: Self.name).filter { $0["reason"] == "Promoting" }
            #expect(promoting.count == 1)
            #expect(promoting.first?["count"].intValue == 1)
            #expect(await env.waitReplicas("user-service", 0))
        }
    }
}
