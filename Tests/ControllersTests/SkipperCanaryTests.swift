import Controllers
import Foundation
import KubeCore
import SerinAPI
import SerinTestSupport
import Testing
import Traffic

/// Flagger's skipper tutorial through the controller: backend weights on the canary Ingress
/// follow the analysis, the route is switched off at the end, revertOnDeletion removes it.
@Suite("Canary controller: Skipper", .serialized, .timeLimit(.minutes(2)))
struct SkipperCanaryTests {
    @Test("backend weights follow the analysis; the user's Ingress is untouched; revertOnDeletion removes the canary Ingress")
    func promotes() async throws {
        try await CanaryEnvironment.with { env in
            let ns = env.namespace
            try await env.createDeployment("podinfo", image: "ghcr.io/stefanprodan/podinfo:6.0.0")
            let user = try await env.client.create(.ingresses, namespace: ns, [
                "apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
                "metadata": ["name": "podinfo-ingress", "namespace": .string(ns), "annotations": ["kubernetes.io/ingress.class": "skipper"]],
                "spec": ["rules": [["host": "app.example.com", "http": ["paths": [
                    ["path": "/", "pathType": "Prefix", "backend": ["service": ["name": "podinfo", "port": ["number": 80]]]],
                ]]]]],
            ])
            await env.startOperator(provider: "kubernetes")
            _ = try await env.client.create(.canaries, namespace: ns, [
                "apiVersion": "serin.dev/v1alpha1", "kind": "Canary",
                "metadata": ["name": "podinfo", "namespace": .string(ns)],
                "spec": [
                    "provider": "skipper", "revertOnDeletion": true,
                    "targetRef": ["apiVersion": "apps/v1", "kind": "Deployment", "name": "podinfo"],
                    "ingressRef": ["apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "name": "podinfo-ingress"],
                    "service": ["port": 80, "targetPort": 9898],
                    "analysis": ["interval": "15s", "threshold": 2, "maxWeight": 50, "stepWeight": 25,
                                 "metrics": [["name": "request-success-rate", "interval": "1m", "thresholdRange": ["min": 99]]]],
                ],
            ])
            #expect(await env.waitPhase("podinfo", "Initialized"))
            let names = CanaryNames(canaryName: "podinfo", namespace: ns, spec: CanarySpec(
                provider: "skipper", targetRef: CrossNamespaceRef(name: "podinfo"), service: CanaryService(port: 80)))
            let weight: @Sendable (JSONValue) -> Int? = { ing in
                SkipperRouter().readWeights(names: names, selector: SelectorLabel(key: "app", value: "podinfo"), object: ing)?.canary
            }
            let recorder = try await RouteRecorder.start(client: env.client, resource: .ingresses, namespace: ns,
                                                         name: "podinfo-ingress-canary", weight: weight)
            defer { recorder.stop() }
            try await env.setImage("podinfo", "ghcr.io/stefanprodan/podinfo:6.1.0")
            #expect(await env.waitPhase("podinfo", "Succeeded"))
            _ = await eventually(timeout: .seconds(2)) { recorder.last == 0 && recorder.sequence.count > 1 }
            #expect(recorder.sequence == [0, 25, 50, 0])
            let ing = try await env.client.get(.ingresses, namespace: ns, name: "podinfo-ingress-canary")
            #expect(ing.annotations["zalando.org/skipper-predicate"] == "False()")
            let after = try await env.client.get(.ingresses, namespace: ns, name: "podinfo-ingress")
            #expect(after[path: ["metadata", "resourceVersion"]] == user[path: ["metadata", "resourceVersion"]])

            try await env.client.delete(.canaries, namespace: ns, name: "podinfo")
            let gone = await env.drive { (try? await env.canary("podinfo")) == nil }
            #expect(gone)
            #expect((try? await env.client.get(.ingresses, namespace: ns, name: "podinfo-ingress-canary")) == nil)
        }
    }
}
