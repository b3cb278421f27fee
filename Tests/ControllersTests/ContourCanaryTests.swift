import Controllers
import Foundation
import KubeCore
import SerinAPI
import SerinTestSupport
import Testing
import Traffic

/// Flagger's contour tutorial through the controller (the operator's default provider contour),
/// the HTTPProxy checked by Contour's real CRD.
@Suite("Canary controller: Contour", .serialized, .timeLimit(.minutes(2)))
struct ContourCanaryTests {
    @Test("the HTTPProxy's weights follow the analysis and end at the primary; revertOnDeletion removes it")
    func promotes() async throws {
        try await CanaryEnvironment.with { env in
            await env.startOperator(provider: "contour")
            let names = RouterCanaryScenario.names(env, port: 80)
            let spec: JSONValue = ["service": ["port": 80, "targetPort": 9898, "timeout": "15s",
                                               "retries": ["attempts": 3, "perTryTimeout": "5s"]]]
            let sequence = try await RouterCanaryScenario.promote(env, spec: spec, resource: .httpProxies, name: "podinfo") {
                ContourRouter().readWeights(names: names, selector: RouterCanaryScenario.selector, object: $0)?.canary
            }
            #expect(sequence == [0, 25, 50, 0])
            #expect(try await RouterCanaryScenario.deleteRemoves(env, resource: .httpProxies, name: "podinfo"))
        }
    }
}
