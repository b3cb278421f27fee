import KubeCore
import SerinAPI
import Testing
import Traffic

/// The Kuma router writes the TrafficRoute Flagger's kuma router writes.
@Suite struct KumaRouterTests {
    let router = KumaRouter()
    let selector = SelectorLabel(key: "app", value: "podinfo")

    @Test func trafficRouteSplitsBetweenKumaServices() throws {
        let spec = CanarySpec(provider: "kuma", targetRef: CrossNamespaceRef(name: "podinfo"), service: CanaryService(port: 9898),
                              analysis: CanaryAnalysis(interval: "30s", threshold: 5, maxWeight: 50, stepWeight: 5))
        #expect(spec.validate().isEmpty, "\(spec.validate())")
        let names = CanaryNames(canaryName: "podinfo", namespace: "test", spec: spec)
        let tr = try #require(router.routingObjects(spec: spec, names: names, selector: selector,
                                                    weights: RouteWeights(primary: 95, canary: 5)).first)
        #expect(tr["apiVersion"] == "kuma.io/v1alpha1")
        #expect(tr.name == "podinfo")
        #expect(tr.namespace == nil, "TrafficRoute is cluster-scoped")
        #expect(tr["mesh"] == "default")
        #expect(tr.annotations == ["9898.service.kuma.io": "http"])
        #expect(tr["spec"] == [
            "sources": [["match": ["kuma.io/service": "*"]]],
            "destinations": [["match": ["kuma.io/service": "podinfo_test_svc_9898"]]],
            "conf": ["split": [
                ["weight": 95, "destination": ["kuma.io/service": "podinfo-primary_test_svc_9898"]],
                ["weight": 5, "destination": ["kuma.io/service": "podinfo-canary_test_svc_9898"]],
            ]],
        ])
        #expect(router.readWeights(names: names, selector: selector, object: tr) == RouteWeights(primary: 95, canary: 5))
        var user = tr
        user[path: ["metadata", "labels", "team"]] = "mesh"
        user["mesh"] = "prod"
        let back = try #require(router.routingObjects(spec: spec, names: names, selector: selector, weights: .primaryOnly,
                                                      existing: ["TrafficRoute/podinfo": user], ownerReference: nil).first)
        #expect(back.labels["team"] == "mesh")
        #expect(back["mesh"] == "prod")
        #expect(router.readWeights(names: names, selector: selector, object: back) == .primaryOnly)
        #expect(router.cleanupObjects(names: names) == [RouterObjectRef(.kumaTrafficRoutes, "podinfo")])
        #expect(ResourceType.kumaTrafficRoutes.namespaced == false)
    }
}
