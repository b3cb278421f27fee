import Foundation
import Testing
import KubeCore
import SerinAPI

@Suite struct GoDurationTests {
    @Test(arguments: [
        ("1m", 60.0), ("30s", 30), ("1m30s", 90), ("500ms", 0.5), ("1h", 3600), ("2h45m", 9900),
        ("1.5h", 5400), ("0", 0), ("-1m", -60), ("100us", 0.0001), ("10µs", 0.00001), (".5s", 0.5),
    ])
    func parses(_ text: String, _ seconds: Double) throws {
        #expect(abs(try GoDuration.seconds(text) - seconds) < 1e-9)
    }

    @Test(arguments: ["", "1", "m", "1x", "1m30", "1..5s", "abc", "-"])
    func rejects(_ text: String) {
        let operation1 = { try GoDuration.seconds(text) }
        #expect(throws: GoDuration.ParseError.self, performing: operation1)
    }

    @Test func errorsNameTheUnit() {
        do {
            _ = try GoDuration.seconds("5d")
            Issue.record("5d parsed")
        } catch {
            #expect(error.description == "invalid duration \"5d\": unknown unit \"d\" (use ns, us, ms, s, m or h)")
        }
    }

    @Test func formats() {
        #expect(GoDuration.format(90) == "1m30s")
        #expect(GoDuration.format(0.5) == "500ms")
        #expect(GoDuration.format(3600) == "1h")
    }
}

@Suite struct CanaryDecodingTests {
    func decode(_ yaml: String) throws(CanaryDecodeError) -> Canary { try Canary(yaml: yaml) }

    @Test func typeErrorNamesTheFieldPath() {
        let doc = """
        apiVersion: serin.dev/v1alpha1
        kind: Canary
        metadata: {name: x}
        spec:
          targetRef: {name: podinfo}
          service: {port: 80}
          analysis:
            stepWeight: five
        """
        do {
            _ = try decode(doc)
            Issue.record("decoded a string stepWeight")
        } catch {
            #expect(error.path == "spec.analysis.stepWeight")
            #expect(error.description.hasPrefix("spec.analysis.stepWeight: expected"))
        }
    }

    @Test func errorInsideAListNamesTheIndex() {
        let doc = """
        spec:
          targetRef: {name: podinfo}
          service: {port: 80}
          analysis:
            webhooks:
            - {name: a, url: "http://x/"}
            - {name: b, url: "http://x/", type: sometimes}
        """
        do {
            _ = try decode(doc)
            Issue.record("decoded an unknown webhook type")
        } catch {
            #expect(error.path == "spec.analysis.webhooks[1].type")
        }
    }

    @Test func missingRequiredFieldIsNamed() {
        do {
            _ = try decode("spec:\n  targetRef: {name: podinfo}\n  service: {}\n")
            Issue.record("decoded without service.port")
        } catch {
            #expect(error.path == "spec.service.port")
        }
    }

    @Test func targetPortIsIntOrStringAndMeshSubtreesAreKept() throws {
        let c = try decode("""
        spec:
          targetRef: {name: podinfo}
          service:
            port: 9898
            targetPort: http
            retries: {attempts: 3, perTryTimeout: 1s, retryOn: "gateway-error,connect-failure"}
            corsPolicy: {allowOrigins: [{exact: "https://example.com"}], maxAge: 24h, future: {field: 1}}
          analysis:
            interval: 30s
            iterations: 10
            match:
            - headers: {x-canary: {exact: insider}}
        """)
        #expect(c.spec.service.targetPort == .string("http"))
        #expect(c.spec.service.retries?["attempts"] == 3)
        #expect(c.spec.service.corsPolicy?[path: ["future", "field"]] == 1)
        #expect(c.spec.analysis?.strategy == .abTesting)
        // Round trip through JSON keeps the mesh subtrees verbatim.
        let again = try Canary(json: c.json)
        #expect(again.spec.service.corsPolicy == c.spec.service.corsPolicy)
    }

