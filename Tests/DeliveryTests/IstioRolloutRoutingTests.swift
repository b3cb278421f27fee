import KubeCore
import SerinAPI
import Testing
import Traffic

/// Argo's Istio router shapes: TLS and TCP route weights, subset-level splitting (the
/// DestinationRule's subsets labelled with the pod-template hashes), several VirtualServices,
/// maxTrafficWeight as Istio percentages; and Flagger's delegate VirtualService.
@Suite struct IstioRolloutRoutingTests {
    let router = IstioRouter()
    static let names = CanaryNames(rollout: "web", namespace: "apps", route: "web", stableService: "web-stable",
                                   canaryService: "web-canary")

    static func split(_ extra: JSONValue = .object([:]), stable: Int = 100) -> JSONValue {
        var r = extra
        r["route"] = [["destination": ["host": "web-stable", "port": ["number": 443]], "weight": .int(Int64(stable))],
                      ["destination": ["host": "web-canary", "port": ["number": 443]], "weight": .int(Int64(100 - stable))]]
        return r
    }

    static let tlsAndTCP: JSONValue = [
        "apiVersion": "networking.istio.io/v1beta1", "kind": "VirtualService",
        "metadata": ["name": "web", "namespace": "apps"],
        "spec": [
            "hosts": ["web.example.com"], "exportTo": ["."],
            "tls": [
                split(["match": [["port": 443, "sniHosts": ["web.example.com"]]]]),
                split(["match": [["port": 443, "sniHosts": ["other.example.com"]]]]),
            ],
            "tcp": [split(["match": [["port": 5432]]]), split(["match": [["port": 6379]]])],
        ],
    ]

    @Test("tlsRoutes (by port and SNI hosts) and tcpRoutes (by port) get the weights; the others and every other field are kept")
    func tlsAndTcpRoutes() throws {
        let vs = try IstioRouter.rolloutRoute(Self.tlsAndTCP, names: Self.names, routes: [], canaryWeight: 30,
                                              tlsRoutes: [RolloutIstioTLSRoute(port: 443, sniHosts: ["web.example.com"])],
                                              tcpRoutes: [RolloutIstioTCPRoute(port: 5432)])
        let tls = vs[path: ["spec", "tls"]].arrayValue ?? []
        let tcp = vs[path: ["spec", "tcp"]].arrayValue ?? []
        #expect(tls[0]["route"][0]["weight"] == 70)
        #expect(tls[0]["route"][1]["weight"] == 30)
        #expect(tls[1] == Self.tlsAndTCP[path: ["spec", "tls"]][1])
        #expect(tcp[0]["route"][1]["weight"] == 30)
        #expect(tcp[1] == Self.tlsAndTCP[path: ["spec", "tcp"]][1])
        #expect(vs[path: ["spec", "exportTo"]] == ["."])
        #expect(vs[path: ["spec", "http"]] == .null)  // no HTTP routes needed, none invented
        // A TLS route that matches nothing is named.
        let wrong = {
            try IstioRouter.rolloutRoute(Self.tlsAndTCP, names: Self.names, routes: [], canaryWeight: 30,
                                         tlsRoutes: [RolloutIstioTLSRoute(port: 8443)])
        }
        #expect(throws: RolloutRoutingError.self, performing: wrong)
    }

    static let subsetVS: JSONValue = [
        "apiVersion": "networking.istio.io/v1beta1", "kind": "VirtualService",
        "metadata": ["name": "web-vsvc", "namespace": "apps"],
        "spec": ["hosts": ["web"], "http": [["name": "primary", "route": [
            ["destination": ["host": "web", "subset": "stable"], "weight": 100],
            ["destination": ["host": "web", "subset": "canary"], "weight": 0],
        ]]]],
    ]

    static let destinationRule: JSONValue = [
        "apiVersion": "networking.istio.io/v1beta1", "kind": "DestinationRule",
        "metadata": ["name": "web-destrule", "namespace": "apps"],
        "spec": ["host": "web", "subsets": [
            ["name": "canary", "labels": ["app": "web"], "trafficPolicy": ["tls": ["mode": "ISTIO_MUTUAL"]]],
            ["name": "stable", "labels": ["app": "web"]],
            ["name": "legacy", "labels": ["version": "v0"]],
        ]],
    ]

    static var subsetRouting: RolloutTrafficRouting {
        RolloutTrafficRouting(istio: RolloutIstioRouting(
            virtualService: RolloutIstioVirtualService(name: "web-vsvc", routes: ["primary"]),
            destinationRule: RolloutIstioDestinationRule(name: "web-destrule", canarySubsetName: "canary", stableSubsetName: "stable")))
    }

