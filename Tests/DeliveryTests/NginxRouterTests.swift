import KubeCore
import SerinAPI
import Testing
import Traffic

/// The NGINX router writes what Flagger's and Argo's nginx routers write for the same manifest.
@Suite struct NginxRouterTests {
    let router = NginxRouter()
    let selector = SelectorLabel(key: "app", value: "podinfo")

    /// The user's Ingress of Flagger's nginx tutorial, with a field and annotations of their own.
    static let userIngress: JSONValue = [
        "apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
        "metadata": ["name": "podinfo", "namespace": "test", "uid": "user-uid",
                     "labels": ["app": "podinfo"],
                     "annotations": ["kubernetes.io/ingress.class": "nginx",
                                     "nginx.ingress.kubernetes.io/proxy-body-size": "8m"]],
        "spec": [
            "ingressClassName": "nginx",
            "tls": [["hosts": ["app.example.com"], "secretName": "app-tls"]],
            "rules": [
                ["host": "app.example.com", "http": ["paths": [
                    ["path": "/", "pathType": "Prefix", "backend": ["service": ["name": "podinfo", "port": ["number": 80]]]],
                ]]],
                ["host": "admin.example.com", "http": ["paths": [
                    ["path": "/", "pathType": "Prefix", "backend": ["service": ["name": "admin", "port": ["number": 80]]]],
                ]]],
            ],
        ],
    ]

    func canary(match: JSONValue? = nil) -> (CanarySpec, CanaryNames) {
        var analysis = CanaryAnalysis(interval: "10s", threshold: 10, maxWeight: 50, stepWeight: 5)
        if let match { analysis = CanaryAnalysis(interval: "10s", threshold: 10, iterations: 10, match: match) }
        let spec = CanarySpec(provider: "nginx", targetRef: CrossNamespaceRef(name: "podinfo"),
                              ingressRef: CrossNamespaceRef(apiVersion: "networking.k8s.io/v1", kind: "Ingress", name: "podinfo"),
                              service: CanaryService(port: 80), analysis: analysis)
        return (spec, CanaryNames(canaryName: "podinfo", namespace: "test", spec: spec))
    }

