import Controllers
import Foundation
import KubeCore
import SerinAPI
import SerinTestSupport
import Testing
import Traffic

/// Flagger's linkerd tutorial and Argo's smi getting-started Rollout through the controllers,
/// the TrafficSplit checked by linkerd-smi's real CRD (strict field validation).
@Suite("Controllers: SMI TrafficSplit", .serialized, .timeLimit(.minutes(3)))
struct SMICanaryTests {
    static let weight: @Sendable (JSONValue) -> Int? = { ts in
        SMIRouter.readWeights(trafficSplit: ts, primary: "podinfo-primary", canary: "podinfo-canary")?.canary
    }

    @Test("provider linkerd: the TrafficSplit's weights follow the analysis; revertOnDeletion removes it")
    func linkerdCanary() async throws {
        try await CanaryEnvironment.with { env in
            await env.startOperator(provider: "kubernetes")
            let sequence = try await RouterCanaryScenario.promote(
                env, spec: ["provider": "linkerd", "service": ["port": 9898]], resource: .trafficSplitsV1alpha1, name: "podinfo",
                weight: Self.weight)
            #expect(sequence == [0, 25, 50, 0])
            let ts = try await env.client.get(.trafficSplitsV1alpha1, namespace: env.namespace, name: "podinfo")
            #expect(ts[path: ["spec", "service"]] == "podinfo")
            // The builtin check asked Linkerd's proxy metrics.
            let condition1 = env.prometheus.queries.contains { $0.contains("response_total") }
            #expect(condition1)
            #expect(try await RouterCanaryScenario.deleteRemoves(env, resource: .trafficSplitsV1alpha1, name: "podinfo"))
        }
    }

    @Test("provider osm: a v1alpha2 TrafficSplit, as Flagger writes for OSM, follows the analysis; OSM's metrics are asked")
    func osmCanary() async throws {
        try await CanaryEnvironment.with { env in
            await env.startOperator(provider: "kubernetes")
            let sequence = try await RouterCanaryScenario.promote(
                env, spec: ["provider": "osm", "service": ["port": 9898]], resource: .trafficSplitsV1alpha2, name: "podinfo",
                weight: Self.weight)
            #expect(sequence == [0, 25, 50, 0])
            let ts = try await env.client.get(.trafficSplitsV1alpha2, namespace: env.namespace, name: "podinfo")
            #expect(ts["apiVersion"] == "split.smi-spec.io/v1alpha2")
            #expect(ts[path: ["spec", "service"]] == "podinfo")
            #expect(ts[path: ["spec", "backends"]] == [["service": "podinfo-canary", "weight": 0], ["service": "podinfo-primary", "weight": 100]])
            // The builtin check asked OSM's Envoy metrics, by destination, as Flagger's OSM observer does.
            let asked = env.prometheus.queries.contains { $0.contains("osm_request_total{destination_kind=\"Deployment\"") }
            #expect(asked, "\(env.prometheus.queries)")
            #expect(try await RouterCanaryScenario.deleteRemoves(env, resource: .trafficSplitsV1alpha2, name: "podinfo"))
        }
    }

    @Test("trafficRouting.smi: Serin's TrafficSplit follows setWeight, returns to 0 and goes with the Rollout")
    func argoSMI() async throws {
        try await RolloutEnvironment.with { env in
            let ns = env.namespace
            let routing: JSONValue = ["smi": ["rootService": "web", "trafficSplitName": "web-split"]]
            let weight: @Sendable (JSONValue) -> Int? = { ts in
                SMIRouter.readWeights(trafficSplit: ts, primary: "web-stable", canary: "web-canary")?.canary
            }
            let outcome = try await RouterRolloutScenario.walk(env, routing: routing, weight: 40, resource: .trafficSplitsV1alpha1,
                                                              name: "web-split", canaryWeight: weight) {
                let ts = try await env.client.get(.trafficSplitsV1alpha1, namespace: ns, name: "web-split")
                #expect(ts[path: ["spec", "service"]] == "web")
                #expect(ts.ownerReferences.first?["kind"] == "Rollout")
            }
            #expect(outcome.pausedAtWeight, "\(outcome.sequence)")
            #expect(outcome.healthy)
            #expect(outcome.endedAtZero, "\(outcome.sequence)")
            try await env.client.delete(.rollouts, namespace: ns, name: "web")
            let gone = await env.drive(step: .seconds(1)) {
                (try? await env.client.get(.trafficSplitsV1alpha1, namespace: ns, name: "web-split")) == nil
            }
            #expect(gone)
        }
    }
}
