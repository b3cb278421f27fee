import Controllers
import Foundation
import KubeCore
import SerinAPI
import SerinTestSupport
import Testing
import Traffic

/// Flagger's Istio delegation through the controller: the VirtualService Serin writes is a
/// delegate (no hosts, no gateways), accepted by Istio's real CRD, its weights follow the
/// analysis, and revertOnDeletion removes it.
@Suite("Canary controller: Istio delegation", .serialized, .timeLimit(.minutes(2)))
struct IstioDelegationCanaryTests {
    @Test("a delegate VirtualService is promoted through and removed with the Canary")
    func delegate() async throws {
        try await CanaryEnvironment.with { env in
            await env.startOperator(provider: "istio")
            let names = RouterCanaryScenario.names(env, port: 9898)
            let spec: JSONValue = ["service": ["port": 9898, "delegation": true, "hosts": ["podinfo.example.com"],
                                               "gateways": ["public-gateway"]]]
            let sequence = try await RouterCanaryScenario.promote(env, spec: spec, resource: .virtualServices, name: "podinfo") {
                IstioRouter().readWeights(names: names, selector: RouterCanaryScenario.selector, object: $0)?.canary
            }
            #expect(sequence == [0, 25, 50, 0])
            let vs = try await env.client.get(.virtualServices, namespace: env.namespace, name: "podinfo")
            #expect(vs[path: ["spec", "hosts"]] == .null)
            #expect(vs[path: ["spec", "gateways"]] == .null)
            #expect(vs[path: ["spec", "http"]][0]["route"][0]["destination"]["host"] == "podinfo-primary")
            #expect(try await RouterCanaryScenario.deleteRemoves(env, resource: .virtualServices, name: "podinfo"))
        }
    }
}
