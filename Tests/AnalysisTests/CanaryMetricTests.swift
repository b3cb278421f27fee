import SerinAPI
import Testing
@testable import Analysis

@Suite struct CanaryMetricTests {
    let ctx = CanaryMetricContext(name: "podinfo", namespace: "test", target: "podinfo", interval: "1m", provider: .kubernetes)

    @Test func kubernetesBuiltins() throws {
        let sr = try CanaryMetricEvaluator.query(for: CanaryMetric(name: "request-success-rate"), context: ctx, template: nil)
        #expect(sr.contains(#"http_requests_total{service="podinfo",status!~"5.."}[1m]"#))
        #expect(sr.contains(#"sum(rate(http_requests_total{service="podinfo"}[1m]))"#))
        #expect(sr.hasSuffix("* 100"))
        let er = try CanaryMetricEvaluator.query(for: CanaryMetric(name: "error-rate", interval: "30s"), context: ctx, template: nil)
        #expect(er.contains(#"status=~"5.."}[30s])) or on() vector(0))"#))
        let p95 = try CanaryMetricEvaluator.query(for: CanaryMetric(name: "request-duration", percentile: 0.95), context: ctx, template: nil)
        #expect(p95.hasPrefix("histogram_quantile(0.95,"))
        #expect(p95.contains(#"http_request_duration_seconds_bucket{service="podinfo"}[1m])) by (le)"#))
        #expect(p95.hasSuffix("* 1000"))
        let p99 = try CanaryMetricEvaluator.query(for: CanaryMetric(name: "request-duration"), context: ctx, template: nil)
        #expect(p99.hasPrefix("histogram_quantile(0.99,"))
        let primary = try CanaryMetricEvaluator.query(for: CanaryMetric(name: "error-rate"), context: ctx, template: nil, primary: true)
        #expect(primary.contains(#"service="podinfo-primary""#))
    }

