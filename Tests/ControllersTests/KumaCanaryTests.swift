import Controllers
import Foundation
import KubeCore
import SerinAPI
import SerinTestSupport
import Testing
import Traffic

/// Flagger's kuma tutorial through the controller, the cluster-scoped TrafficRoute checked by
/// Kuma's real CRD.
@Suite("Canary controller: Kuma", .serialized, .timeLimit(.minutes(2)))
struct KumaCanaryTests {
    @Test("the TrafficRoute's split follows the analysis and ends at the primary; revertOnDeletion removes it")
    func promotes() async throws {
        try await CanaryEnvironment.with { env in
            let ns = env.namespace
            try await env.createDeployment("podinfo", image: "ghcr.io/stefanprodan/podinfo:6.0.0")
            await env.startOperator(provider: "kuma")
            _ = try await env.client.create(.canaries, namespace: ns, [
                "apiVersion": "serin.dev/v1alpha1", "kind": "Canary",
                "metadata": ["name": "podinfo", "namespace": .string(ns)],
                "spec": [
                    "revertOnDeletion": true,
                    "targetRef": ["apiVersion": "apps/v1", "kind": "Deployment", "name": "podinfo"],
                    "service": ["port": 9898],
                    "analysis": ["interval": "30s", "threshold": 2, "maxWeight": 50, "stepWeight": 25,
                                 "metrics": [["name": "request-success-rate", "interval": "1m", "thresholdRange": ["min": 99]]]],
                ],
            ])
            #expect(await env.waitPhase("podinfo", "Initialized"))
            let names = CanaryNames(canaryName: "podinfo", namespace: ns, spec: CanarySpec(
                targetRef: CrossNamespaceRef(name: "podinfo"), service: CanaryService(port: 9898)))
            let weight: @Sendable (JSONValue) -> Int? = { tr in
                KumaRouter().readWeights(names: names, selector: SelectorLabel(key: "app", value: "podinfo"), object: tr)?.canary
            }
            let recorder = try await RouteRecorder.start(client: env.client, resource: .kumaTrafficRoutes, namespace: ns,
                                                         name: "podinfo", weight: weight)
            defer { recorder.stop() }
            try await env.setImage("podinfo", "ghcr.io/stefanprodan/podinfo:6.1.0")
            #expect(await env.waitPhase("podinfo", "Succeeded"))
            _ = await eventually(timeout: .seconds(2)) { recorder.last == 0 && recorder.sequence.count > 1 }
            #expect(recorder.sequence == [0, 25, 50, 0])
            try await env.client.delete(.canaries, namespace: ns, name: "podinfo")
            let gone = await env.drive { (try? await env.canary("podinfo")) == nil }
            #expect(gone)
            #expect((try? await env.client.get(.kumaTrafficRoutes, namespace: nil, name: "podinfo")) == nil)
        }
    }
}
