import KubeCore
import SerinAPI
import Testing
import Traffic

/// The Gloo router writes the RouteTable and Upstreams Flagger's gloo router writes.
@Suite struct GlooRouterTests {
    let router = GlooRouter()
    let selector = SelectorLabel(key: "app", value: "podinfo")

    func canary(match: JSONValue? = nil) -> (CanarySpec, CanaryNames) {
        let analysis = match == nil ? CanaryAnalysis(interval: "10s", threshold: 5, maxWeight: 50, stepWeight: 5)
            : CanaryAnalysis(interval: "10s", threshold: 5, iterations: 10, match: match)
        let spec = CanarySpec(provider: "gloo", targetRef: CrossNamespaceRef(name: "podinfo"), service: CanaryService(port: 9898),
                              analysis: analysis)
        return (spec, CanaryNames(canaryName: "podinfo", namespace: "test", spec: spec))
    }

    static func destination(_ upstream: String, _ weight: Int) -> JSONValue {
        ["destination": ["upstream": ["name": .string(upstream), "namespace": "test"]], "weight": .int(Int64(weight))]
    }

    @Test func routeTableWeighsTheUpstreamsSerinCreates() throws {
        let (spec, names) = canary()
        #expect(spec.validate().isEmpty, "\(spec.validate())")
        let objs = router.routingObjects(spec: spec, names: names, selector: selector, weights: RouteWeights(primary: 95, canary: 5))
        #expect(objs.map(TrafficRouters.key) == ["RouteTable/podinfo", "Upstream/test-podinfo-primaryupstream-9898",
                                                 "Upstream/test-podinfo-canaryupstream-9898"])
        let table = objs[0]
        #expect(table["apiVersion"] == "gateway.solo.io/v1")
        #expect(table[path: ["spec", "routes"]] == [[
            "inheritablePathMatchers": true,
            "routeAction": ["multi": ["destinations": [Self.destination("test-podinfo-primaryupstream-9898", 95),
                                                       Self.destination("test-podinfo-canaryupstream-9898", 5)]]],
        ]])
        #expect(objs[1]["apiVersion"] == "gloo.solo.io/v1")
        #expect(objs[1]["spec"] == ["kube": ["serviceName": "podinfo-primary", "serviceNamespace": "test", "servicePort": 9898]])
        #expect(objs[2][path: ["spec", "kube", "serviceName"]] == "podinfo-canary")
        #expect(router.readWeights(names: names, selector: selector, object: table) == RouteWeights(primary: 95, canary: 5))
        #expect(router.cleanupObjects(spec: spec, names: names).map(\.name) == ["podinfo", "test-podinfo-primaryupstream-9898",
                                                                               "test-podinfo-canaryupstream-9898"])
    }

    @Test func upstreamRefSpecIsCopiedAndKubePointsAtSerinsServices() throws {
        var (spec, names) = canary()
        spec.upstreamRef = CanaryUpstreamRef(apiVersion: "gloo.solo.io/v1", kind: "Upstream", name: "podinfo-upstream", namespace: "gloo-system")
        #expect(router.sourceObjects(spec: spec, names: names) == [RouterObjectRef(.glooUpstreams, "podinfo-upstream", namespace: "gloo-system")])
        #expect(router.routingProblem(spec: spec, names: names, existing: [:])?.contains("Upstream podinfo-upstream (spec.upstreamRef) not found in namespace gloo-system") == true)
        let user: JSONValue = ["apiVersion": "gloo.solo.io/v1", "kind": "Upstream", "metadata": ["name": "podinfo-upstream", "namespace": "gloo-system"],
                               "spec": ["sslConfig": ["sni": "podinfo"], "kube": ["serviceName": "podinfo", "serviceNamespace": "test", "servicePort": 9898]]]
        let existing = ["Upstream/podinfo-upstream": user]
        #expect(router.routingProblem(spec: spec, names: names, existing: existing) == nil)
        let objs = router.routingObjects(spec: spec, names: names, selector: selector, weights: .primaryOnly, existing: existing, ownerReference: nil)
        #expect(objs[2]["spec"] == ["sslConfig": ["sni": "podinfo"],
                                    "kube": ["serviceName": "podinfo-canary", "serviceNamespace": "test", "servicePort": 9898]])
        #expect(objs[2].namespace == "test")
    }

    @Test func abTestingAddsAMatcherRouteFirst() throws {
        let (spec, names) = canary(match: [["headers": ["x-canary": ["exact": "insider"]]],
                                           ["headers": ["user-agent": ["regex": ".*Firefox.*"]], "method": ["exact": "GET"]]])
        #expect(spec.validate().isEmpty, "\(spec.validate())")
        let ab = RouteWeights(primary: 100, canary: 0, abMatch: true)
        let table = try #require(router.routingObjects(spec: spec, names: names, selector: selector, weights: ab).first)
        let routes = table[path: ["spec", "routes"]].arrayValue ?? []
        #expect(routes.count == 2)
        #expect(routes.first?["matchers"] == [["headers": [["name": "x-canary", "value": "insider"]]],
                                              ["headers": [["name": "user-agent", "value": ".*Firefox.*", "regex": true]], "methods": ["GET"]]])
        #expect(routes.first?[path: ["routeAction", "multi", "destinations"]] == [Self.destination("test-podinfo-primaryupstream-9898", 0),
                                                                                  Self.destination("test-podinfo-canaryupstream-9898", 100)])
        #expect(routes.last?["matchers"] == .null)
        #expect(router.readWeights(names: names, selector: selector, object: table) == ab)
    }

    @Test func unsupportedMatchesAreRefusedByField() {
        var (spec, _) = canary(match: [["headers": ["x-canary": ["prefix": "in"]]], ["uri": ["prefix": "/api"]]])
        spec.analysis?.match = [["headers": ["x-canary": ["prefix": "in"]]], ["uri": ["prefix": "/api"]]]
        let problems = spec.validate().map(\.path)
        #expect(problems.contains("spec.analysis.match[0].headers.x-canary"), "\(problems)")
        #expect(problems.contains("spec.analysis.match[1].uri"), "\(problems)")
        var mirrored = canary().0
        mirrored.analysis?.mirror = true
        let mirror = mirrored.validate().map(\.path)
        #expect(mirror.contains("spec.analysis.mirror"), "\(mirror)")
    }
}
