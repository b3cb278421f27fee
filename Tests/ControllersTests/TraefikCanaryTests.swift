import Controllers
import Foundation
import KubeCore
import SerinAPI
import SerinTestSupport
import Testing
import Traffic

/// Flagger's traefik tutorial and Argo's weightedTraefikServiceName through the controllers,
/// the TraefikService checked by Traefik's real CRD (strict field validation).
@Suite("Controllers: Traefik", .serialized, .timeLimit(.minutes(3)))
struct TraefikCanaryTests {
    @Test("provider traefik: the TraefikService's weights follow the analysis and end at the primary")
    func flaggerTraefik() async throws {
        try await CanaryEnvironment.with { env in
            await env.startOperator(provider: "kubernetes")
            let spec: JSONValue = ["provider": "traefik", "service": ["port": 80, "targetPort": 9898]]
            let sequence = try await RouterCanaryScenario.promote(env, spec: spec, resource: .traefikServices, name: "podinfo") {
                TraefikRouter.readWeights(traefikService: $0, primary: "podinfo-primary", canary: "podinfo-canary")?.canary
            }
            #expect(sequence == [0, 25, 50, 0])
            #expect(try await RouterCanaryScenario.deleteRemoves(env, resource: .traefikServices, name: "podinfo"))
        }
    }

    @Test("trafficRouting.traefik: the user's TraefikService follows setWeight and returns to 0")
    func argoTraefik() async throws {
        try await RolloutEnvironment.with { env in
            let ns = env.namespace
            _ = try await env.client.create(.traefikServices, namespace: ns, [
                "apiVersion": "traefik.io/v1alpha1", "kind": "TraefikService",
                "metadata": ["name": "web-weighted", "namespace": .string(ns)],
                "spec": ["weighted": ["services": [["name": "web-stable", "port": 80], ["name": "web-canary", "port": 80]]]],
            ])
            let routing: JSONValue = ["traefik": ["weightedTraefikServiceName": "web-weighted"]]
            let weight: @Sendable (JSONValue) -> Int? = { ts in
                TraefikRouter.readWeights(traefikService: ts, primary: "web-stable", canary: "web-canary")?.canary
            }
            let outcome = try await RouterRolloutScenario.walk(env, routing: routing, weight: 30, resource: .traefikServices,
                                                              name: "web-weighted", canaryWeight: weight)
            #expect(outcome.pausedAtWeight, "\(outcome.sequence)")
            #expect(outcome.healthy)
            #expect(outcome.endedAtZero, "\(outcome.sequence)")
        }
    }
}