    @Test("subset-level splitting: the DestinationRule first, its subsets labelled by hash; the VirtualService weighs the subsets")
    func subsetLevel() throws {
        let objects = router.rolloutObjects(Self.subsetRouting, namespace: "apps")
        #expect(objects.map(\.resource) == [.destinationRules, .virtualServices])
        let names = CanaryNames(rollout: "web", namespace: "apps", route: "web-vsvc", stableService: "", canaryService: "")
        var t = RolloutRouteSettings(canaryWeight: 10)
        t.canaryPodHash = "v2hash"
        t.stablePodHash = "v1hash"
        let dr = try router.rolloutRoute(Self.destinationRule, object: objects[0], names: names, traffic: t)
        let subsets = dr[path: ["spec", "subsets"]].arrayValue ?? []
        #expect(subsets[0]["labels"] == ["app": "web", "rollouts-pod-template-hash": "v2hash"])
        #expect(subsets[0]["trafficPolicy"] == Self.destinationRule[path: ["spec", "subsets"]][0]["trafficPolicy"])
        #expect(subsets[1]["labels"]["rollouts-pod-template-hash"] == "v1hash")
        #expect(subsets[2] == Self.destinationRule[path: ["spec", "subsets"]][2])
        #expect(dr.annotations["argo-rollouts.argoproj.io/managed-by-rollouts"] == "web")

        let vs = try router.rolloutRoute(Self.subsetVS, object: objects[1], names: names, traffic: t)
        let route = vs[path: ["spec", "http"]][0]["route"]
        #expect(route[0] == ["destination": ["host": "web", "subset": "stable"], "weight": 90])
        #expect(route[1] == ["destination": ["host": "web", "subset": "canary"], "weight": 10])

        // A header route sends to the canary subset.
        let header = RolloutSetHeaderRoute(name: "beta", match: [
            RolloutHeaderRoutingMatch(headerName: "x-beta", headerValue: RolloutStringMatch(exact: "1"))])
        var withHeader = t
        withHeader.headerRoutes = [header]
        withHeader.managedRoutes = ["beta"]
        let hv = try router.rolloutRoute(Self.subsetVS, object: objects[1], names: names, traffic: withHeader)
        #expect(hv[path: ["spec", "http"]][0]["route"][0]["destination"] == ["host": "web", "subset": "canary"])

        // A DestinationRule without the subsets is named.
        var missing = Self.destinationRule
        missing[path: ["spec", "subsets"]] = [["name": "stable"]]
        let run = { try router.rolloutRoute(missing, object: objects[0], names: names, traffic: t) }
        #expect(throws: RolloutRoutingError.self, performing: run)
    }

    @Test("several VirtualServices each get the weights; maxTrafficWeight becomes Istio percentages")
    func severalVirtualServicesAndMaxWeight() throws {
        let routing = RolloutTrafficRouting(istio: RolloutIstioRouting(virtualServices: [
            RolloutIstioVirtualService(name: "web", routes: ["primary"]),
            RolloutIstioVirtualService(name: "web-tcp", tcpRoutes: [RolloutIstioTCPRoute(port: 5432)]),
        ]))
        let objects = router.rolloutObjects(routing, namespace: "apps")
        #expect(objects.map(\.name) == ["web", "web-tcp"])
        var t = RolloutRouteSettings(canaryWeight: 3)
        t.maxWeight = 10
        let http = try router.rolloutRoute(RolloutRoutingTests.virtualService, object: objects[0], names: Self.names, traffic: t)
        #expect(http[path: ["spec", "http"]][1]["route"][1]["weight"] == 30)
        #expect(http[path: ["spec", "http"]][1]["route"][0]["weight"] == 70)
        let tcp = try router.rolloutRoute(Self.tlsAndTCP, object: objects[1], names: Self.names, traffic: t)
        #expect(tcp[path: ["spec", "tcp"]][0]["route"][1]["weight"] == 30)
    }

    @Test("the Istio router's Rollout validation accepts tlsRoutes, tcpRoutes, a destinationRule without the two Services")
    func validation() {
        let spec = RolloutAPITests.canary([.weight(10)], routing: Self.subsetRouting)
        #expect(spec.validate().isEmpty, "\(spec.validate())")
        var same = Self.subsetRouting
        same.istio?.destinationRule?.stableSubsetName = "canary"
        let bad = RolloutAPITests.canary([.weight(10)], routing: same)
        #expect(RolloutAPITests.paths(bad) == ["spec.strategy.canary.trafficRouting.istio.destinationRule.stableSubsetName"])
    }

    @Test("Flagger's delegation: the VirtualService is a delegate, without hosts or gateways")
    func delegation() throws {
        let doc = try JSONValue(yaml: """
            targetRef: {apiVersion: apps/v1, kind: Deployment, name: backend}
            provider: istio
            service: {port: 9898, delegation: true, hosts: [backend.example.com], gateways: [public]}
            analysis: {interval: 15s, threshold: 5, maxWeight: 30, stepWeight: 10}
            """)
        let spec = try doc.decode(as: CanarySpec.self)
        #expect(spec.validate().isEmpty, "\(spec.validate())")
        let names = CanaryNames(canaryName: "backend", namespace: "test", spec: spec)
        let vs = IstioRouter.virtualService(spec: spec, names: names, weights: RouteWeights(primary: 90, canary: 10))
        #expect(vs[path: ["spec", "hosts"]] == .null)
        #expect(vs[path: ["spec", "gateways"]] == .null)
        #expect(vs[path: ["spec", "http"]][0]["route"][1]["weight"] == 10)
        // An existing delegate's hosts are dropped too (a delegate must have none).
        var existing = vs
        existing[path: ["spec", "hosts"]] = ["backend"]
        let again = IstioRouter.virtualService(spec: spec, names: names, weights: .primaryOnly, existing: existing)
        #expect(again[path: ["spec", "hosts"]] == .null)
    }
}
