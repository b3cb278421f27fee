import Controllers
import Foundation
import KubeCore
import SerinAPI
import SerinTestSupport
import Testing
import Traffic

/// The peers' own Gloo, Ambassador and APISIX manifests (../shared/peer-manifests, read there)
/// through the controllers, beside the objects their tutorials have the user create; only the
/// namespace is set (and Flagger's webhook URLs pointed at the test's receiver).
@Suite("Controllers: peer manifests for Gloo, Ambassador, APISIX", .serialized, .timeLimit(.minutes(3)))
struct PeerRouterManifestTests {
    static func peer(_ file: String, namespace: String) throws -> JSONValue {
        let url = Manifest.repoRoot.deletingLastPathComponent().appendingPathComponent("shared/peer-manifests/\(file)")
        var doc = try #require(try Manifest.documents(try String(contentsOf: url, encoding: .utf8)).first)
        doc[path: ["metadata", "namespace"]] = .string(namespace)
        return doc
    }

    /// Waits for the Rollout to pause, promotes it, and whether it left that step.
    static func promoteFromPause(_ env: RolloutEnvironment, _ name: String, value: String) async throws -> Bool {
        guard await env.drive(step: .seconds(1), until: { await env.phase(name) == "Paused" }) else { return false }
        let at = await env.status(name)["currentStepIndex"].intValue ?? 0
        try await env.annotate(name, ManualControlAnnotations.promote, value)
        return await env.drive(step: .seconds(1)) { (await env.status(name)["currentStepIndex"].intValue ?? 0) > at }
    }

    @Test("flagger/071 (provider gloo): every step of the tutorial's analysis lands in the RouteTable, ending at the primary")
    func flaggerGloo() async throws {
        try await CanaryEnvironment.with { env in
            let ns = env.namespace
            try await env.createDeployment("podinfo", image: "ghcr.io/stefanprodan/podinfo:6.0.0")
            _ = try await env.client.create(.horizontalPodAutoscalers, namespace: ns, [
                "apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": ["name": "podinfo", "namespace": .string(ns)],
                "spec": ["scaleTargetRef": ["apiVersion": "apps/v1", "kind": "Deployment", "name": "podinfo"], "minReplicas": 2, "maxReplicas": 4],
            ])
            await env.startOperator(provider: "kubernetes")
            var canary = try Self.peer("flagger/071-canary-podinfo.yaml", namespace: ns)
            var hooks = canary[path: ["spec", "analysis", "webhooks"]].arrayValue ?? []
            for i in hooks.indices { hooks[i]["url"] = .string(env.hooks.baseURL + "/") }
            canary[path: ["spec", "analysis", "webhooks"]] = .array(hooks)
            _ = try await env.client.create(.canaries, namespace: ns, canary)
            #expect(await env.waitPhase("podinfo", "Initialized"))
            let names = RouterCanaryScenario.names(env, port: 9898)
            let recorder = try await RouteRecorder.start(client: env.client, resource: .glooRouteTables, namespace: ns, name: "podinfo") {
                GlooRouter().readWeights(names: names, selector: RouterCanaryScenario.selector, object: $0)?.canary
            }
            defer { recorder.stop() }
            try await env.setImage("podinfo", "ghcr.io/stefanprodan/podinfo:6.1.0")
            #expect(await env.waitPhase("podinfo", "Succeeded", timeout: .seconds(90)))
            _ = await eventually(timeout: .seconds(2)) { recorder.last == 0 && recorder.sequence.count > 1 }
            #expect(recorder.sequence == [0, 5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 0])
            let up = try await env.client.get(.glooUpstreams, namespace: ns, name: "\(ns)-podinfo-primaryupstream-9898")
            #expect(up[path: ["spec", "kube", "serviceName"]] == "podinfo-primary")
        }
    }

