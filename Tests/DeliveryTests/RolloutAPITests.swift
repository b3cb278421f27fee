import Foundation
import KubeCore
import SerinAPI
import Testing

/// The reference manifest, `examples/seed-rollout-bluegreen.yaml`.
func seedRolloutYAML() throws -> String {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    return try String(contentsOf: root.appendingPathComponent("examples/seed-rollout-bluegreen.yaml"), encoding: .utf8)
}

func seedRollout() throws -> Rollout { try Rollout(yaml: seedRolloutYAML()) }

@Suite struct RolloutAPITests {
    @Test func seedDecodesAndIsValid() throws {
        let r = try seedRollout()
        #expect(r.name == "order-service-rollout")
        #expect(r.namespace == "microservices")
        #expect(r.spec.replicas == 5)
        #expect(r.spec.matchLabels == ["app": "order-service"])
        let bg = try #require(r.spec.strategy.blueGreen)
        #expect(bg.activeService == "order-service-active")
        #expect(bg.previewService == "order-service-preview")
        #expect(bg.effectiveAutoPromotionEnabled == false)
        #expect(bg.effectiveScaleDownDelaySeconds == 30)
        #expect(bg.prePromotionAnalysis?.templates?.first?.templateName == "order-service-analysis")
        #expect(bg.postPromotionAnalysis?.args?.first?.value == "order-service-active")
        // The pod template is kept verbatim (resources, ports).
        #expect(r.spec.template?[path: ["spec", "containers"]][0]["resources"]["limits"]["memory"] == "256Mi")
        #expect(r.validate().isEmpty, "\(r.validate())")
        // Round trip keeps every field.
        let again = try Rollout(json: r.json)
        #expect(again == r)
    }

    @Test func defaultsOfTheBlueGreenStrategy() {
        let bg = RolloutBlueGreenStrategy(activeService: "a")
        #expect(bg.effectiveAutoPromotionEnabled)
        #expect(bg.effectiveScaleDownDelaySeconds == 30)
        #expect(bg.effectiveAbortScaleDownDelaySeconds == 30)
        #expect(RolloutSpec(strategy: RolloutStrategy(blueGreen: bg)).effectiveReplicas == 1)
        #expect(RolloutSpec(strategy: RolloutStrategy(blueGreen: bg)).effectiveRevisionHistoryLimit == 10)
    }

    @Test func decodeErrorNamesTheField() throws {
        var json = try seedRollout().json
        json[path: ["spec", "replicas"]] = "five"
        let operation1 = { try Rollout(json: json) }
        #expect(throws: RolloutDecodeError.self, performing: operation1)
        let problems = Rollout.problems(in: json)
        #expect(problems.count == 1)
        #expect(problems.first?.path == "spec.replicas")
    }

    static func canary(_ steps: [RolloutCanaryStep], routing: RolloutTrafficRouting? = nil,
                       canaryService: String? = nil, stableService: String? = nil) -> RolloutSpec {
        RolloutSpec(
            replicas: 4, selector: ["matchLabels": ["app": "web"]],
            template: ["metadata": ["labels": ["app": "web"]], "spec": ["containers": [["name": "web", "image": "web:1"]]]],
            strategy: RolloutStrategy(canary: RolloutCanaryStrategy(
                canaryService: canaryService, stableService: stableService, steps: steps, trafficRouting: routing)))
    }

    static func paths(_ spec: RolloutSpec) -> [String] { spec.validate().map(\.path) }

    @Test func validCanaryHasNoProblems() {
        let spec = Self.canary([.weight(20), .pause(.string("30s")), .analysis(.template("rate")), .pause(), .weight(100)])
        #expect(spec.validate().isEmpty, "\(spec.validate())")
    }