    @Test func webhookTypeDefaultsToRollout() throws {
        let c = try decode("""
        spec:
          targetRef: {name: podinfo}
          service: {port: 80}
          analysis:
            webhooks:
            - {name: gate, type: confirm-promotion, url: "http://x/gate", timeout: 15s, retries: 2}
            - {name: load, url: "http://x/load"}
        """)
        let hooks = try #require(c.spec.analysis?.webhooks)
        #expect(hooks[0].effectiveType == .confirmPromotion)
        #expect(hooks[0].timeoutSeconds == 15)
        #expect(hooks[0].effectiveRetries == 2)
        #expect(hooks[1].effectiveType == .rollout)
        #expect(hooks[1].timeoutSeconds == 10)
    }
}

@Suite struct CanaryValidationTests {
    func spec(provider: String? = "istio", service: CanaryService = CanaryService(port: 80),
              _ analysis: CanaryAnalysis) -> CanarySpec {
        CanarySpec(provider: provider, targetRef: CrossNamespaceRef(name: "podinfo"), service: service, analysis: analysis)
    }

    func paths(_ s: CanarySpec) -> [String] { s.validate().map(\.path) }

    @Test func aValidSpecHasNoProblems() {
        #expect(spec(CanaryAnalysis(interval: "1m", threshold: 5, maxWeight: 50, stepWeight: 10)).validate().isEmpty)
        #expect(spec(provider: "kubernetes", CanaryAnalysis(interval: "30s", iterations: 5)).validate().isEmpty)
    }

    @Test func stepWeightAboveMaxWeight() {
        let problems = spec(CanaryAnalysis(maxWeight: 20, stepWeight: 30)).validate()
        #expect(problems.map(\.path) == ["spec.analysis.stepWeight"])
        #expect(problems[0].description == "spec.analysis.stepWeight: 30 is greater than maxWeight 20; make stepWeight less than or equal to maxWeight")
    }