    @Test func everyProviderHasItsOwnMetrics() throws {
        let expected: [MeshProvider: [String]] = [
            .istio: ["istio_requests_total{reporter=\"destination\",destination_workload_namespace=\"test\",destination_workload=\"podinfo\"", "response_code!~\"5..\"", "istio_request_duration_milliseconds_bucket"],
            .linkerd: ["response_total{direction=\"inbound\",namespace=\"test\",deployment=\"podinfo\"", "status_code", "response_latency_ms_bucket"],
            .nginx: ["nginx_ingress_controller_requests{canary!=\"\",namespace=\"test\",ingress=\"podinfo\"", "nginx_ingress_controller_request_duration_seconds_bucket"],
            .gatewayapi: ["envoy_cluster_upstream_rq{envoy_cluster_name=~\".*test.podinfo.*\"", "envoy_response_code!~\"5..\"", "envoy_cluster_upstream_rq_time_bucket"],
            .kubernetes: ["http_requests_total{service=\"podinfo\""],
        ]
        for (provider, fragments) in expected {
            var c = ctx
            c.provider = provider
            let all = try BuiltinMetric.allCases.map {
                try CanaryMetricEvaluator.query(for: CanaryMetric(name: $0.rawValue), context: c, template: nil)
            }.joined(separator: "\n")
            for f in fragments { #expect(all.contains(f), "\(provider): \(f)\n\(all)") }
            #expect(!all.contains("{{"), "\(provider): unrendered variable")
        }
    }

    @Test func labelNamesFromTheFlag() throws {
        let opts = try BuiltinQueryOptions.parseFlag("kubernetes:status=status_code,service=app;istio:namespace=")
        #expect(opts[.kubernetes]?.statusLabel == "status_code")
        #expect(opts[.kubernetes]?.workloadLabel == "app")
        #expect(opts[.istio]?.namespaceLabel == nil)
        let q = try CanaryMetricEvaluator.query(for: CanaryMetric(name: "error-rate"), context: ctx, template: nil, options: opts)
        #expect(q.contains(#"http_requests_total{app="podinfo",status_code=~"5.."}"#))
        let operation1 = { try BuiltinQueryOptions.parseFlag("consul:status=x") }
        #expect(throws: BuiltinQueryOptions.FlagError.self, performing: operation1)
        let operation2 = { try BuiltinQueryOptions.parseFlag("kubernetes:colour=red") }
        #expect(throws: BuiltinQueryOptions.FlagError.self, performing: operation2)
        let operation3 = { try BuiltinQueryOptions.parseFlag("kubernetes:status=a\"b") }
        #expect(throws: BuiltinQueryOptions.FlagError.self, performing: operation3)
    }

    @Test func metricTemplateVariables() throws {
        let template = MetricTemplate(name: "not-found", namespace: "test", spec: MetricTemplateSpec(
            provider: MetricTemplateProvider(type: "prometheus", address: "http://prom:9090"),
            query: #"sum(rate(http_requests_total{namespace="{{ namespace }}",app="{{target}}",svc="{{ service }}",code="{{ variables.code }}"}[{{ interval }}])) # {{ name }}"#))
        let metric = CanaryMetric(name: "404s", interval: "2m", thresholdRange: ThresholdRange(max: 5),
                                  templateRef: TemplateRef(name: "not-found"), templateVariables: ["code": "404"])
        let q = try CanaryMetricEvaluator.query(for: metric, context: ctx, template: template)
        #expect(q == #"sum(rate(http_requests_total{namespace="test",app="podinfo",svc="podinfo",code="404"}[2m])) # podinfo"#)
        var missing = metric
        missing.templateVariables = nil
        do {
            _ = try CanaryMetricEvaluator.query(for: missing, context: ctx, template: template)
            Issue.record("missing variable accepted")
        } catch {
            #expect("\(error)".contains("unknown template variable \"variables.code\""))
        }
        let operation4 = { try CanaryMetricEvaluator.query(for: metric, context: ctx, template: nil) }
        #expect(throws: MetricSpecError.self, performing: operation4)
        let operation5 = { try CanaryMetricEvaluator.query(for: CanaryMetric(name: "latency"), context: ctx, template: nil) }
        #expect(throws: MetricSpecError.self, performing: operation5)
        let operation6 = {
            try CanaryMetricEvaluator.query(for: CanaryMetric(name: "request-duration", percentile: 95), context: ctx, template: nil)
        }
        #expect(throws: MetricSpecError.self, performing: operation6)
    }

    @Test func thresholdsAndNoDataPolicy() {
        let t = "2026-01-01T00:00:00Z"
        let sr = CanaryMetric(name: "request-success-rate", thresholdRange: ThresholdRange(min: 99))
        let low = CanaryMetricEvaluator.verdict(metric: sr, query: "q", outcome: .value(97.2), checkedAt: t)
        #expect(low.verdict == .fail && low.message == "97.2 < 99" && low.threshold == ">= 99" && low.value == 97.2)
        let ok = CanaryMetricEvaluator.verdict(metric: sr, query: "q", outcome: .value(99.5), checkedAt: t)
        #expect(ok.verdict == .pass && ok.message == "99.5 >= 99")
        let dur = CanaryMetric(name: "request-duration", thresholdRange: ThresholdRange(max: 500))
        let slow = CanaryMetricEvaluator.verdict(metric: dur, query: "q", outcome: .value(612), checkedAt: t)
        #expect(slow.verdict == .fail && slow.message == "612 > 500")
        let both = CanaryMetric(name: "x", thresholdRange: ThresholdRange(min: 1, max: 5))
        #expect(CanaryMetricEvaluator.verdict(metric: both, query: "q", outcome: .value(.infinity), checkedAt: t).verdict == .fail)
        #expect(CanaryMetricEvaluator.verdict(metric: both, query: "q", outcome: .value(3), checkedAt: t).threshold == ">= 1 and <= 5")

        for (policy, verdict) in [(nil, MetricCheckResult.Verdict.fail), (.fail, .fail), (.hold, .hold), (.pass, .pass)] as [(NoDataPolicy?, MetricCheckResult.Verdict)] {
            var m = sr
            m.onNoData = policy
            let r = CanaryMetricEvaluator.verdict(metric: m, query: "q", outcome: .noData(reason: "the query returned no series"), checkedAt: t)
            #expect(r.verdict == verdict && r.noData && r.value == nil)
            #expect(r.message == "no data (the query returned no series), onNoData=\((policy ?? .fail).rawValue)")
        }
    }

    /// Flagger's per-metric `threshold`: a minimum for request-success-rate, a maximum (ms) for
    /// request-duration, a maximum for queries and templates; thresholdRange wins when both are set.
    @Test func flaggerThresholdIsHonoured() {
        let t = "2026-01-01T00:00:00Z"
        let sr = CanaryMetric(name: "request-success-rate", threshold: 99)
        let low = CanaryMetricEvaluator.verdict(metric: sr, query: "q", outcome: .value(97.2), checkedAt: t)
        #expect(low.verdict == .fail && low.message == "97.2 < 99" && low.threshold == ">= 99")
        #expect(CanaryMetricEvaluator.verdict(metric: sr, query: "q", outcome: .value(99.5), checkedAt: t).verdict == .pass)
        let dur = CanaryMetric(name: "request-duration", threshold: 500)
        let slow = CanaryMetricEvaluator.verdict(metric: dur, query: "q", outcome: .value(612), checkedAt: t)
        #expect(slow.verdict == .fail && slow.message == "612 > 500" && slow.threshold == "<= 500")
        let custom = CanaryMetric(name: "request-success-rate", threshold: 5, query: "sum(rate(errors[1m]))")
        #expect(CanaryMetricEvaluator.verdict(metric: custom, query: "q", outcome: .value(7), checkedAt: t).verdict == .fail)
        #expect(CanaryMetricEvaluator.verdict(metric: custom, query: "q", outcome: .value(3), checkedAt: t).verdict == .pass)
        let template = CanaryMetric(name: "not-found-percentage", threshold: 5, templateRef: TemplateRef(name: "nf"))
        #expect(template.bounds == ThresholdRange(max: 5))
        let both = CanaryMetric(name: "request-success-rate", threshold: 50, thresholdRange: ThresholdRange(min: 99))
        #expect(CanaryMetricEvaluator.verdict(metric: both, query: "q", outcome: .value(90), checkedAt: t).verdict == .fail)
    }

    @Test func unreachablePrometheusIsAnErrorResult() async throws {
        let client = PrometheusClient()
        let evaluator = CanaryMetricEvaluator(client: client, defaultAddress: nil)
        let r = await evaluator.evaluate(CanaryMetric(name: "error-rate", thresholdRange: ThresholdRange(max: 1)), context: ctx)
        #expect(r.verdict == .error)
        #expect(r.message.contains("no Prometheus address"))
        #expect(r.query.contains("http_requests_total"))
        try await client.shutdown()
    }
}

@Suite struct ValidationTests {
    @Test func canaryMetricProblemsNameTheField() {
        #expect(AnalysisValidation.validate(CanaryMetric(name: "request-success-rate", thresholdRange: ThresholdRange(min: 99))).isEmpty)
        #expect(AnalysisValidation.validate(CanaryMetric(name: "latency")).first?.contains("is not a builtin metric") == true)
        #expect(AnalysisValidation.validate(CanaryMetric(name: "error-rate", interval: "5 minutes")).first?.contains("invalid duration") == true)
        #expect(AnalysisValidation.validate(CanaryMetric(name: "error-rate", thresholdRange: ThresholdRange(min: 5, max: 1)))
            == ["metric \"error-rate\": thresholdRange.min 5 > max 1"])
        #expect(AnalysisValidation.validate(CanaryMetric(name: "error-rate", judge: .compare, confidence: 95)).count == 1)
    }

    @Test func templateProblems() throws {
        #expect(AnalysisValidation.validate(try Fixtures.seedTemplate().spec).isEmpty)
        var spec = try Fixtures.seedTemplate().spec
        spec.args = []
        spec.metrics[1].successCondition = "result[0] <= "
        let problems = AnalysisValidation.validate(spec)
        #expect(problems.contains("metric \"avg-response-time\" successCondition: unexpected end of expression at position 14"))
        #expect(problems.contains("metric \"success-rate\" uses {{args.service-name}} but the template declares no argument \"service-name\""))
    }
}

@Suite struct CheckSummaryTests {
    @Test func summaryNamesMetricAndNumbers() {
        let m = CanaryMetric(name: "request-success-rate", thresholdRange: ThresholdRange(min: 99))
        let r = CanaryMetricEvaluator.verdict(metric: m, query: "q", outcome: .value(97.2), checkedAt: "t")
        #expect(r.summary == "request-success-rate 97.2 < 99")
    }
}