    @Test("argo/016 (trafficRouting.ambassador): the canary Mapping takes 30, 60, 100 and is removed when the update is done")
    func argoAmbassador() async throws {
        try await RolloutEnvironment.with { env in
            let ns = env.namespace
            try await env.createService("echo-stable", app: "echo")
            try await env.createService("echo-canary", app: "echo")
            _ = try await env.client.create(.ambassadorMappings, namespace: ns, [
                "apiVersion": "getambassador.io/v2", "kind": "Mapping", "metadata": ["name": "echo", "namespace": .string(ns)],
                "spec": ["prefix": "/echo", "rewrite": "/echo", "service": "echo-stable:80"],
            ])
            _ = try await env.client.create(.rollouts, namespace: ns, try Self.peer("argo/016-rollout-echo-rollout.yaml", namespace: ns))
            await env.startOperator()
            #expect(await env.drive { await env.phase("echo-rollout") == "Healthy" })
            let recorder = try await RouteRecorder.start(client: env.client, resource: .ambassadorMappings, namespace: ns,
                                                         name: "echo-canary") { $0[path: ["spec", "weight"]].intValue }
            defer { recorder.stop() }
            try await env.setImage("echo-rollout", "hashicorp/http-echo:1.0")
            let healthy = await env.drive(step: .seconds(5), timeout: .seconds(60)) {
                await env.phase("echo-rollout") == "Healthy" && recorder.sequence.contains(100)
            }
            #expect(healthy, "\(recorder.sequence)")
            #expect(recorder.sequence == [30, 60, 100])
            let removed = await env.drive(step: .seconds(1)) {
                (try? await env.client.get(.ambassadorMappings, namespace: ns, name: "echo-canary")) == nil
            }
            #expect(removed)
        }
    }

    @Test("argo/017 (trafficRouting.apisix): the header route, then 20…80 in the user's ApisixRoute, back to stable at the end")
    func argoAPISIX() async throws {
        try await RolloutEnvironment.with { env in
            let ns = env.namespace
            let stable = "rollout-apisix-canary-stable", canary = "rollout-apisix-canary-canary"
            try await env.createService(stable, app: "rollout-apisix-canary")
            try await env.createService(canary, app: "rollout-apisix-canary")
            _ = try await env.client.create(.apisixRoutes, namespace: ns, [
                "apiVersion": "apisix.apache.org/v2", "kind": "ApisixRoute", "metadata": ["name": "rollouts-apisix-route", "namespace": .string(ns)],
                "spec": ["http": [["name": "rollouts-apisix", "match": ["paths": ["/*"], "methods": ["GET"]],
                                   "backends": [["serviceName": .string(stable), "servicePort": 80, "weight": 100],
                                                ["serviceName": .string(canary), "servicePort": 80, "weight": 0]]]]],
            ])
            _ = try await env.client.create(.rollouts, namespace: ns, try Self.peer("argo/017-rollout-rollout-apisix-canary.yaml", namespace: ns))
            await env.startOperator()
            #expect(await env.drive { await env.phase("rollout-apisix-canary") == "Healthy" })
            let recorder = try await RouteRecorder.start(client: env.client, resource: .apisixRoutes, namespace: ns, name: "rollouts-apisix-route") {
                APISIXRouter.readWeights(route: $0, primary: stable, canary: canary)?.canary
            }
            defer { recorder.stop() }
            try await env.setImage("rollout-apisix-canary", "argoproj/rollouts-demo:yellow")
            let header = await env.drive(step: .seconds(1)) {
                (try? await env.client.get(.apisixRoutes, namespace: ns, name: "set-header")) != nil
            }
            #expect(header)
            // Each of the two indefinite pauses waits for a promote.
            #expect(try await Self.promoteFromPause(env, "rollout-apisix-canary", value: "1"))
            #expect(try await Self.promoteFromPause(env, "rollout-apisix-canary", value: "2"))
            let healthy = await env.drive(step: .seconds(5), timeout: .seconds(60)) {
                await env.phase("rollout-apisix-canary") == "Healthy" && recorder.last == 0
            }
            #expect(healthy, "\(recorder.sequence)")
            #expect(recorder.sequence == [0, 20, 40, 60, 80, 0])
            let removed = await env.drive(step: .seconds(1)) {
                (try? await env.client.get(.apisixRoutes, namespace: ns, name: "set-header")) == nil
            }
            #expect(removed)
        }
    }
}
