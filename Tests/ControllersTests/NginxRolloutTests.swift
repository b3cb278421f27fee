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
            let outcome = try await RouterRolloutScenario.walk(env, routing: routing, weight: 30, resource: .ingresses,
                                                              name: Self.canaryIngress, canaryWeight: NginxCanaryTests.weight) {
                let ing = try await env.client.get(.ingresses, namespace: ns, name: Self.canaryIngress)
                #expect(ing.annotations["nginx.ingress.kubernetes.io/canary-by-header"] == "X-Canary")
                #expect(ing.annotations["kubernetes.io/ingress.class"] == "nginx")
                #expect(ing[path: ["spec", "rules"]][0][path: ["http", "paths"]][0][path: ["backend", "service", "name"]] == "web-canary")
                #expect(ing.ownerReferences.first?["kind"] == "Rollout")
            }
            #expect(outcome.pausedAtWeight, "\(outcome.sequence)")
            #expect(outcome.healthy)
            #expect(outcome.endedAtZero, "\(outcome.sequence)")
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
