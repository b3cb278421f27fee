import Controllers
import Foundation
import KubeCore
import SerinAPI
import SerinTestSupport
import Testing
import Traffic

/// Flagger's kuma tutorial through the controller (the operator's default provider kuma), the
/// cluster-scoped TrafficRoute checked by Kuma's real CRD.
@Suite("Canary controller: Kuma", .serialized, .timeLimit(.minutes(2)))
struct KumaCanaryTests {
    @Test("the TrafficRoute's split follows the analysis and ends at the primary; revertOnDeletion removes it")
    func promotes() async throws {
        try await CanaryEnvironment.with { env in
            await env.startOperator(provider: "kuma")
            let names = RouterCanaryScenario.names(env, port: 9898)
            let sequence = try await RouterCanaryScenario.promote(
                env, spec: ["service": ["port": 9898]], resource: .kumaTrafficRoutes, name: "podinfo"
            ) { KumaRouter().readWeights(names: names, selector: RouterCanaryScenario.selector, object: $0)?.canary }
            #expect(sequence == [0, 25, 50, 0])
            #expect(try await RouterCanaryScenario.deleteRemoves(env, resource: .kumaTrafficRoutes, name: "podinfo"))
        }
    }
}
