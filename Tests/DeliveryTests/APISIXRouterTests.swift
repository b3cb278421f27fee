import KubeCore
import SerinAPI
import Testing
import Traffic

/// The APISIX router writes the ApisixRoutes Flagger's and Argo's apisix routers write.
@Suite struct APISIXRouterTests {
    let router = APISIXRouter()
    let selector = SelectorLabel(key: "app", value: "podinfo")

    func canary() -> (CanarySpec, CanaryNames) {
        var spec = CanarySpec(provider: "apisix", targetRef: CrossNamespaceRef(name: "podinfo"), service: CanaryService(port: 80),
                              analysis: CanaryAnalysis(interval: "30s", threshold: 10, maxWeight: 50, stepWeight: 10))
        spec.routeRef = CanaryRouteRef(apiVersion: "apisix.apache.org/v2", kind: "ApisixRoute", name: "podinfo")
        return (spec, CanaryNames(canaryName: "podinfo", namespace: "test", spec: spec))
    }

    /// Flagger's tutorial route, with a second rule for another Service.
    static let userRoute: JSONValue = [
        "apiVersion": "apisix.apache.org/v2", "kind": "ApisixRoute",
        "metadata": ["name": "podinfo", "namespace": "test", "labels": ["team": "a"], "uid": "u1", "resourceVersion": "7"],
        "spec": ["ingressClassName": "apisix", "http": [
            ["name": "other", "match": ["paths": ["/other"]], "backends": [["serviceName": "other", "servicePort": 80]]],
            ["name": "method", "match": ["hosts": ["app.example.com"], "methods": ["GET"], "paths": ["/*"]],
             "backends": [["serviceName": "podinfo", "servicePort": 80, "resolveGranularity": "service"]]],
        ]],
    ]

