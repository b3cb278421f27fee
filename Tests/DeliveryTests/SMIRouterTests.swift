import KubeCore
import SerinAPI
import Testing
import Traffic

/// The SMI router writes the TrafficSplit Flagger's SMI routers and Argo's smi router write.
@Suite struct SMIRouterTests {
    let router = SMIRouter()
    let selector = SelectorLabel(key: "app", value: "podinfo")

    func canary(_ provider: String?, hosts: [String]? = nil) -> (CanarySpec, CanaryNames) {
        let spec = CanarySpec(provider: provider, targetRef: CrossNamespaceRef(name: "podinfo"),
                              service: CanaryService(port: 9898, hosts: hosts),
                              analysis: CanaryAnalysis(interval: "30s", threshold: 5, maxWeight: 50, stepWeight: 5))
        return (spec, CanaryNames(canaryName: "podinfo", namespace: "test", spec: spec))
    }

    @Test func linkerdWritesAV1alpha1TrafficSplitWithQuantityWeights() throws {
        #expect(TrafficRouters.router(forProvider: "linkerd")?.family == "smi")
        let (spec, names) = canary("linkerd")
        #expect(spec.validate().isEmpty, "\(spec.validate())")
        let ts = try #require(router.routingObjects(spec: spec, names: names, selector: selector,
                                                    weights: RouteWeights(primary: 70, canary: 30)).first)
        #expect(ts["apiVersion"] == "split.smi-spec.io/v1alpha1")
        #expect(ts.name == "podinfo")
        #expect(ts[path: ["spec", "service"]] == "podinfo")
        #expect(ts[path: ["spec", "backends"]] == [["service": "podinfo-canary", "weight": "30"],
                                                   ["service": "podinfo-primary", "weight": "70"]])
        #expect(router.readWeights(names: names, selector: selector, object: ts) == RouteWeights(primary: 70, canary: 30))
        #expect(router.weightObject(spec: spec, names: names) == RouterObjectRef(.trafficSplitsV1alpha1, "podinfo"))
        #expect(router.resource(of: ts) == .trafficSplitsV1alpha1)
    }

    @Test(arguments: [("smi:v1alpha2", ResourceType.trafficSplitsV1alpha2), ("smi:v1alpha3", .trafficSplitsV1alpha3)])
    func laterVersionsWriteIntegerWeights(_ provider: String, _ resource: ResourceType) throws {
        let (spec, names) = canary(provider, hosts: ["podinfo.test.svc.cluster.local"])
        #expect(spec.validate().isEmpty, "\(spec.validate())")
        let ts = try #require(router.routingObjects(spec: spec, names: names, selector: selector,
                                                    weights: RouteWeights(primary: 95, canary: 5)).first)
        #expect(ts["apiVersion"] == .string(resource.apiVersion))
        #expect(router.resource(of: ts) == resource)
        #expect(ts[path: ["spec", "service"]] == "podinfo.test.svc.cluster.local")
        #expect(ts[path: ["spec", "backends"]] == [["service": "podinfo-canary", "weight": 5], ["service": "podinfo-primary", "weight": 95]])
        #expect(router.cleanupObjects(spec: spec, names: names) == [RouterObjectRef(resource, "podinfo")])
    }

    @Test func osmWritesFlaggersV1alpha2TrafficSplit() throws {
        #expect(TrafficRouters.router(forProvider: "osm")?.family == "smi")
        let (spec, names) = canary("osm")
        #expect(spec.validate().isEmpty, "\(spec.validate())")
        let ts = try #require(router.routingObjects(spec: spec, names: names, selector: selector,
                                                    weights: RouteWeights(primary: 80, canary: 20)).first)
        #expect(ts["apiVersion"] == "split.smi-spec.io/v1alpha2")
        #expect(ts.name == "podinfo")
        #expect(ts[path: ["spec", "service"]] == "podinfo")
        #expect(ts[path: ["spec", "backends"]] == [["service": "podinfo-canary", "weight": 20], ["service": "podinfo-primary", "weight": 80]])
        #expect(router.readWeights(names: names, selector: selector, object: ts) == RouteWeights(primary: 80, canary: 20))
        #expect(router.weightObject(spec: spec, names: names) == RouterObjectRef(.trafficSplitsV1alpha2, "podinfo"))
        #expect(router.cleanupObjects(spec: spec, names: names) == [RouterObjectRef(.trafficSplitsV1alpha2, "podinfo")])
    }

    @Test func osmRefusesWhatATrafficSplitCannotCarry() {
        var spec = canary("osm").0
        spec.analysis = CanaryAnalysis(interval: "30s", threshold: 5, iterations: 5, match: [["headers": ["x-canary": ["exact": "insider"]]]])
        #expect(spec.validate().map(\.description) == [
            "spec.analysis.match: provider osm cannot route by request headers or cookies (its routing object has weights only); remove match (canary by weight) or use the gatewayapi or istio provider",
        ])
        spec.analysis = CanaryAnalysis(interval: "30s", threshold: 5, iterations: 5, mirror: true)
        #expect(spec.validate().map(\.description) == ["spec.analysis.mirror: provider osm cannot mirror traffic; remove mirror or use the gatewayapi or istio provider"])
    }

    @Test func theUsersFieldsAreKeptAndRollbackEndsAtThePrimary() throws {
        let (spec, names) = canary("linkerd")
        var current = try #require(router.routingObjects(spec: spec, names: names, selector: selector,
                                                         weights: RouteWeights(primary: 60, canary: 40)).first)
        current[path: ["metadata", "labels", "team"]] = "web"
        current[path: ["metadata", "annotations", "note"]] = "keep"
        let back = try #require(router.routingObjects(spec: spec, names: names, selector: selector, weights: .primaryOnly,
                                                      existing: ["TrafficSplit/podinfo": current], ownerReference: nil).first)
        #expect(back.labels["team"] == "web")
        #expect(back.annotations["note"] == "keep")
        #expect(router.readWeights(names: names, selector: selector, object: back) == .primaryOnly)
        // Quantities in other spellings read back too.
        var milli = back
        milli[path: ["spec", "backends"]] = [["service": "podinfo-canary", "weight": "250m"], ["service": "podinfo-primary", "weight": "750m"]]
        #expect(router.readWeights(names: names, selector: selector, object: milli) == RouteWeights(primary: 75, canary: 25))
    }

    @Test func abTestingAndMirroringAreRefusedByName() {
        var (spec, _) = canary("linkerd")
        spec.analysis = CanaryAnalysis(interval: "30s", threshold: 5, iterations: 5, match: [["headers": ["x-canary": ["exact": "1"]]]])
        #expect(spec.validate().map(\.description) == [
            "spec.analysis.match: provider linkerd cannot route by request headers or cookies (its routing object has weights only); remove match (canary by weight) or use the gatewayapi or istio provider",
        ])
    }

    @Test func argoTrafficSplitIsNamedAndOwnedAsArgoDoes() throws {
        var routing = RolloutTrafficRouting()
        routing.smi = ["rootService": "root-svc", "trafficSplitName": "rollout-example-traffic-split"]
        #expect(router.rolloutObjects(routing, namespace: "test").isEmpty)
        let owned = router.rolloutOwnedObjects(routing, namespace: "test", rollout: "rollout-example")
        #expect(owned == [RolloutRouteObject(resource: .trafficSplitsV1alpha1, namespace: "test", name: "rollout-example-traffic-split")])
        let names = CanaryNames(rollout: "rollout-example", namespace: "test", route: owned[0].name,
                                stableService: "stable-svc", canaryService: "canary-svc")
        let owner: JSONValue = ["apiVersion": "serin.dev/v1alpha1", "kind": "Rollout", "name": "rollout-example", "uid": "r-1"]
        let ts = try router.rolloutDerived(owned[0], source: nil, existing: nil, routing: routing, names: names,
                                           traffic: RolloutRouteSettings(canaryWeight: 20), owner: owner)
        #expect(ts[path: ["spec", "service"]] == "root-svc")
        #expect(ts[path: ["spec", "backends"]] == [["service": "canary-svc", "weight": "20"], ["service": "stable-svc", "weight": "80"]])
        #expect(ts.ownerReferences == [owner])
        // Defaults: named after the Rollout, rooted at the stableService.
        routing.smi = [:]
        let plain = try #require(router.rolloutOwnedObjects(routing, namespace: "test", rollout: "web").first)
        #expect(plain.name == "web")
        let ts2 = try router.rolloutDerived(plain, source: nil, existing: nil, routing: routing, names: names,
                                            traffic: RolloutRouteSettings(canaryWeight: 0), owner: owner)
        #expect(ts2[path: ["spec", "service"]] == "stable-svc")
        // Someone else's TrafficSplit of that name is not taken over.
        var foreign = ts2
        foreign[path: ["metadata", "ownerReferences"]] = .null
        let run = { try router.rolloutDerived(plain, source: nil, existing: foreign, routing: routing, names: names,
                                              traffic: RolloutRouteSettings(canaryWeight: 0), owner: owner) }
        #expect(throws: RolloutRoutingError.self, performing: run)
    }
}
