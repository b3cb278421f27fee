import KubeCore
import SerinAPI
import Testing
import Traffic

/// Rollout weights written into the user's own routing objects (Argo's model).
@Suite struct RolloutRoutingTests {
    static let names = CanaryNames(rollout: "web", namespace: "apps", route: "web", stableService: "web-stable",
                                   canaryService: "web-canary")

    static let virtualService: JSONValue = [
        "apiVersion": "networking.istio.io/v1beta1", "kind": "VirtualService",
        "metadata": ["name": "web", "namespace": "apps", "labels": ["team": "a"]],
        "spec": [
            "hosts": ["web.example.com"], "gateways": ["public"],
            "http": [
                ["name": "health", "match": [["uri": ["prefix": "/healthz"]]], "route": [["destination": ["host": "web-stable"]]]],
                ["name": "primary", "timeout": "5s", "route": [
                    ["destination": ["host": "web-stable.apps.svc.cluster.local", "port": ["number": 80]], "weight": 100],
                    ["destination": ["host": "web-canary.apps.svc.cluster.local", "port": ["number": 80]], "weight": 0],
                ]],
            ],
        ],
    ]

    @Test func istioWeightsOnTheNamedRouteOnly() throws {
        let vs = try IstioRouter.rolloutRoute(Self.virtualService, names: Self.names, routes: ["primary"], canaryWeight: 25)
        let http = vs[path: ["spec", "http"]].arrayValue ?? []
        #expect(http.count == 2)
        #expect(http[0] == Self.virtualService[path: ["spec", "http"]][0])  // untouched
        #expect(http[1]["route"][0]["weight"] == 75)
        #expect(http[1]["route"][1]["weight"] == 25)
        #expect(http[1]["timeout"] == "5s")
        #expect(vs[path: ["metadata", "labels", "team"]] == "a")
        // Read back with the Canary's reader: the same weights.
        let read = IstioRouter.readWeights(virtualService: vs, names: CanaryNames(
            rollout: "web", namespace: "apps", route: "web", stableService: "web-stable.apps.svc.cluster.local",
            canaryService: "web-canary.apps.svc.cluster.local"))
        #expect(read?.canary == 25 && read?.primary == 75)
    }

    @Test func istioHeaderAndMirrorRoutesGoFirstAndGoAway() throws {
        let header = RolloutSetHeaderRoute(name: "beta", match: [
            RolloutHeaderRoutingMatch(headerName: "x-beta", headerValue: RolloutStringMatch(exact: "yes"))])
        let mirror = RolloutSetMirrorRoute(name: "shadow", match: [RolloutRouteMatch(method: RolloutStringMatch(exact: "GET"))],
                                           percentage: 20)
        let with = try IstioRouter.rolloutRoute(Self.virtualService, names: Self.names, routes: ["primary"], canaryWeight: 10,
                                                headerRoutes: [header], mirrorRoutes: [mirror], managedRoutes: ["beta", "shadow"])
        let http = with[path: ["spec", "http"]].arrayValue ?? []
        let condition1 = http.map { $0["name"].stringValue ?? "" } == ["beta", "shadow", "health", "primary"]
        #expect(condition1)
        #expect(http[0]["match"][0]["headers"]["x-beta"]["exact"] == "yes")
        #expect(http[0]["route"][0]["destination"]["host"] == "web-canary.apps.svc.cluster.local")
        #expect(http[0]["route"][0]["weight"] == 100)
        #expect(http[1]["mirror"]["host"] == "web-canary.apps.svc.cluster.local")
        #expect(http[1]["mirrorPercentage"]["value"] == 20.0)
        #expect(http[1]["match"][0]["method"]["exact"] == "GET")
        // The routes leave again when no step sets them.
        let without = try IstioRouter.rolloutRoute(with, names: Self.names, routes: ["primary"], canaryWeight: 0,
                                                   managedRoutes: ["beta", "shadow"])
        let condition2 = (without[path: ["spec", "http"]].arrayValue ?? []).map { $0["name"].stringValue ?? "" } == ["health", "primary"]
        #expect(condition2)
    }

    @Test func istioWithoutTheServicesSaysWhatToAdd() {
        let operation3 = {
            try IstioRouter.rolloutRoute(Self.virtualService, names: Self.names, routes: ["health"], canaryWeight: 10)
        }
        #expect(throws: RolloutRoutingError.self, performing: operation3)
    }

    static let httpRoute: JSONValue = [
        "apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
        "metadata": ["name": "web", "namespace": "apps"],
        "spec": [
            "parentRefs": [["name": "public"]],
            "rules": [
                ["matches": [["path": ["type": "PathPrefix", "value": "/"]]],
                 "backendRefs": [["name": "web-stable", "port": 80, "weight": 100], ["name": "web-canary", "port": 80, "weight": 0]]],
            ],
        ],
    ]

    @Test func gatewayWeightsAndHeaderRule() throws {
        let header = RolloutSetHeaderRoute(name: "beta", match: [
            RolloutHeaderRoutingMatch(headerName: "x-beta", headerValue: RolloutStringMatch(regex: "^y"))])
        let route = try GatewayAPIRouter.rolloutRoute(Self.httpRoute, names: Self.names, canaryWeight: 40, headerRoutes: [header])
        let rules = route[path: ["spec", "rules"]].arrayValue ?? []
        #expect(rules.count == 2)
        #expect(rules[0]["name"] == "serin-beta")
        #expect(rules[0]["matches"][0]["headers"][0] == ["name": "x-beta", "type": "RegularExpression", "value": "^y"])
        #expect(rules[0]["backendRefs"][0]["name"] == "web-canary")
        #expect(rules[1]["backendRefs"][0]["weight"] == 60)
        #expect(rules[1]["backendRefs"][1]["weight"] == 40)
        #expect(rules[1]["matches"] == Self.httpRoute[path: ["spec", "rules"]][0]["matches"])
        let read = GatewayAPIRouter.readWeights(httpRoute: route, names: Self.names)
        #expect(read?.canary == 40)
        let back = try GatewayAPIRouter.rolloutRoute(route, names: Self.names, canaryWeight: 0)
        #expect((back[path: ["spec", "rules"]].arrayValue ?? []).count == 1)
    }
}
