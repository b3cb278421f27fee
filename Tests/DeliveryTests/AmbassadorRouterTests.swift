import KubeCore
import SerinAPI
import Testing
import Traffic

/// The Ambassador router writes the canary Mappings Argo's ambassador router writes.
@Suite struct AmbassadorRouterTests {
    let router = AmbassadorRouter()
    let names = CanaryNames(rollout: "echo-rollout", namespace: "test", route: "echo", stableService: "echo-stable", canaryService: "echo-canary")
    let owner: JSONValue = ["apiVersion": "serin.dev/v1alpha1", "kind": "Rollout", "name": "echo-rollout", "uid": "r1", "controller": true]
    static let mapping: JSONValue = [
        "apiVersion": "getambassador.io/v2", "kind": "Mapping",
        "metadata": ["name": "echo", "namespace": "test", "labels": ["team": "a"], "uid": "u1", "resourceVersion": "3"],
        "spec": ["prefix": "/echo", "rewrite": "/", "service": "echo-stable:8080", "host": "echo.local"],
    ]

    func routing(_ mappings: [String]) -> RolloutTrafficRouting {
        var r = RolloutTrafficRouting()
        r.ambassador = ["mappings": .array(mappings.map { .string($0) })]
        return r
    }

    @Test func canaryMappingIsAWeightedCopyOnTheCanaryService() throws {
        let r = routing(["echo"])
        let objects = router.rolloutObjects(r, namespace: "test")
        #expect(objects.map(\.name) == ["echo"])
        #expect(try router.rolloutRoute(Self.mapping, object: objects[0], names: names, traffic: RolloutRouteSettings(canaryWeight: 30)) == Self.mapping)
        let derived = router.rolloutDerivedObjects(objects[0], routing: r, rollout: "echo-rollout")
        #expect(derived.map(\.name) == ["echo-canary"])
        let canary = try router.rolloutDerived(derived[0], source: Self.mapping, existing: nil, routing: r, names: names,
                                               traffic: RolloutRouteSettings(canaryWeight: 30), owner: owner)
        // Argo copies the spec only: the user's labels and uid stay on the user's Mapping.
        #expect(canary["metadata"] == ["name": "echo-canary", "namespace": "test", "ownerReferences": [owner]])
        #expect(canary["spec"] == ["prefix": "/echo", "rewrite": "/", "service": "echo-canary:8080", "host": "echo.local", "weight": 30])
        #expect(AmbassadorRouter.readWeights(canaryMapping: canary) == RouteWeights(primary: 70, canary: 30))
        let zero = try router.rolloutDerived(derived[0], source: Self.mapping, existing: canary, routing: r, names: names,
                                             traffic: RolloutRouteSettings(canaryWeight: 0), owner: owner)
        #expect(zero == .null, "at weight 0 the canary Mapping is removed")
    }

    @Test func serviceRewriteKeepsOnlyANumericPort() {
        #expect(AmbassadorRouter.canaryService("echo-stable", canary: "echo-canary") == "echo-canary")
        #expect(AmbassadorRouter.canaryService("echo-stable:8080", canary: "echo-canary") == "echo-canary:8080")
        #expect(AmbassadorRouter.canaryService("http://echo-stable.test", canary: "echo-canary") == "echo-canary")
        #expect(AmbassadorRouter.canaryMappingName(String(repeating: "m", count: 250)).count == 253)
    }

    @Test func weightedUserMappingsAndForeignCopiesAreRefused() throws {
        let r = routing(["echo"])
        let object = router.rolloutObjects(r, namespace: "test")[0]
        var weighted = Self.mapping
        weighted[path: ["spec", "weight"]] = 10
        #expect(throws: RolloutRoutingError.self) {
            try router.rolloutRoute(weighted, object: object, names: names, traffic: RolloutRouteSettings(canaryWeight: 30))
        }
        var foreign = Self.mapping
        foreign[path: ["metadata", "name"]] = "echo-canary"
        let derived = router.rolloutDerivedObjects(object, routing: r, rollout: "echo-rollout")[0]
        #expect(throws: RolloutRoutingError.self) {
            try router.rolloutDerived(derived, source: Self.mapping, existing: foreign, routing: r, names: names,
                                      traffic: RolloutRouteSettings(canaryWeight: 30), owner: owner)
        }
    }
}
