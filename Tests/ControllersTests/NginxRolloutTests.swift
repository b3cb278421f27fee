import Controllers
import Foundation
import KubeCore
import SerinAPI
import SerinTestSupport
import Testing
import Traffic

/// Argo's nginx getting-started Rollout through the controller: Serin creates
/// `<rollout>-<stableIngress>-canary` owned by the Rollout, its weight follows the steps and
/// returns to 0, the stable Ingress is never written, and deleting the Rollout removes it.
@Suite("Rollout controller: NGINX Ingress", .serialized, .timeLimit(.minutes(3)))
struct NginxRolloutTests {
    static let canaryIngress = "web-web-stable-canary"

    @Test("the canary Ingress follows setWeight and returns to 0; the stable Ingress is untouched")
    func weightsFollowTheSteps() async throws {
        try await RolloutEnvironment.with { env in
            let ns = env.namespace
            let stable = try await env.client.create(.ingresses, namespace: ns, [
                "apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
                "metadata": ["name": "web-stable", "namespace": .string(ns), "annotations": ["kubernetes.io/ingress.class": "nginx"]],
                "spec": ["rules": [["host": "web.local", "http": ["paths": [
                    ["path": "/", "pathType": "Prefix", "backend": ["service": ["name": "web-stable", "port": ["name": "use-annotation"]]]],
                ]]]]],
            ])
            let routing: JSONValue = ["nginx": ["stableIngress": "web-stable", "additionalIngressAnnotations": ["canary-by-header": "X-Canary"]]]
            _ = try await RolloutCanaryControllerTests.deploy(env, steps: [["setWeight": 30], ["pause": [:]]], routing: routing)
            let recorder = try await RouteRecorder.start(client: env.client, resource: .ingresses, namespace: ns,
                                                         name: Self.canaryIngress, weight: NginxCanaryTests.weight)
            defer { recorder.stop() }
            try await env.setImage("web", "web:2")
            let paused = await env.drive(step: .seconds(1)) { await env.phase("web") == "Paused" }
            #expect(paused)
            let at30 = await eventually(timeout: .seconds(3)) { recorder.last == 30 }
            #expect(at30, "\(recorder.sequence)")
            let ing = try await env.client.get(.ingresses, namespace: ns, name: Self.canaryIngress)
            #expect(ing.annotations["nginx.ingress.kubernetes.io/canary-by-header"] == "X-Canary")
            #expect(ing.annotations["kubernetes.io/ingress.class"] == "nginx")
            #expect(ing[path: ["spec", "rules"]][0][path: ["http", "paths"]][0][path: ["backend", "service", "name"]] == "web-canary")
            #expect(ing.ownerReferences.first?["kind"] == "Rollout")

            try await env.annotate("web", ManualControlAnnotations.promote, "1")
            let healthy = await env.drive(step: .seconds(1), timeout: .seconds(40)) { await env.phase("web") == "Healthy" }
            #expect(healthy)
            let settled = await eventually(timeout: .seconds(3)) { recorder.last == 0 }
            #expect(settled, "\(recorder.sequence)")
            #expect(recorder.sequence.contains(30))
            let user = try await env.client.get(.ingresses, namespace: ns, name: "web-stable")
            #expect(user[path: ["metadata", "resourceVersion"]] == stable[path: ["metadata", "resourceVersion"]],
                    "the stable Ingress was written")

            // Deleting the Rollout removes the canary Ingress (owned by it), not the stable one.
            try await env.client.delete(.rollouts, namespace: ns, name: "web")
            let gone = await env.drive(step: .seconds(1)) {
                (try? await env.client.get(.ingresses, namespace: ns, name: Self.canaryIngress)) == nil
            }
            #expect(gone)
            #expect((try? await env.client.get(.ingresses, namespace: ns, name: "web-stable")) != nil)
        }
    }
}
