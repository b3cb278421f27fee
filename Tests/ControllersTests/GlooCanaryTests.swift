import Controllers
import Foundation
import KubeCore
import SerinAPI
import SerinTestSupport
import Testing
import Traffic

/// Flagger's gloo tutorial through the controller, the RouteTable and Upstreams checked by Gloo's
/// real CRDs (strict field validation).
@Suite("Canary controller: Gloo", .serialized, .timeLimit(.minutes(2)))
struct GlooCanaryTests {
    @Test("provider gloo: the RouteTable follows the analysis and ends at the primary; upstreamRef is copied; revertOnDeletion removes all")
    func promotes() async throws {
        try await CanaryEnvironment.with { env in
            let ns = env.namespace
            await env.startOperator(provider: "kubernetes")
            _ = try await env.client.create(.glooUpstreams, namespace: ns, [
                "apiVersion": "gloo.solo.io/v1", "kind": "Upstream", "metadata": ["name": "podinfo-upstream", "namespace": .string(ns)],
                "spec": ["connectionConfig": ["maxRequestsPerConnection": 10],
                         "kube": ["serviceName": "podinfo", "serviceNamespace": .string(ns), "servicePort": 9898]],
            ])
            let spec: JSONValue = ["provider": "gloo", "service": ["port": 9898, "targetPort": 9898],
                                   "upstreamRef": ["apiVersion": "gloo.solo.io/v1", "kind": "Upstream", "name": "podinfo-upstream", "namespace": .string(ns)]]
            let names = RouterCanaryScenario.names(env, port: 9898)
            let sequence = try await RouterCanaryScenario.promote(env, spec: spec, resource: .glooRouteTables, name: "podinfo") {
                GlooRouter().readWeights(names: names, selector: RouterCanaryScenario.selector, object: $0)?.canary
            }
            #expect(sequence == [0, 25, 50, 0])
            let canaryUpstream = "\(ns)-podinfo-canaryupstream-9898"
            let up = try await env.client.get(.glooUpstreams, namespace: ns, name: canaryUpstream)
            #expect(up[path: ["spec", "kube", "serviceName"]] == "podinfo-canary")
            #expect(up[path: ["spec", "connectionConfig", "maxRequestsPerConnection"]] == 10, "upstreamRef's spec is copied")
            #expect(up.ownerReferences.first?["kind"] == "Canary")
            #expect(try await RouterCanaryScenario.deleteRemoves(env, resource: .glooRouteTables, name: "podinfo"))
            #expect((try? await env.client.get(.glooUpstreams, namespace: ns, name: canaryUpstream)) == nil)
            #expect((try? await env.client.get(.glooUpstreams, namespace: ns, name: "podinfo-upstream")) != nil, "the user's Upstream stays")
        }
    }

    @Test("provider gloo: a failing analysis rolls the RouteTable back to the primary")
    func rollsBack() async throws {
        try await CanaryEnvironment.with { env in
            let ns = env.namespace
            try await env.createDeployment("podinfo", image: "ghcr.io/stefanprodan/podinfo:6.0.0")
            await env.startOperator(provider: "kubernetes")
            _ = try await env.client.create(.canaries, namespace: ns, RouterCanaryScenario.canary(ns, spec: ["provider": "gloo", "service": ["port": 9898]]))
            #expect(await env.waitPhase("podinfo", "Initialized"))
            let names = RouterCanaryScenario.names(env, port: 9898)
            let recorder = try await RouteRecorder.start(client: env.client, resource: .glooRouteTables, namespace: ns, name: "podinfo") {
                GlooRouter().readWeights(names: names, selector: RouterCanaryScenario.selector, object: $0)?.canary
            }
            defer { recorder.stop() }
            try await env.setImage("podinfo", "ghcr.io/stefanprodan/podinfo:6.1.0")
            let shifted = await env.drive { recorder.last == 25 }
            #expect(shifted, "\(recorder.sequence)")
            env.prometheus.set { $0.successRate = 50 }
            #expect(await env.waitPhase("podinfo", "Failed"))
            _ = await eventually(timeout: .seconds(2)) { recorder.last == 0 }
            #expect(recorder.sequence.first == 0 && recorder.sequence.last == 0 && recorder.sequence.contains(25), "\(recorder.sequence)")
        }
    }
}
