import Controllers
import Foundation
import KubeCore
import SerinAPI
import SerinTestSupport
import Testing
import Traffic

/// Flagger's nginx tutorial through the controller: the user's Ingress is read and left as it
/// is, Serin's `podinfo-canary` Ingress carries the weights, a failed analysis ends at the
/// primary 100%, and revertOnDeletion removes the canary Ingress.
@Suite("Canary controller: NGINX Ingress", .serialized, .timeLimit(.minutes(2)))
struct NginxCanaryTests {
    static func userIngress(_ ns: String) -> JSONValue {
        [
            "apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
            "metadata": ["name": "podinfo", "namespace": .string(ns), "labels": ["app": "podinfo"],
                         "annotations": ["kubernetes.io/ingress.class": "nginx"]],
            "spec": ["rules": [["host": "app.example.com", "http": ["paths": [
                ["path": "/", "pathType": "Prefix", "backend": ["service": ["name": "podinfo", "port": ["number": 80]]]],
            ]]]]],
        ]
    }

    static func canary(_ ns: String, revert: Bool = false) -> JSONValue {
        [
            "apiVersion": "serin.dev/v1alpha1", "kind": "Canary",
            "metadata": ["name": "podinfo", "namespace": .string(ns)],
            "spec": [
                "provider": "nginx",
                "revertOnDeletion": .bool(revert),
                "targetRef": ["apiVersion": "apps/v1", "kind": "Deployment", "name": "podinfo"],
                "ingressRef": ["apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "name": "podinfo"],
                "service": ["port": 80, "targetPort": 9898],
                "analysis": ["interval": "10s", "threshold": 2, "maxWeight": 30, "stepWeight": 10,
                             "metrics": [["name": "request-success-rate", "interval": "1m", "thresholdRange": ["min": 99]]]],
            ],
        ]
    }

    static let weight: @Sendable (JSONValue) -> Int? = { ing in
        NginxRouter.readWeights(ingress: ing, keys: NginxRouter.Keys())?.canary
    }

    @Test("promotion through the canary Ingress; the user's Ingress is untouched")
    func promotes() async throws {
        try await CanaryEnvironment.with { env in
            let ns = env.namespace
            try await env.createDeployment("podinfo", image: "ghcr.io/stefanprodan/podinfo:6.0.0")
            let created = try await env.client.create(.ingresses, namespace: ns, Self.userIngress(ns))
            await env.startOperator(provider: "kubernetes")
            _ = try await env.client.create(.canaries, namespace: ns, Self.canary(ns))
            #expect(await env.waitPhase("podinfo", "Initialized"))
            let recorder = try await RouteRecorder.start(client: env.client, resource: .ingresses, namespace: ns,
                                                         name: "podinfo-canary", weight: Self.weight)
            defer { recorder.stop() }
            try await env.setImage("podinfo", "ghcr.io/stefanprodan/podinfo:6.1.0")
            #expect(await env.waitPhase("podinfo", "Succeeded"))
            _ = await eventually(timeout: .seconds(2)) { recorder.last == 0 && recorder.sequence.count > 1 }
            #expect(recorder.sequence == [0, 10, 20, 30, 0])

            let user = try await env.client.get(.ingresses, namespace: ns, name: "podinfo")
            #expect(user[path: ["metadata", "resourceVersion"]] == created[path: ["metadata", "resourceVersion"]],
                    "the user's Ingress was written")
            let ing = try await env.client.get(.ingresses, namespace: ns, name: "podinfo-canary")
            #expect(ing.annotations["nginx.ingress.kubernetes.io/canary"] == "true")
            #expect(ing.annotations["kubernetes.io/ingress.class"] == "nginx")
            #expect(ing.labels == ["app": "podinfo"])
            #expect(ing[path: ["spec", "rules"]][0][path: ["http", "paths"]][0][path: ["backend", "service", "name"]] == "podinfo-canary")
            #expect(ing.ownerReferences.first?["kind"] == "Canary")
            // The builtin check asked for ingress-nginx's metrics.
            let condition1 = env.prometheus.queries.contains { $0.contains("nginx_ingress_controller_requests") }
            #expect(condition1)
        }
    }

    @Test("a failing check rolls back to the primary 100%; revertOnDeletion removes the canary Ingress")
    func rollsBackAndCleansUp() async throws {
        try await CanaryEnvironment.with { env in
            let ns = env.namespace
            try await env.createDeployment("podinfo", image: "ghcr.io/stefanprodan/podinfo:6.0.0")
            _ = try await env.client.create(.ingresses, namespace: ns, Self.userIngress(ns))
            await env.startOperator(provider: "kubernetes")
            _ = try await env.client.create(.canaries, namespace: ns, Self.canary(ns, revert: true))
            #expect(await env.waitPhase("podinfo", "Initialized"))
            env.prometheus.set { $0.successRate = 90 }
            try await env.setImage("podinfo", "ghcr.io/stefanprodan/podinfo:6.1.0")
            #expect(await env.waitPhase("podinfo", "Failed"))
            // The status is written before its effects: the weight follows right after.
            let rolledBack = await env.drive {
                let ing = try? await env.client.get(.ingresses, namespace: ns, name: "podinfo-canary")
                return ing.flatMap(Self.weight) == 0
            }
            #expect(rolledBack)

            try await env.client.delete(.canaries, namespace: ns, name: "podinfo")
            let gone = await env.drive { (try? await env.canary("podinfo")) == nil }
            #expect(gone)
            let canaryIngress = try? await env.client.get(.ingresses, namespace: ns, name: "podinfo-canary")
            #expect(canaryIngress == nil)
            let user = try? await env.client.get(.ingresses, namespace: ns, name: "podinfo")
            #expect(user != nil, "the user's Ingress is kept")
        }
    }

    @Test("a missing Ingress is reported, naming spec.ingressRef")
    func missingIngress() async throws {
        try await CanaryEnvironment.with { env in
            let ns = env.namespace
            try await env.createDeployment("podinfo", image: "ghcr.io/stefanprodan/podinfo:6.0.0")
            await env.startOperator(provider: "kubernetes")
            _ = try await env.client.create(.canaries, namespace: ns, Self.canary(ns))
            let reported = await env.drive {
                await env.events(about: "podinfo").contains {
                    ($0["message"].stringValue ?? "").contains("Ingress podinfo (spec.ingressRef) not found in namespace \(ns)")
                }
            }
            #expect(reported)
            let ing = try? await env.client.get(.ingresses, namespace: ns, name: "podinfo-canary")
            #expect(ing == nil)
        }
    }
}
