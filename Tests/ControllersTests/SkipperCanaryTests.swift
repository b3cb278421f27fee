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
            let names = RouterCanaryScenario.names(env, port: 80)
            let spec: JSONValue = ["provider": "skipper", "service": ["port": 80, "targetPort": 9898],
                                   "ingressRef": ["apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "name": "podinfo-ingress"]]
            let sequence = try await RouterCanaryScenario.promote(
                env, spec: spec, resource: .ingresses, name: "podinfo-ingress-canary", deployed: true
            ) { SkipperRouter().readWeights(names: names, selector: RouterCanaryScenario.selector, object: $0)?.canary }
            #expect(sequence == [0, 25, 50, 0])
            let ing = try await env.client.get(.ingresses, namespace: ns, name: "podinfo-ingress-canary")
            #expect(ing.annotations["zalando.org/skipper-predicate"] == "False()")
            let after = try await env.client.get(.ingresses, namespace: ns, name: "podinfo-ingress")
            #expect(after[path: ["metadata", "resourceVersion"]] == user[path: ["metadata", "resourceVersion"]])
            #expect(try await RouterCanaryScenario.deleteRemoves(env, resource: .ingresses, name: "podinfo-ingress-canary"))
        }
    }
}
