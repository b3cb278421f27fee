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
}
