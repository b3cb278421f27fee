import Controllers
import Foundation
import KubeCore
import SerinAPI
import SerinTestSupport
import Testing
import Traffic

/// Flagger's contour tutorial through the controller, the HTTPProxy checked by Contour's real CRD.
@Suite("Canary controller: Contour", .serialized, .timeLimit(.minutes(2)))
struct ContourCanaryTests {
    @Test("the HTTPProxy's weights follow the analysis and end at the primary; revertOnDeletion removes it")
    func promotes() async throws {
        try await CanaryEnvironment.with { env in
            let ns = env.namespace
            try await env.createDeployment("podinfo", image: "ghcr.io/stefanprodan/podinfo:6.0.0")
            await env.startOperator(provider: "contour")
            _ = try await env.client.create(.canaries, namespace: ns, [
                "apiVersion": "serin.dev/v1alpha1", "kind": "Canary",
                "metadata": ["name": "podinfo", "namespace": .string(ns)],
                "spec": [
                    "revertOnDeletion": true,
                    "targetRef": ["apiVersion": "apps/v1", "kind": "Deployment", "name": "podinfo"],
                    "service": ["port": 80, "targetPort": 9898, "timeout": "15s", "retries": ["attempts": 3, "perTryTimeout": "5s"]],
                    "analysis": ["interval": "15s", "threshold": 2, "maxWeight": 30, "stepWeight": 15,
                                 "metrics": [["name": "request-success-rate", "interval": "1m", "thresholdRange": ["min": 99]]]],
                ],
            ])
            #expect(await env.waitPhase("podinfo", "Initialized"))
            let names = CanaryNames(canaryName: "podinfo", namespace: ns, spec: CanarySpec(
                targetRef: CrossNamespaceRef(name: "podinfo"), service: CanaryService(port: 80)))
            let weight: @Sendable (JSONValue) -> Int? = { p in
                ContourRouter().readWeights(names: names, selector: SelectorLabel(key: "app", value: "podinfo"), object: p)?.canary
            }
            let recorder = try await RouteRecorder.start(client: env.client, resource: .httpProxies, namespace: ns,
                                                         name: "podinfo", weight: weight)
            defer { recorder.stop() }
            try await env.setImage("podinfo", "ghcr.io/stefanprodan/podinfo:6.1.0")
            #expect(await env.waitPhase("podinfo", "Succeeded"))
            _ = await eventually(timeout: .seconds(2)) { recorder.last == 0 && recorder.sequence.count > 1 }
            #expect(recorder.sequence == [0, 15, 30, 0])
            try await env.client.delete(.canaries, namespace: ns, name: "podinfo")
            let gone = await env.drive { (try? await env.canary("podinfo")) == nil }
            #expect(gone)
            #expect((try? await env.client.get(.httpProxies, namespace: ns, name: "podinfo")) == nil)
        }
    }
}
