import KubeCore
import SerinAPI
import Testing
import Traffic

/// The Traefik router writes the weighted TraefikService Flagger's and Argo's traefik routers write.
@Suite struct TraefikRouterTests {
    let router = TraefikRouter()
    let selector = SelectorLabel(key: "app", value: "podinfo")

    func canary() -> (CanarySpec, CanaryNames) {
        let spec = CanarySpec(provider: "traefik", targetRef: CrossNamespaceRef(name: "podinfo"),
                              service: CanaryService(port: 80, apex: CustomMetadata(labels: ["team": "web"])),
                              analysis: CanaryAnalysis(interval: "10s", threshold: 10, maxWeight: 50, stepWeight: 5))
        return (spec, CanaryNames(canaryName: "podinfo", namespace: "test", spec: spec))
    }

    @Test func flaggersWeightedTraefikService() throws {
        let (spec, names) = canary()
        #expect(spec.validate().isEmpty, "\(spec.validate())")
        let start = try #require(router.routingObjects(spec: spec, names: names, selector: selector, weights: .primaryOnly).first)
        #expect(start["apiVersion"] == "traefik.io/v1alpha1")
        #expect(start.name == "podinfo")
        #expect(start.labels == ["team": "web"])
        #expect(start[path: ["spec", "weighted", "services"]] == [["name": "podinfo-primary", "namespace": "test", "port": 80, "weight": 100]])
        #expect(router.readWeights(names: names, selector: selector, object: start) == .primaryOnly)
        var user = start
        user[path: ["metadata", "annotations", "note"]] = "keep"
        let mid = try #require(router.routingObjects(spec: spec, names: names, selector: selector, weights: RouteWeights(primary: 80, canary: 20),
                                                     existing: ["TraefikService/podinfo": user], ownerReference: nil).first)
        #expect(mid[path: ["spec", "weighted", "services"]] == [
            ["name": "podinfo-primary", "namespace": "test", "port": 80, "weight": 80],
            ["name": "podinfo-canary", "namespace": "test", "port": 80, "weight": 20],
        ])
        #expect(mid.annotations["note"] == "keep")
        #expect(router.readWeights(names: names, selector: selector, object: mid) == RouteWeights(primary: 80, canary: 20))
        #expect(router.cleanupObjects(names: names) == [RouterObjectRef(.traefikServices, "podinfo")])
    }

    @Test func argoSetsTheWeightsOfTheUsersTraefikService() throws {
        var routing = RolloutTrafficRouting()
        routing.traefik = ["weightedTraefikServiceName": "traefik-service"]
        let objects = router.rolloutObjects(routing, namespace: "test")
        #expect(objects == [RolloutRouteObject(resource: .traefikServices, namespace: "test", name: "traefik-service")])
        let user: JSONValue = [
            "apiVersion": "traefik.io/v1alpha1", "kind": "TraefikService",
            "metadata": ["name": "traefik-service", "namespace": "test"],
            "spec": ["weighted": ["sticky": ["cookie": ["name": "lvl"]], "services": [
                ["name": "stable-rollout", "port": 80],
                ["name": "canary-rollout", "port": 80],
            ]]],
        ]
        let names = CanaryNames(rollout: "rollouts-demo", namespace: "test", route: "traefik-service",
                                stableService: "stable-rollout", canaryService: "canary-rollout")
        let ts = try router.rolloutRoute(user, object: objects[0], names: names, traffic: RolloutRouteSettings(canaryWeight: 30))
        #expect(ts[path: ["spec", "weighted", "services"]] == [["name": "stable-rollout", "port": 80, "weight": 70],
                                                              ["name": "canary-rollout", "port": 80, "weight": 30]])
        #expect(ts[path: ["spec", "weighted", "sticky"]] == user[path: ["spec", "weighted", "sticky"]])
        var missing = user
        missing[path: ["spec", "weighted", "services"]] = [["name": "stable-rollout", "port": 80]]
        let run = { try router.rolloutRoute(missing, object: objects[0], names: names, traffic: RolloutRouteSettings(canaryWeight: 30)) }
        #expect(throws: RolloutRoutingError.self, performing: run)
    }
}
