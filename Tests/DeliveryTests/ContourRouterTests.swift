import KubeCore
import SerinAPI
import Testing
import Traffic

/// The Contour router writes the HTTPProxy Flagger's contour router writes.
@Suite struct ContourRouterTests {
    let router = ContourRouter()
    let selector = SelectorLabel(key: "app", value: "podinfo")

    func canary(match: JSONValue? = nil) -> (CanarySpec, CanaryNames) {
        let analysis = match == nil ? CanaryAnalysis(interval: "30s", threshold: 5, maxWeight: 50, stepWeight: 5)
            : CanaryAnalysis(interval: "30s", threshold: 5, iterations: 10, match: match)
        let spec = CanarySpec(provider: "contour", targetRef: CrossNamespaceRef(name: "podinfo"),
                              service: CanaryService(port: 80, timeout: "15s", retries: ["attempts": 3, "perTryTimeout": "5s"]),
                              analysis: analysis)
        return (spec, CanaryNames(canaryName: "podinfo", namespace: "test", spec: spec))
    }

    static func service(_ name: String, _ weight: Int) -> JSONValue {
        ["name": .string(name), "port": 80, "weight": .int(Int64(weight)),
         "requestHeadersPolicy": ["set": [["name": "l5d-dst-override", "value": .string("\(name).test.svc.cluster.local:80")]]]]
    }

    @Test func weightedRouteWithFlaggersPolicies() throws {
        let (spec, names) = canary()
        #expect(spec.validate().isEmpty, "\(spec.validate())")
        let proxy = try #require(router.routingObjects(spec: spec, names: names, selector: selector,
                                                       weights: RouteWeights(primary: 90, canary: 10)).first)
        #expect(proxy["apiVersion"] == "projectcontour.io/v1")
        #expect(proxy.name == "podinfo")
        #expect(proxy[path: ["spec", "routes"]] == [[
            "conditions": [["prefix": "/"]],
            "timeoutPolicy": ["response": "15s", "idle": "5m"],
            "retryPolicy": ["count": 3, "perTryTimeout": "5s"],
            "services": [Self.service("podinfo-primary", 90), Self.service("podinfo-canary", 10)],
        ]])
        #expect(router.readWeights(names: names, selector: selector, object: proxy) == RouteWeights(primary: 90, canary: 10))
        var user = proxy
        user[path: ["spec", "virtualhost"]] = ["fqdn": "app.example.com"]
        let back = try #require(router.routingObjects(spec: spec, names: names, selector: selector, weights: .primaryOnly,
                                                      existing: ["HTTPProxy/podinfo": user], ownerReference: nil).first)
        #expect(back[path: ["spec", "virtualhost", "fqdn"]] == "app.example.com")
        #expect(router.readWeights(names: names, selector: selector, object: back) == .primaryOnly)
    }

    @Test func abTestingAddsAHeaderRouteFirst() throws {
        let (spec, names) = canary(match: [["headers": ["x-canary": ["exact": "insider"]]], ["headers": ["user-agent": ["prefix": "Firefox"]]]])
        #expect(spec.validate().isEmpty, "\(spec.validate())")
        let ab = RouteWeights(primary: 100, canary: 0, abMatch: true)
        let proxy = try #require(router.routingObjects(spec: spec, names: names, selector: selector, weights: ab).first)
        let routes = proxy[path: ["spec", "routes"]].arrayValue ?? []
        #expect(routes.count == 2)
        #expect(routes.first?["conditions"] == [["prefix": "/", "header": ["name": "x-canary", "exact": "insider"]],
                                                ["prefix": "/", "header": ["name": "user-agent", "contains": "Firefox"]]])
        #expect(routes.first?["services"] == [Self.service("podinfo-primary", 0), Self.service("podinfo-canary", 100)])
        #expect(router.readWeights(names: names, selector: selector, object: proxy) == ab)
    }
}