    @Test func everyProblemIsReportedAtOnce() {
        let a = CanaryAnalysis(interval: "5s", threshold: 0, maxWeight: 150, stepWeight: 10,
                               metrics: [CanaryMetric(name: "request-success-rate", thresholdRange: ThresholdRange(min: 99, max: 90))],
                               webhooks: [CanaryWebhook(name: "x", url: "ftp://nope", timeout: "soon")])
        #expect(paths(spec(provider: "knative", a)) == [
            "spec.provider", "spec.analysis.interval", "spec.analysis.threshold", "spec.analysis.maxWeight",
            "spec.analysis.metrics[0].thresholdRange", "spec.analysis.webhooks[0].url", "spec.analysis.webhooks[0].timeout",
        ])
    }

    @Test func stepWeightsMustIncrease() {
        let problems = spec(CanaryAnalysis(stepWeights: [5, 20, 20, 10])).validate()
        #expect(problems.map(\.path) == ["spec.analysis.stepWeights[2]", "spec.analysis.stepWeights[3]"])
        #expect(problems[1].message == "10 does not increase on 20")
    }

    @Test func kubernetesProviderCannotSplitTraffic() {
        let problems = spec(provider: "kubernetes", CanaryAnalysis(maxWeight: 50, stepWeight: 10)).validate()
        #expect(problems.map(\.description) == [
            "spec.provider: provider kubernetes cannot split traffic; use iterations (blue/green) or a mesh/gateway provider",
        ])
    }

    @Test func gatewayAPINeedsGatewayRefs() {
        let s = spec(provider: "gatewayapi", CanaryAnalysis(stepWeight: 10))
        #expect(paths(s) == ["spec.service.gatewayRefs"])
        let ok = spec(provider: "gatewayapi:v1", service: CanaryService(port: 80, gatewayRefs: [GatewayRef(name: "gw")]),
                      CanaryAnalysis(stepWeight: 10))
        #expect(ok.validate().isEmpty)
    }

    @Test func aPlanIsRequired() {
        #expect(paths(spec(CanaryAnalysis(interval: "1m"))) == ["spec.analysis"])
        var skip = spec(CanaryAnalysis())
        skip.skipAnalysis = true
        #expect(skip.validate().isEmpty)
    }

    @Test func unknownMetricNeedsAQuery() {
        let s = spec(CanaryAnalysis(stepWeight: 10, metrics: [CanaryMetric(name: "latency-p42", threshold: 1)]))
        #expect(paths(s) == ["spec.analysis.metrics[0]"])
    }

    /// A value can never fail a metric without a bound: that check would pass unchecked.
    @Test func aMetricWithoutThresholdIsASpecProblem() {
        let s = spec(CanaryAnalysis(stepWeight: 10, metrics: [
            CanaryMetric(name: "request-success-rate"),
            CanaryMetric(name: "request-duration", thresholdRange: ThresholdRange()),
            CanaryMetric(name: "error-rate", threshold: 1),
            CanaryMetric(name: "latency", query: "q", judge: .compare),
        ]))
        let problems = s.validate()
        #expect(problems.map(\.path) == ["spec.analysis.metrics[0]", "spec.analysis.metrics[1]"])
        #expect(problems.first?.description == "spec.analysis.metrics[0]: metric \"request-success-rate\" has no threshold, so it could never fail; set thresholdRange.min and/or thresholdRange.max (or Flagger's threshold), or judge: compare")
    }

    @Test func duplicateNamesAreReported() {
        let s = spec(CanaryAnalysis(stepWeight: 10, webhooks: [CanaryWebhook(name: "a", url: "http://x/"),
                                                               CanaryWebhook(name: "a", url: "http://y/")]))
        #expect(paths(s) == ["spec.analysis.webhooks[1].name"])
    }

    @Test func metricFieldsOutOfRange() {
        var a = CanaryAnalysis(interval: "99999999999999999h", stepWeight: 10)
        a.metrics = [
            CanaryMetric(name: "request-duration", interval: "48h", threshold: 500, percentile: 1.5),
            CanaryMetric(name: "error-rate", judge: .compare, confidence: 2),
            CanaryMetric(name: "custom", threshold: 1, query: "sum(rate(x{app=\"{{ target\"}[1m]))"),
        ]
        let problems = spec(a).validate()
        #expect(problems.map(\.path) == [
            "spec.analysis.interval", "spec.analysis.metrics[0].interval", "spec.analysis.metrics[0].percentile",
            "spec.analysis.metrics[1].confidence", "spec.analysis.metrics[2].query",
        ])
        #expect(problems.last?.message == "the placeholder \"{{\" at character 17 is not closed")
    }

    @Test func alertEntriesAreValidatedWithTheCanary() {
        var a = CanaryAnalysis(stepWeight: 10)
        a.alerts = [CanaryAlert(name: "on-call", severity: "critical", providerRef: CrossNamespaceRef(name: ""))]
        let problems = spec(a).validate()
        #expect(problems.map(\.path) == ["spec.analysis.alerts[0].providerRef.name", "spec.analysis.alerts[0].severity"])
        #expect(problems[1].description == "spec.analysis.alerts[0].severity: \"critical\" is not a severity; use info, warn or error")
    }

    @Test func weightPlans() {
        #expect(CanaryAnalysis(maxWeight: 30, stepWeight: 20).weightPlan == [20, 30])
        #expect(CanaryAnalysis(stepWeights: [1, 10, 60]).weightPlan == [1, 10, 60])
        #expect(CanaryAnalysis(stepWeight: 25).weightPlan == [25, 50, 75, 100])
        #expect(CanaryAnalysis(stepWeights: [1, 10, 60]).nextWeight(after: 10) == 60)
        #expect(CanaryAnalysis(stepWeights: [1, 10, 60]).nextWeight(after: 60) == nil)
    }
}
