import KubeCore
import SerinAPI
import Testing
import Traffic

/// The ALB router writes the forward action Argo's alb router writes into the user's Ingress.
@Suite struct ALBRouterTests {
    let router = ALBRouter()

    static let ingress: JSONValue = [
        "apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
        "metadata": ["name": "rollouts-demo-ingress", "namespace": "test",
                     "annotations": ["kubernetes.io/ingress.class": "alb", "alb.ingress.kubernetes.io/scheme": "internet-facing",
                                     "rollouts.argoproj.io/managed-alb-actions": "other:alb.ingress.kubernetes.io/actions.other-root"]],
        "spec": ["rules": [["http": ["paths": [
            ["path": "/*", "pathType": "ImplementationSpecific",
             "backend": ["service": ["name": "rollouts-demo-root", "port": ["name": "use-annotation"]]]],
        ]]]]],
    ]

    func routing(_ alb: JSONValue) -> RolloutTrafficRouting {
        var r = RolloutTrafficRouting()
        r.alb = alb
        return r
    }

    let names = CanaryNames(rollout: "rollouts-demo", namespace: "test", route: "rollouts-demo-ingress",
                            stableService: "rollouts-demo-stable", canaryService: "rollouts-demo-canary")

    @Test func forwardActionIsArgosJSON() throws {
        let r = routing(["ingress": "rollouts-demo-ingress", "servicePort": 80, "rootService": "rollouts-demo-root"])
        let objects = router.rolloutObjects(r, namespace: "test")
        #expect(objects.map(\.name) == ["rollouts-demo-ingress"])
        let ing = try router.rolloutRoute(Self.ingress, object: objects[0], names: names, traffic: RolloutRouteSettings(canaryWeight: 5))
        #expect(ing.annotations["alb.ingress.kubernetes.io/actions.rollouts-demo-root"]
                == #"{"Type":"forward","ForwardConfig":{"TargetGroups":[{"ServiceName":"rollouts-demo-canary","ServicePort":"80","Weight":5},{"ServiceName":"rollouts-demo-stable","ServicePort":"80","Weight":95}]}}"#)
        #expect(ing.annotations["rollouts.argoproj.io/managed-alb-actions"]
                == "other:alb.ingress.kubernetes.io/actions.other-root,rollouts-demo:alb.ingress.kubernetes.io/actions.rollouts-demo-root")
        // Everything else of the user's Ingress is kept.
        #expect(ing.annotations["alb.ingress.kubernetes.io/scheme"] == "internet-facing")
        #expect(ing["spec"] == Self.ingress["spec"])
        #expect(ALBRouter.canaryWeight(action: ing.annotations["alb.ingress.kubernetes.io/actions.rollouts-demo-root"] ?? "",
                                       canary: "rollouts-demo-canary") == 5)
        // Rollback / promotion: stable 100.
        let back = try router.rolloutRoute(ing, object: objects[0], names: names, traffic: RolloutRouteSettings(canaryWeight: 0))
        #expect(ALBRouter.canaryWeight(action: back.annotations["alb.ingress.kubernetes.io/actions.rollouts-demo-root"] ?? "",
                                       canary: "rollouts-demo-canary") == 0)
        #expect(back.annotations["rollouts.argoproj.io/managed-alb-actions"] == ing.annotations["rollouts.argoproj.io/managed-alb-actions"])
    }

    @Test func stickinessPrefixAndDefaultRoot() throws {
        var user = Self.ingress
        user[path: ["spec", "rules"]] = [["http": ["paths": [["path": "/*", "pathType": "ImplementationSpecific",
                                                              "backend": ["service": ["name": "rollouts-demo-stable", "port": ["name": "use-annotation"]]]]]]]]
        let r = routing(["ingresses": ["a", "b"], "servicePort": 443, "annotationPrefix": "custom.alb.ingress.kubernetes.io",
                         "stickinessConfig": ["enabled": true, "durationSeconds": 3600]])
        let objects = router.rolloutObjects(r, namespace: "test")
        #expect(objects.map(\.name) == ["a", "b"])
        let ing = try router.rolloutRoute(user, object: objects[0], names: names, traffic: RolloutRouteSettings(canaryWeight: 30))
        #expect(ing.annotations["custom.alb.ingress.kubernetes.io/actions.rollouts-demo-stable"]
                == #"{"Type":"forward","ForwardConfig":{"TargetGroups":[{"ServiceName":"rollouts-demo-canary","ServicePort":"443","Weight":30},{"ServiceName":"rollouts-demo-stable","ServicePort":"443","Weight":70}],"TargetGroupStickinessConfig":{"Enabled":true,"DurationSeconds":3600}}}"#)
    }

    @Test func anIngressWithoutTheRootBackendIsRefused() {
        let r = routing(["ingress": "rollouts-demo-ingress", "servicePort": 80, "rootService": "elsewhere"])
        let object = router.rolloutObjects(r, namespace: "test")[0]
        let run = { try router.rolloutRoute(Self.ingress, object: object, names: names, traffic: RolloutRouteSettings(canaryWeight: 5)) }
        #expect(throws: RolloutRoutingError.self, performing: run)
    }

    @Test func validationNamesWhatIsMissingOrUnsupported() {
        let spec = RolloutAPITests.canary([.weight(10)], routing: routing([:]), canaryService: "c", stableService: "s")
        #expect(RolloutAPITests.paths(spec) == ["spec.strategy.canary.trafficRouting.alb.ingress",
                                               "spec.strategy.canary.trafficRouting.alb.servicePort"])
        let ok = RolloutAPITests.canary([.weight(10)], routing: routing(["ingress": "i", "servicePort": 80]), canaryService: "c", stableService: "s")
        #expect(ok.validate().isEmpty, "\(ok.validate())")
        let sticky = RolloutAPITests.canary([.weight(10)], routing: routing(["ingress": "i", "servicePort": 80,
                                                                            "stickinessConfig": ["enabled": true, "durationSeconds": 0]]),
                                            canaryService: "c", stableService: "s")
        #expect(RolloutAPITests.paths(sticky) == ["spec.strategy.canary.trafficRouting.alb.stickinessConfig.durationSeconds"])
    }

    @Test("a header route is Argo's action and condition annotations and a path to them first; it goes when no step sets it")
    func headerRouteConditions() throws {
        let r = routing(["ingress": "rollouts-demo-ingress", "servicePort": 80, "rootService": "rollouts-demo-root"])
        let object = router.rolloutObjects(r, namespace: "test")[0]
        let header = RolloutSetHeaderRoute(name: "beta", match: [
            RolloutHeaderRoutingMatch(headerName: "x-beta", headerValue: RolloutStringMatch(exact: "yes"))])
        let on = RolloutRouteSettings(canaryWeight: 10, headerRoutes: [header], managedRoutes: ["beta"])
        let ing = try router.rolloutRoute(Self.ingress, object: object, names: names, traffic: on)
        #expect(ing.annotations["alb.ingress.kubernetes.io/actions.beta"]
                == #"{"Type":"forward","ForwardConfig":{"TargetGroups":[{"ServiceName":"rollouts-demo-canary","ServicePort":"80","Weight":100}]}}"#)
        #expect(ing.annotations["alb.ingress.kubernetes.io/conditions.beta"]
                == #"[{"field":"http-header","httpHeaderConfig":{"httpHeaderName":"x-beta","values":["yes"]}}]"#)
        let paths = ing[path: ["spec", "rules"]][0][path: ["http", "paths"]].arrayValue ?? []
        #expect(paths.count == 2)
        #expect(paths[0][path: ["backend", "service"]] == ["name": "beta", "port": ["name": "use-annotation"]])
        #expect(paths[1] == Self.ingress[path: ["spec", "rules"]][0][path: ["http", "paths"]][0])
        // Written again, nothing doubles.
        let twice = try router.rolloutRoute(ing, object: object, names: names, traffic: on)
        #expect(twice == ing)
        // No step sets it any more: annotations and path go, the Ingress is the user's again.
        let off = try router.rolloutRoute(ing, object: object, names: names,
                                          traffic: RolloutRouteSettings(canaryWeight: 0, managedRoutes: ["beta"]))
        #expect(off.annotations["alb.ingress.kubernetes.io/actions.beta"] == nil)
        #expect(off.annotations["alb.ingress.kubernetes.io/conditions.beta"] == nil)
        #expect(off["spec"] == Self.ingress["spec"])
    }

    @Test("maxTrafficWeight: the stable target group gets the rest of the total; pingPong names the action after the ping Service")
    func maxWeightAndPingPong() throws {
        var user = Self.ingress
        user[path: ["spec", "rules"]] = [["http": ["paths": [["path": "/*", "pathType": "ImplementationSpecific",
                                                              "backend": ["service": ["name": "ping", "port": ["name": "use-annotation"]]]]]]]]
        let object = router.rolloutObjects(routing(["ingress": "rollouts-demo-ingress", "servicePort": 80]), namespace: "test")[0]
        var t = RolloutRouteSettings(canaryWeight: 20, maxWeight: 50)
        t.pingService = "ping"
        // Ping is stable; pong the canary (after a promotion they swap, the action keeps its name).
        let pp = CanaryNames(rollout: "rollouts-demo", namespace: "test", route: "rollouts-demo-ingress",
                             stableService: "pong", canaryService: "ping")
        let ing = try router.rolloutRoute(user, object: object, names: pp, traffic: t)
        #expect(ing.annotations["alb.ingress.kubernetes.io/actions.ping"]
                == #"{"Type":"forward","ForwardConfig":{"TargetGroups":[{"ServiceName":"ping","ServicePort":"80","Weight":20},{"ServiceName":"pong","ServicePort":"80","Weight":30}]}}"#)
    }

    @Test("validation: ALB header routes match exact values; mirror routes are refused naming the alb router")
    func managedRouteValidation() {
        var r = routing(["ingress": "i", "servicePort": 80])
        r.managedRoutes = [RolloutManagedRoute(name: "beta"), RolloutManagedRoute(name: "shadow")]
        let header = RolloutSetHeaderRoute(name: "beta", match: [
            RolloutHeaderRoutingMatch(headerName: "x-beta", headerValue: RolloutStringMatch(exact: "yes"))])
        let ok = RolloutAPITests.canary([RolloutCanaryStep(setHeaderRoute: header), .weight(10)], routing: r,
                                        canaryService: "c", stableService: "s")
        #expect(ok.validate().isEmpty, "\(ok.validate())")
        let regex = RolloutSetHeaderRoute(name: "beta", match: [
            RolloutHeaderRoutingMatch(headerName: "x-beta", headerValue: RolloutStringMatch(regex: "^y"))])
        let mirror = RolloutSetMirrorRoute(name: "shadow", match: [RolloutRouteMatch(method: RolloutStringMatch(exact: "GET"))])
        let bad = RolloutAPITests.canary([RolloutCanaryStep(setHeaderRoute: regex), RolloutCanaryStep(setMirrorRoute: mirror)],
                                         routing: r, canaryService: "c", stableService: "s")
        let problems = bad.validate()
        #expect(problems.map(\.path) == ["spec.strategy.canary.steps[0].setHeaderRoute.match[0].headerValue",
                                          "spec.strategy.canary.steps[1].setMirrorRoute"])
        let named = problems.allSatisfy { $0.message.contains("alb router") }
        #expect(named, "\(problems)")
    }
}
