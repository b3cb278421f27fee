import Controllers
import Foundation
import KubeCore
import SerinAPI
import Synchronization
import Testing
import SerinTestSupport

/// Webhook gates and revertOnDeletion, through the controller and real HTTP receivers.
@Suite("Canary controller: webhooks and deletion", .serialized, .timeLimit(.minutes(2)))
struct WebhookAndDeletionTests {
    static func canary(_ env: CanaryEnvironment, hooks: JSONValue = [], revert: Bool = false) -> JSONValue {
        [
            "apiVersion": "serin.dev/v1alpha1", "kind": "Canary",
            "metadata": ["name": "web", "namespace": .string(env.namespace)],
            "spec": [
                "targetRef": ["apiVersion": "apps/v1", "kind": "Deployment", "name": "web"],
                "revertOnDeletion": .bool(revert),
                "service": ["port": 80, "targetPort": 3000],
                "analysis": ["interval": "1m", "threshold": 3, "maxWeight": 20, "stepWeight": 10,
                             "metrics": [["name": "error-rate", "thresholdRange": ["max": 1]]],
                             "webhooks": hooks],
            ],
        ]
    }

    @Test("a confirm-rollout gate that says no keeps the canary Waiting; a yes lets it through")
    func confirmRolloutGate() async throws {
        try await CanaryEnvironment.with { env in
            let open = Mutex(false)
            env.hooks.script { req in
                if req.path == "/gate" { return open.withLock { $0 } ? (200, "ok") : (403, "not yet") }
                return (200, "{}")
            }
            try await env.createDeployment("web", image: "web:1")
            await env.startOperator(provider: "istio")
            _ = try await env.client.create(.canaries, namespace: env.namespace, Self.canary(env, hooks: [
                ["name": "approval", "type": "confirm-rollout", "url": .string(env.hooks.baseURL + "/gate"), "timeout": "5s"],
                ["name": "audit", "type": "event", "url": .string(env.hooks.baseURL + "/events"), "metadata": ["team": "web"]],
            ]))
            #expect(await env.waitPhase("web", "Initialized"))
            try await env.setImage("web", "web:2")
            #expect(await env.waitPhase("web", "Waiting"))
            for _ in 0..<20 {
                env.clock.advance(by: .seconds(15))
                try await Task.sleep(for: .milliseconds(5))
            }
            let waiting = await env.status("web")
            #expect(waiting["phase"] == "Waiting")
            #expect((waiting["message"].stringValue ?? "").contains("confirm-rollout webhook approval answered HTTP 403"))
            #expect(await env.waitReplicas("web", 0))

            open.withLock { $0 = true }
            #expect(await env.waitPhase("web", "Succeeded"))
            let gateCalls = env.hooks.requests.filter { $0.path == "/gate" }
            let body = try JSONValue(parsing: try #require(gateCalls.first).body)
            #expect(body["name"] == "web")
            let phaseText = body["phase"].stringValue ?? ""
            #expect(CanaryPhase(rawValue: phaseText) != nil)
            #expect(body["checksum"].stringValue?.count == 16)

            // Every Event also went to the event webhook (fire and forget), with Flagger's metadata.
            _ = await eventually(timeout: .seconds(3)) {
                env.hooks.requests.contains { $0.path == "/events" && $0.body.contains("Promotion completed") }
            }
            let posted = env.hooks.requests.filter { $0.path == "/events" }.compactMap { try? JSONValue(parsing: $0.body) }
            let messages = posted.compactMap { $0["metadata"]["eventMessage"].stringValue }
            let promoted = messages.filter { $0.contains("Promotion completed") }
            #expect(promoted.count == 1)
            #expect(posted.first?["metadata"]["team"] == "web")
        }
    }

    @Test("pre-rollout, confirm-traffic-increase, confirm-promotion and post-rollout gates, in Flagger's order")
    func progressGates() async throws {
        try await CanaryEnvironment.with { env in
            let increase = Mutex(false), promote = Mutex(false)
            env.hooks.script { req in
                switch req.path {
                case "/increase": return increase.withLock { $0 } ? (200, "ok") : (403, "hold")
                case "/promote": return promote.withLock { $0 } ? (200, "ok") : (403, "hold")
                default: return (200, "{}")
                }
            }
            try await env.createDeployment("web", image: "web:1")
            await env.startOperator(provider: "istio")
            let url = { (path: String) in JSONValue.string(env.hooks.baseURL + path) }
            _ = try await env.client.create(.canaries, namespace: env.namespace, Self.canary(env, hooks: [
                ["name": "smoke", "type": "pre-rollout", "url": url("/pre"), "timeout": "5s"],
                ["name": "load", "type": "rollout", "url": url("/rollout"), "timeout": "5s"],
                ["name": "step-gate", "type": "confirm-traffic-increase", "url": url("/increase")],
                ["name": "release-gate", "type": "confirm-promotion", "url": url("/promote")],
                ["name": "notify", "type": "post-rollout", "url": url("/post")],
            ]))
            #expect(await env.waitPhase("web", "Initialized"))
            try await env.setImage("web", "web:2")

            // As in Flagger, every increase (the first one too) asks the gate first.
            let gated = await env.drive { (await env.status("web")["message"].stringValue ?? "").contains("step-gate") }
            #expect(gated)
            for _ in 0..<10 {
                env.clock.advance(by: .seconds(60))
                try await Task.sleep(for: .milliseconds(10))
            }
            let held = await env.status("web")
            #expect(held["canaryWeight"] == 0)
            #expect(held["phase"] == "Progressing")
            #expect((held["message"].stringValue ?? "").contains("step-gate"))
            let asked = env.hooks.requests.filter { $0.path == "/increase" }.count
            #expect(asked >= 2)

            increase.withLock { $0 = true }
            #expect(await env.waitWeight("web", 20))
            // At maxWeight the promotion gate holds the canary in WaitingPromotion with traffic as it is.
            #expect(await env.waitPhase("web", "WaitingPromotion"))
            for _ in 0..<5 {
                env.clock.advance(by: .seconds(60))
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(await env.phase("web") == "WaitingPromotion")
            #expect(await env.status("web")["canaryWeight"] == 20)
            let condition1 = env.hooks.requests.filter { $0.path == "/post" }.isEmpty
            #expect(condition1)

            promote.withLock { $0 = true }
            #expect(await env.waitPhase("web", "Succeeded"))
            // post-rollout is fire and forget, sent just after the Succeeded status.
            _ = await eventually(timeout: .seconds(3)) { env.hooks.requests.contains { $0.path == "/post" } }
            let paths = env.hooks.requests.map(\.path)
            let firstPre = try #require(paths.firstIndex(of: "/pre"))
            let firstRollout = try #require(paths.firstIndex(of: "/rollout"))
            #expect(firstPre < firstRollout)
            let condition2 = paths.filter { $0 == "/pre" }.count == 1
            #expect(condition2)
            let postRequest = env.hooks.requests.last { $0.path == "/post" }
            let post = try JSONValue(parsing: try #require(postRequest).body)
            let condition3 = paths.filter { $0 == "/post" }.count == 1
            #expect(condition3)
            #expect(post["phase"] == "Succeeded" || post["phase"] == "Finalising")
        }
    }

    @Test("a rollback webhook answering 2xx rolls the canary back")
    func rollbackHook() async throws {
        try await CanaryEnvironment.with { env in
            let pull = Mutex(false)
            env.hooks.script { req in
                if req.path == "/rollback" { return pull.withLock { $0 } ? (200, "roll back") : (404, "no") }
                return (200, "{}")
            }
            try await env.createDeployment("web", image: "web:1")
            await env.startOperator(provider: "istio")
            _ = try await env.client.create(.canaries, namespace: env.namespace, Self.canary(env, hooks: [
                ["name": "pull-cord", "type": "rollback", "url": .string(env.hooks.baseURL + "/rollback")],
            ]))
            #expect(await env.waitPhase("web", "Initialized"))
            try await env.setImage("web", "web:2")
            #expect(await env.waitWeight("web", 10))
            pull.withLock { $0 = true }
            #expect(await env.waitPhase("web", "Failed"))
            #expect(await env.hasEvent("web", reason: "RollingBack", containing: "rollback webhook pull-cord"))
            #expect(await env.waitReplicas("web", 0))
        }
    }

    @Test("revertOnDeletion: deleting the Canary gives the Service back to the target")
    func revertOnDeletion() async throws {
        try await CanaryEnvironment.with { env in
            try await env.createDeployment("web", image: "web:1")
            await env.startOperator(provider: "istio")
            _ = try await env.client.create(.canaries, namespace: env.namespace, Self.canary(env, revert: true))
            #expect(await env.waitPhase("web", "Initialized"))
            let withFinalizer = try await env.canary("web")
            #expect(withFinalizer.finalizers == [CanaryController.finalizer])

            try await env.client.delete(.canaries, namespace: env.namespace, name: "web")
            let gone = await env.drive { (try? await env.canary("web")) == nil }
            #expect(gone)
            let svc = try await env.client.get(.services, namespace: env.namespace, name: "web")
            #expect(svc[path: ["spec", "selector", "app"]] == "web")
            #expect(svc.ownerReferences.isEmpty)
            #expect(await env.deployment("web")?[path: ["spec", "replicas"]].intValue == 2)
            let vs = try? await env.client.get(.virtualServices, namespace: env.namespace, name: "web")
            #expect(vs == nil)
        }
    }
}
