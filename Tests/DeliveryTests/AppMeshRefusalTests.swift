import KubeCore
import SerinAPI
import Testing

/// AWS App Mesh is gone (shut down on 2026-09-30): both shapes are refused with a message that
/// says so and points to the Gateway API.
@Suite struct AppMeshRefusalTests {
    @Test(arguments: ["appmesh", "appmesh:v1beta2"])
    func flaggerProviderIsRefused(_ provider: String) {
        let spec = CanarySpec(provider: provider, targetRef: CrossNamespaceRef(name: "podinfo"), service: CanaryService(port: 80),
                              analysis: CanaryAnalysis(interval: "30s", threshold: 5, maxWeight: 50, stepWeight: 10))
        let problems = spec.validate().filter { $0.path == "spec.provider" }
        #expect(problems.map(\.description) == [
            "spec.provider: the \(provider) provider is not supported: AWS shut App Mesh down on 2026-09-30, so there is no App Mesh to route through; "
                + "route through the Gateway API instead (AWS's Gateway API Controller for VPC Lattice, or any Gateway API implementation): provider gatewayapi",
        ])
    }

    @Test func argoTrafficRoutingIsRefused() {
        var routing = RolloutTrafficRouting()
        routing.appMesh = ["virtualService": ["name": "my-svc"], "virtualNodeGroup": ["canaryVirtualNodeRef": ["name": "c"]]]
        let spec = RolloutAPITests.canary([.weight(10)], routing: routing, canaryService: "c", stableService: "s")
        let problems = spec.validate()
        #expect(problems.map(\.path) == ["spec.strategy.canary.trafficRouting.appMesh"])
        let message = problems.first?.description ?? ""
        #expect(message.contains("router appMesh is not supported: AWS shut App Mesh down on 2026-09-30"))
        #expect(message.contains("plugins.argoproj-labs/gatewayAPI"))
    }
}