    @Test func canaryIngressIsACopyWithTheCanaryBackendAndWeight() throws {
        let (spec, names) = canary()
        #expect(router.sourceObjects(spec: spec, names: names) == [RouterObjectRef(.ingresses, "podinfo")])
        let existing = ["Ingress/podinfo": Self.userIngress]
        #expect(router.routingProblem(spec: spec, names: names, existing: existing) == nil)
        let objs = router.routingObjects(spec: spec, names: names, selector: selector, weights: RouteWeights(primary: 85, canary: 15),
                                         existing: existing, ownerReference: nil)
        #expect(objs.map(TrafficRouters.key) == ["Ingress/podinfo-canary"])
        let ing = try #require(objs.first)
        #expect(ing.labels == ["app": "podinfo"])
        #expect(ing.annotations == ["kubernetes.io/ingress.class": "nginx",
                                    "nginx.ingress.kubernetes.io/proxy-body-size": "8m",
                                    "nginx.ingress.kubernetes.io/canary": "true",
                                    "nginx.ingress.kubernetes.io/canary-weight": "15"])
        // Flagger copies the whole spec, switching the apex backend to the canary Service.
        let rules = ing[path: ["spec", "rules"]].arrayValue ?? []
        #expect(rules.count == 2)
        #expect(rules[0][path: ["http", "paths"]][0][path: ["backend", "service", "name"]] == "podinfo-canary")
        #expect(rules[1][path: ["http", "paths"]][0][path: ["backend", "service", "name"]] == "admin")
        #expect(ing[path: ["spec", "tls"]] == Self.userIngress[path: ["spec", "tls"]])
        #expect(ing.uid == nil, "server metadata of the user's Ingress is not copied")
        #expect(router.readWeights(names: names, selector: selector, object: ing) == RouteWeights(primary: 85, canary: 15))
        #expect(router.weightObject(spec: spec, names: names) == RouterObjectRef(.ingresses, "podinfo-canary"))
        #expect(router.cleanupObjects(spec: spec, names: names) == [RouterObjectRef(.ingresses, "podinfo-canary")])
    }

    @Test func laterWritesKeepTheCanaryIngresssOwnFields() throws {
        let (spec, names) = canary()
        var current = try #require(router.routingObjects(spec: spec, names: names, selector: selector, weights: .primaryOnly,
                                                         existing: ["Ingress/podinfo": Self.userIngress], ownerReference: nil).first)
        current[path: ["metadata", "annotations", "team.example.com/owner"]] = "web"
        current[path: ["metadata", "labels", "extra"]] = "x"
        current[path: ["metadata", "resourceVersion"]] = "7"
        let next = try #require(router.routingObjects(
            spec: spec, names: names, selector: selector, weights: RouteWeights(primary: 60, canary: 40),
            existing: ["Ingress/podinfo": Self.userIngress, "Ingress/podinfo-canary": current], ownerReference: nil).first)
        #expect(next.annotations["team.example.com/owner"] == "web")
        #expect(next.labels["extra"] == "x")
        #expect(next[path: ["metadata", "resourceVersion"]] == "7")
        #expect(next.annotations["nginx.ingress.kubernetes.io/canary-weight"] == "40")
        // Rollback: everything back on the primary.
        let back = try #require(router.routingObjects(
            spec: spec, names: names, selector: selector, weights: .primaryOnly,
            existing: ["Ingress/podinfo": Self.userIngress, "Ingress/podinfo-canary": next], ownerReference: nil).first)
        #expect(router.readWeights(names: names, selector: selector, object: back) == .primaryOnly)
    }

    @Test func abTestingWritesFlaggersHeaderAndCookieAnnotations() throws {
        let match: JSONValue = [["headers": ["x-canary": ["regex": ".*insider.*"]]], ["headers": ["cookie": ["exact": "canary"]]]]
        let (spec, names) = canary(match: match)
        #expect(spec.validate().isEmpty, "\(spec.validate())")
        let ab = RouteWeights(primary: 100, canary: 0, abMatch: true)
        let ing = try #require(router.routingObjects(spec: spec, names: names, selector: selector, weights: ab,
                                                     existing: ["Ingress/podinfo": Self.userIngress], ownerReference: nil).first)
        #expect(ing.annotations["nginx.ingress.kubernetes.io/canary-by-header"] == "x-canary")
        #expect(ing.annotations["nginx.ingress.kubernetes.io/canary-by-header-pattern"] == ".*insider.*")
        #expect(ing.annotations["nginx.ingress.kubernetes.io/canary-by-header-value"] == nil)
        #expect(ing.annotations["nginx.ingress.kubernetes.io/canary-by-cookie"] == "canary")
        #expect(ing.annotations["nginx.ingress.kubernetes.io/canary-weight"] == "0")
        #expect(router.readWeights(names: names, selector: selector, object: ing) == ab)
        // Promotion or rollback drops every canary-by annotation.
        let done = try #require(router.routingObjects(spec: spec, names: names, selector: selector, weights: .primaryOnly,
                                                      existing: ["Ingress/podinfo": Self.userIngress, "Ingress/podinfo-canary": ing],
                                                      ownerReference: nil).first)
        let condition1 = !done.annotations.keys.contains { $0.hasPrefix("nginx.ingress.kubernetes.io/canary-by") }
        #expect(condition1)
        // The exact form of Flagger's tutorial.
        let exact: JSONValue = [["headers": ["x-canary": ["exact": "insider"]]]]
        let (spec2, names2) = canary(match: exact)
        let ing2 = try #require(router.routingObjects(spec: spec2, names: names2, selector: selector, weights: ab,
                                                      existing: ["Ingress/podinfo": Self.userIngress], ownerReference: nil).first)
        #expect(ing2.annotations["nginx.ingress.kubernetes.io/canary-by-header-value"] == "insider")
    }

    @Test func problemsNameTheIngressAndTheFix() {
        var (spec, names) = canary()
        #expect(router.routingProblem(spec: spec, names: names, existing: [:])
                == "Ingress podinfo (spec.ingressRef) not found in namespace test; create it, routing to Service podinfo")
        var other = Self.userIngress
        other[path: ["spec", "rules"]] = [["http": ["paths": [["path": "/", "pathType": "Prefix",
                                                                "backend": ["service": ["name": "web", "port": ["number": 80]]]]]]]]
        #expect(router.routingProblem(spec: spec, names: names, existing: ["Ingress/podinfo": other])
                == "Ingress podinfo (spec.ingressRef) has no path with backend Service podinfo; route a path to it")
        spec.ingressRef = nil
        #expect(spec.validate().map(\.description).contains(
            "spec.ingressRef: is required by provider nginx; name the Ingress that routes to the apex Service, e.g. {apiVersion: networking.k8s.io/v1, kind: Ingress, name: podinfo}"))
        var mirror = canary().0
        mirror.analysis = CanaryAnalysis(interval: "10s", threshold: 10, iterations: 5, mirror: true)
        #expect(mirror.validate().map(\.path).contains("spec.analysis.mirror"))
        let twoHeaders: JSONValue = [["headers": ["x-a": ["exact": "1"], "x-b": ["exact": "2"]], "uri": ["prefix": "/api"]]]
        #expect(canary(match: twoHeaders).0.validate().map(\.path) == ["spec.analysis.match[0].uri", "spec.analysis.match"])
    }

    // MARK: Argo

    func rollout(_ nginx: JSONValue, maxTrafficWeight: Int? = nil) -> RolloutTrafficRouting {
        var r = RolloutTrafficRouting(maxTrafficWeight: maxTrafficWeight)
        r.nginx = nginx
        return r
    }

    static let stableIngress: JSONValue = [
        "apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
        "metadata": ["name": "rollouts-demo-stable", "namespace": "test",
                     "annotations": ["kubernetes.io/ingress.class": "nginx", "nginx.ingress.kubernetes.io/rewrite-target": "/"]],
        "spec": [
            "defaultBackend": ["service": ["name": "fallback", "port": ["number": 80]]],
            "rules": [
                ["host": "rollouts-demo.local", "http": ["paths": [
                    ["path": "/", "pathType": "Prefix", "backend": ["service": ["name": "rollouts-demo-stable", "port": ["name": "use-annotation"]]]],
                ]]],
                ["host": "other.local", "http": ["paths": [
                    ["path": "/", "pathType": "Prefix", "backend": ["service": ["name": "other", "port": ["number": 80]]]],
                ]]],
            ],
        ],
    ]

    @Test func argoCanaryIngressCopiesOnlyTheStableRules() throws {
        let routing = rollout(["stableIngress": "rollouts-demo-stable",
                               "additionalIngressAnnotations": ["canary-by-header": "X-Canary"],
                               "canaryIngressAnnotations": ["my.example.com/team": "web"]], maxTrafficWeight: 1000)
        let objects = router.rolloutObjects(routing, namespace: "test")
        #expect(objects == [RolloutRouteObject(resource: .ingresses, namespace: "test", name: "rollouts-demo-stable")])
        let names = CanaryNames(rollout: "rollouts-demo", namespace: "test", route: "rollouts-demo-stable",
                                stableService: "rollouts-demo-stable", canaryService: "rollouts-demo-canary")
        let traffic = RolloutRouteSettings(canaryWeight: 50)
        // The stable Ingress is not touched.
        #expect(try router.rolloutRoute(Self.stableIngress, object: objects[0], names: names, traffic: traffic) == Self.stableIngress)
        let derived = router.rolloutDerivedObjects(objects[0], routing: routing, rollout: "rollouts-demo")
        #expect(derived == [RolloutRouteObject(resource: .ingresses, namespace: "test", name: "rollouts-demo-rollouts-demo-stable-canary")])
        let owner: JSONValue = ["apiVersion": "serin.dev/v1alpha1", "kind": "Rollout", "name": "rollouts-demo", "uid": "r-1", "controller": true]
        let ing = try router.rolloutDerived(derived[0], source: Self.stableIngress, existing: nil, routing: routing, names: names,
                                            traffic: traffic, owner: owner)
        #expect(ing.name == "rollouts-demo-rollouts-demo-stable-canary")
        #expect(ing.ownerReferences == [owner])
        #expect(ing.annotations == ["kubernetes.io/ingress.class": "nginx",
                                    "nginx.ingress.kubernetes.io/canary-by-header": "X-Canary",
                                    "my.example.com/team": "web",
                                    "nginx.ingress.kubernetes.io/canary": "true",
                                    "nginx.ingress.kubernetes.io/canary-weight": "50",
                                    "nginx.ingress.kubernetes.io/canary-weight-total": "1000"])
        let rules = ing[path: ["spec", "rules"]].arrayValue ?? []
        #expect(rules.count == 1)
        #expect(rules.first?["host"] == "rollouts-demo.local")
        #expect(rules.first?[path: ["http", "paths"]][0][path: ["backend", "service", "name"]] == "rollouts-demo-canary")
        #expect(ing[path: ["spec", "defaultBackend"]].isNull, "a default backend would send every request to the canary")

        // Not ours: refused, naming it.
        var foreign = ing
        foreign[path: ["metadata", "ownerReferences"]] = [["kind": "Rollout", "name": "x", "uid": "other"]]
        let run = { try router.rolloutDerived(derived[0], source: Self.stableIngress, existing: foreign, routing: routing,
                                              names: names, traffic: traffic, owner: owner) }
        #expect(throws: RolloutRoutingError.self, performing: run)
    }

    @Test func argoStableIngressesAndPrefix() throws {
        let routing = rollout(["stableIngresses": ["a", "b"], "annotationPrefix": "custom.nginx.ingress.kubernetes.io"])
        #expect(router.rolloutObjects(routing, namespace: "ns").map(\.name) == ["a", "b"])
        var source = Self.stableIngress
        source[path: ["metadata", "name"]] = "b"
        let names = CanaryNames(rollout: "web", namespace: "ns", route: "b", stableService: "rollouts-demo-stable", canaryService: "c")
        let obj = RolloutRouteObject(resource: .ingresses, namespace: "ns", name: "b")
        let d = try #require(router.rolloutDerivedObjects(obj, routing: routing, rollout: "web").first)
        #expect(d.name == "web-b-canary")
        let owner: JSONValue = ["uid": "r"]
        let ing = try router.rolloutDerived(d, source: source, existing: nil, routing: routing, names: names,
                                            traffic: RolloutRouteSettings(canaryWeight: 0), owner: owner)
        #expect(ing.annotations["custom.nginx.ingress.kubernetes.io/canary-weight"] == "0")
        #expect(ing.annotations["nginx.ingress.kubernetes.io/canary"] == nil)
        var spec = RolloutAPITests.canary([.weight(10)], routing: rollout(["stableIngress": "a", "stableIngresses": ["b"]]),
                                          canaryService: "c", stableService: "s")
        #expect(RolloutAPITests.paths(spec) == ["spec.strategy.canary.trafficRouting.nginx"])
        spec = RolloutAPITests.canary([.weight(10)], routing: rollout([:]), canaryService: "c", stableService: "s")
        #expect(RolloutAPITests.paths(spec) == ["spec.strategy.canary.trafficRouting.nginx.stableIngress"])
        spec = RolloutAPITests.canary([.weight(10)], routing: rollout(["stableIngress": "a"]), canaryService: "c", stableService: "s")
        #expect(spec.validate().isEmpty, "\(spec.validate())")
    }
}