    @Test func stepProblemsNameTheStepAndTheFix() {
        var twoActions = RolloutCanaryStep.weight(10)
        twoActions.pause = RolloutPause()
        let spec = Self.canary([.weight(120), twoActions, RolloutCanaryStep(), .pause(.string("soon")),
                                RolloutCanaryStep(setCanaryScale: RolloutSetCanaryScale(weight: 10, replicas: 1)),
                                .analysis(RolloutAnalysis(templates: []))])
        let problems = spec.validate()
        let paths = problems.map(\.path)
        #expect(paths.contains("spec.strategy.canary.steps[0].setWeight"))
        #expect(paths.contains("spec.strategy.canary.steps[1]"))
        #expect(paths.contains("spec.strategy.canary.steps[2]"))
        #expect(paths.contains("spec.strategy.canary.steps[3].pause.duration"))
        #expect(paths.contains("spec.strategy.canary.steps[4].setCanaryScale"))
        #expect(paths.contains("spec.strategy.canary.steps[5].analysis.templates"))
        let split = problems.first { $0.path == "spec.strategy.canary.steps[1]" }
        #expect(split?.message == "sets setWeight and pause in one step")
        #expect(split?.fix.contains("separate steps") == true)
    }

    @Test func structuralProblems() {
        // No template and no workloadRef; both strategies.
        var spec = RolloutSpec(strategy: RolloutStrategy(canary: RolloutCanaryStrategy(), blueGreen: RolloutBlueGreenStrategy(activeService: "a")))
        #expect(Self.paths(spec) == ["spec.template", "spec.strategy"])
        // Selector that does not match the template.
        spec = Self.canary([.weight(10)])
        spec.selector = ["matchLabels": ["app": "other"]]
        #expect(Self.paths(spec) == ["spec.template.metadata.labels"])
        // Blue-green with the same preview and active Service, and a bad hash source.
        spec = Self.canary([])
        var bg = RolloutBlueGreenStrategy(activeService: "svc", previewService: "svc")
        bg.prePromotionAnalysis = RolloutAnalysis(
            templates: [RolloutAnalysisTemplateRef(templateName: "t")],
            args: [RolloutAnalysisArgument(name: "hash", valueFrom: RolloutArgumentValueFrom(podTemplateHashValue: "Newest"))])
        spec.strategy = RolloutStrategy(blueGreen: bg)
        #expect(Self.paths(spec) == ["spec.strategy.blueGreen.previewService",
                                     "spec.strategy.blueGreen.prePromotionAnalysis.args[0].valueFrom.podTemplateHashValue"])
        // workloadRef with a bad scaleDown.
        spec = RolloutSpec(workloadRef: RolloutWorkloadRef(name: "web", scaleDown: "later"),
                           strategy: RolloutStrategy(blueGreen: RolloutBlueGreenStrategy(activeService: "a")))
        #expect(Self.paths(spec) == ["spec.workloadRef.scaleDown"])
    }

    @Test func apisixSetsHeaderRoutesAmbassadorNone() {
        let header = RolloutCanaryStep(setHeaderRoute: RolloutSetHeaderRoute(
            name: "beta", match: [RolloutHeaderRoutingMatch(headerName: "x-beta", headerValue: RolloutStringMatch(exact: "1"))]))
        let mirror = RolloutCanaryStep(setMirrorRoute: RolloutSetMirrorRoute(name: "shadow", percentage: 10))
        var routing = RolloutTrafficRouting(managedRoutes: [RolloutManagedRoute(name: "beta"), RolloutManagedRoute(name: "shadow")])
        routing.apisix = ["route": ["name": "web", "rules": ["web"]]]
        var spec = Self.canary([header, .weight(20), .pause()], routing: routing, canaryService: "c", stableService: "s")
        #expect(Self.paths(spec) == [])
        spec = Self.canary([header, mirror, .weight(20)], routing: routing, canaryService: "c", stableService: "s")
        #expect(Self.paths(spec) == ["spec.strategy.canary.steps[1].setMirrorRoute"])
        routing.apisix = nil
        routing.ambassador = ["mappings": ["web"]]
        spec = Self.canary([header, .weight(20)], routing: routing, canaryService: "c", stableService: "s")
        let problems = spec.validate()
        #expect(problems.map(\.path) == ["spec.strategy.canary.trafficRouting.managedRoutes"])
        #expect(problems.first?.message.contains("ambassador") == true)
    }

    @Test func routingProblems() {
        // Header route without a router; an unknown plugin is not supported; trafficRouting without services.
        var spec = Self.canary([RolloutCanaryStep(setHeaderRoute: RolloutSetHeaderRoute(name: "beta"))])
        #expect(Self.paths(spec) == ["spec.strategy.canary.steps[0].setHeaderRoute"])
        var routing = RolloutTrafficRouting()
        routing.plugins = ["example.com/router": [:]]
        spec = Self.canary([.weight(10)], routing: routing, canaryService: "web-canary", stableService: "web-stable")
        let pluginProblems = spec.validate()
        #expect(pluginProblems.map(\.path) == ["spec.strategy.canary.trafficRouting"])
        #expect(pluginProblems.first?.message.contains("plugins.example.com/router") == true)
        // apisix and ambassador name their objects.
        routing = RolloutTrafficRouting()
        routing.apisix = ["route": [:]]
        routing.ambassador = ["mappings": []]
        spec = Self.canary([.weight(10)], routing: routing, canaryService: "web-canary", stableService: "web-stable")
        #expect(Self.paths(spec) == ["spec.strategy.canary.trafficRouting.ambassador.mappings", "spec.strategy.canary.trafficRouting.apisix.route.name"])
        routing = RolloutTrafficRouting(istio: RolloutIstioRouting(virtualService: RolloutIstioVirtualService(name: "web")))
        spec = Self.canary([.weight(10)], routing: routing)
        #expect(Self.paths(spec) == ["spec.strategy.canary"])
        // A managed route that is not listed; then listed.
        spec = Self.canary([RolloutCanaryStep(setHeaderRoute: RolloutSetHeaderRoute(name: "beta"))], routing: routing,
                           canaryService: "c", stableService: "s")
        #expect(Self.paths(spec) == ["spec.strategy.canary.steps[0].setHeaderRoute.name"])
        routing.managedRoutes = [RolloutManagedRoute(name: "beta")]
        spec = Self.canary([RolloutCanaryStep(setHeaderRoute: RolloutSetHeaderRoute(name: "beta"))], routing: routing,
                           canaryService: "c", stableService: "s")
        #expect(spec.validate().isEmpty, "\(spec.validate())")
        // A mirror route's matchers each set exactly one of exact, regex, prefix (checked here,
        // not by a CEL rule the API server's cost budget cannot afford on the unbounded list).
        routing.managedRoutes = [RolloutManagedRoute(name: "mirror")]
        let match = RolloutRouteMatch(method: RolloutStringMatch(exact: "GET", prefix: "G"), path: RolloutStringMatch(prefix: "/api"),
                                      headers: ["x-a": RolloutStringMatch(), "x-b": RolloutStringMatch(regex: "b.*")])
        spec = Self.canary([RolloutCanaryStep(setMirrorRoute: RolloutSetMirrorRoute(name: "mirror", match: [match], percentage: 10))],
                           routing: routing, canaryService: "c", stableService: "s")
        #expect(Self.paths(spec) == ["spec.strategy.canary.steps[0].setMirrorRoute.match[0].method",
                                     "spec.strategy.canary.steps[0].setMirrorRoute.match[0].headers[x-a]"])
        // The Gateway API plugin names its HTTPRoute.
        let plugin = RolloutTrafficRouting(plugins: ["argoproj-labs/gatewayAPI": ["httpRoute": "web", "namespace": "apps"]])
        #expect(plugin.gatewayHTTPRoutes == ["web"])
        #expect(plugin.gatewayNamespace == "apps")
        spec = Self.canary([.weight(10)], routing: plugin, canaryService: "c", stableService: "s")
        #expect(spec.validate().isEmpty, "\(spec.validate())")
    }

    @Test func backgroundAnalysisStartingStep() {
        var spec = Self.canary([.weight(10), .pause()])
        var bgAnalysis = RolloutAnalysis.template("rate")
        bgAnalysis.startingStep = 3
        spec.strategy.canary?.analysis = bgAnalysis
        #expect(Self.paths(spec) == ["spec.strategy.canary.analysis.startingStep"])
        spec.strategy.canary?.analysis?.startingStep = 2
        #expect(spec.validate().isEmpty)
    }

    @Test func intOrPercentScaling() {
        #expect(IntOrString.string("25%").scaled(total: 5, roundUp: true) == 2)
        #expect(IntOrString.string("25%").scaled(total: 5, roundUp: false) == 1)
        #expect(IntOrString.int(3).scaled(total: 5, roundUp: false) == 3)
        #expect(IntOrString.string("x").scaled(total: 5, roundUp: false) == nil)
    }
}