    @Test func flaggerCanaryRouteCopiesTheTargetRule() throws {
        let (spec, names) = canary()
        #expect(spec.validate().isEmpty, "\(spec.validate())")
        let existing = ["ApisixRoute/podinfo": Self.userRoute]
        #expect(router.sourceObjects(spec: spec, names: names) == [RouterObjectRef(.apisixRoutes, "podinfo")])
        #expect(router.routingProblem(spec: spec, names: names, existing: existing) == nil)
        let route = try #require(router.routingObjects(spec: spec, names: names, selector: selector, weights: RouteWeights(primary: 90, canary: 10),
                                                       existing: existing, ownerReference: nil).first)
        #expect(route.name == "podinfo-podinfo-canary")
        #expect(route.labels == ["team": "a"])
        #expect(route[path: ["metadata", "uid"]] == .null)
        #expect(route["spec"] == ["ingressClassName": "apisix", "http": [[
            "name": "method", "priority": 10000, "match": ["hosts": ["app.example.com"], "methods": ["GET"], "paths": ["/*"]],
            "backends": [["serviceName": "podinfo-primary", "servicePort": 80, "resolveGranularity": "service", "weight": 90],
                         ["serviceName": "podinfo-canary", "servicePort": 80, "resolveGranularity": "service", "weight": 10]],
        ]]])
        #expect(router.readWeights(names: names, selector: selector, object: route) == RouteWeights(primary: 90, canary: 10))
        #expect(router.weightObject(spec: spec, names: names).name == "podinfo-podinfo-canary")
        #expect(router.cleanupObjects(spec: spec, names: names).map(\.name) == ["podinfo-podinfo-canary"])
    }

    @Test func flaggerProblemsNameTheRouteAndTheFix() {
        var (spec, names) = canary()
        #expect(router.routingProblem(spec: spec, names: names, existing: [:])?.contains("ApisixRoute podinfo (spec.routeRef) not found") == true)
        var two = Self.userRoute
        two[path: ["spec", "http"]] = [["name": "r", "match": ["paths": ["/*"]],
                                        "backends": [["serviceName": "podinfo", "servicePort": 80], ["serviceName": "x", "servicePort": 80]]]]
        #expect(router.routingProblem(spec: spec, names: names, existing: ["ApisixRoute/podinfo": two])?.contains("must have one backend") == true)
        spec.routeRef = nil
        #expect(spec.validate().map(\.path).contains("spec.routeRef"))
        spec.analysis = CanaryAnalysis(interval: "30s", threshold: 5, iterations: 10, match: [["headers": ["x": ["exact": "y"]]]])
        #expect(spec.validate().map(\.path).contains("spec.analysis.match"))
    }

    // MARK: Argo

    static let argoRoute: JSONValue = [
        "apiVersion": "apisix.apache.org/v2", "kind": "ApisixRoute",
        "metadata": ["name": "rollouts-apisix-route", "namespace": "test", "uid": "u2"],
        "spec": ["http": [["name": "rollouts-apisix", "match": ["paths": ["/*"], "methods": ["GET"]],
                           "backends": [["serviceName": "web-stable", "servicePort": 80], ["serviceName": "web-canary", "servicePort": 80]]]]],
    ]
    let names = CanaryNames(rollout: "web", namespace: "test", route: "rollouts-apisix-route", stableService: "web-stable", canaryService: "web-canary")
    let routing = RolloutTrafficRouting.decoded(["apisix": ["route": ["name": "rollouts-apisix-route", "rules": ["rollouts-apisix"]]],
                                                 "managedRoutes": [["name": "set-header"]]])

    @Test func argoSetsTheBackendWeightsOfTheRules() throws {
        let objects = router.rolloutObjects(routing, namespace: "test")
        #expect(objects == [RolloutRouteObject(resource: .apisixRoutes, namespace: "test", name: "rollouts-apisix-route", routes: ["rollouts-apisix"])])
        let route = try router.rolloutRoute(Self.argoRoute, object: objects[0], names: names, traffic: RolloutRouteSettings(canaryWeight: 20))
        #expect(route[path: ["spec", "http"]][0]["backends"] == [["serviceName": "web-stable", "servicePort": 80, "weight": 80],
                                                                 ["serviceName": "web-canary", "servicePort": 80, "weight": 20]])
        #expect(route[path: ["spec", "http"]][0]["match"] == Self.argoRoute[path: ["spec", "http"]][0]["match"])
        let missing = RolloutRouteObject(resource: .apisixRoutes, namespace: "test", name: "rollouts-apisix-route", routes: ["nope"])
        #expect(throws: RolloutRoutingError.self) {
            try router.rolloutRoute(Self.argoRoute, object: missing, names: names, traffic: RolloutRouteSettings(canaryWeight: 20))
        }
    }

    @Test func argoHeaderRouteIsACanaryOnlyCopyRemovedWhenNotInForce() throws {
        let object = router.rolloutObjects(routing, namespace: "test")[0]
        let derived = router.rolloutDerivedObjects(object, routing: routing, rollout: "web")
        #expect(derived.map(\.name) == ["set-header"])
        let owner: JSONValue = ["apiVersion": "serin.dev/v1alpha1", "kind": "Rollout", "name": "web", "uid": "r1", "controller": true]
        let header = RolloutSetHeaderRoute(name: "set-header", match: [RolloutHeaderRoutingMatch(headerName: "trace", headerValue: RolloutStringMatch(exact: "debug"))])
        let inForce = RolloutRouteSettings(canaryWeight: 0, headerRoutes: [header], managedRoutes: ["set-header"])
        let copy = try router.rolloutDerived(derived[0], source: Self.argoRoute, existing: nil, routing: routing, names: names,
                                             traffic: inForce, owner: owner)
        #expect(copy.name == "set-header")
        #expect(copy[path: ["metadata", "uid"]] == .null)
        #expect(copy.ownerReferences == [owner])
        #expect(copy[path: ["spec", "http"]] == [["name": "rollouts-apisix", "priority": 1,
            "match": ["paths": ["/*"], "methods": ["GET"], "exprs": [["subject": ["scope": "Header", "name": "trace"], "op": "Equal", "value": "debug"]]],
            "backends": [["serviceName": "web-canary", "servicePort": 80, "weight": 100]]]])
        let off = try router.rolloutDerived(derived[0], source: Self.argoRoute, existing: copy, routing: routing, names: names,
                                            traffic: RolloutRouteSettings(canaryWeight: 0, managedRoutes: ["set-header"]), owner: owner)
        #expect(off == .null)
        var foreign = copy
        foreign[path: ["metadata", "ownerReferences"]] = .null
        #expect(throws: RolloutRoutingError.self) {
            try router.rolloutDerived(derived[0], source: Self.argoRoute, existing: foreign, routing: routing, names: names,
                                      traffic: inForce, owner: owner)
        }
    }
}

extension RolloutTrafficRouting {
    /// Decoded from its manifest shape.
    static func decoded(_ json: JSONValue) -> RolloutTrafficRouting {
        (try? json.decode(as: RolloutTrafficRouting.self)) ?? RolloutTrafficRouting()
    }
}
