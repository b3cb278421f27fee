import Foundation
import KubeCore
import SerinAPI
import Testing
@testable import Analysis

@Suite struct AnalysisRunTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)
    func at(_ s: Double) -> Date { t0.addingTimeInterval(s) }

    func metric(_ name: String = "m", interval: String? = "60s", count: AnalysisIntOrString? = 3,
                failureLimit: AnalysisIntOrString? = nil, inconclusiveLimit: AnalysisIntOrString? = nil,
                success: String? = "result[0] >= 0.95", failure: String? = nil, initialDelay: String? = nil) -> AnalysisMetric {
        AnalysisMetric(name: name, interval: interval, initialDelay: initialDelay, count: count, successCondition: success,
                       failureCondition: failure, failureLimit: failureLimit, inconclusiveLimit: inconclusiveLimit,
                       provider: AnalysisMetricProvider(prometheus: PrometheusProviderSpec(query: "q")))
    }

    func measurement(_ p: AnalysisPhase, at t: Date) -> AnalysisMeasurement {
        let s = KubeTime.format(t)
        return AnalysisMeasurement(phase: p, startedAt: s, finishedAt: s, value: "[1]")
    }

    /// Drives a run with measurements of the given phases, each taken when due.
    func drive(_ spec: AnalysisRunSpec, phases: [AnalysisPhase]) -> (AnalysisRunDecision, [Date]) {
        var now = t0
        var decision = AnalysisRunEvaluator.evaluate(spec: spec, status: nil, now: now)
        var times: [Date] = []
        var queue = phases
        while !queue.isEmpty, decision.status.phase?.isCompleted != true {
            if let next = decision.nextMeasurementAt, next > now { now = next }
            decision = AnalysisRunEvaluator.evaluate(spec: spec, status: decision.status, now: now)
            for name in decision.due {
                let p = queue.removeFirst()
                times.append(now)
                let st = AnalysisRunEvaluator.record(measurement(p, at: now), metric: name, spec: spec, status: decision.status)
                decision = AnalysisRunEvaluator.evaluate(spec: spec, status: st, now: now)
            }
        }
        return (decision, times)
    }

    @Test func countedMetricSucceedsAfterCount() {
        let spec = AnalysisRunSpec(metrics: [metric()])
        let (d, times) = drive(spec, phases: [.successful, .successful, .successful])
        #expect(d.status.phase == .successful)
        #expect(times == [t0, at(60), at(120)] as [Date])
        let r = d.status.metricResults![0]
        #expect(r.count == 3 && r.successful == 3 && r.phase == .successful)
        #expect(d.status.runSummary == AnalysisRunSummary(count: 1, successful: 1))
        #expect(d.nextMeasurementAt == nil)
    }

    @Test func failureLimit() {
        let strict = drive(AnalysisRunSpec(metrics: [metric()]), phases: [.successful, .failed, .successful])
        #expect(strict.0.status.phase == .failed)
        #expect(strict.1.count == 2, "stops measuring at the first failure beyond the limit")
        #expect(strict.0.status.message == "metric \"m\" assessed Failed due to failed (1) > failureLimit (0)")
        let tolerant = drive(AnalysisRunSpec(metrics: [metric(failureLimit: 1)]), phases: [.failed, .successful, .successful])
        #expect(tolerant.0.status.phase == .successful)
    }

    @Test func inconclusiveAndErrors() {
        let inc = drive(AnalysisRunSpec(metrics: [metric()]), phases: [.inconclusive])
        #expect(inc.0.status.phase == .inconclusive)
        // Default consecutiveErrorLimit 4: the fifth consecutive error ends the run; errors retry after 10s.
        let err = drive(AnalysisRunSpec(metrics: [metric()]), phases: Array(repeating: .error, count: 5))
        #expect(err.0.status.phase == .error)
        #expect(err.1 == [t0, at(10), at(20), at(30), at(40)])
        #expect(err.0.status.metricResults![0].consecutiveError == 5)
        // Errors in between successes reset the streak and do not count towards `count`.
        let mixed = drive(AnalysisRunSpec(metrics: [metric()]), phases: [.error, .successful, .error, .successful, .successful])
        #expect(mixed.0.status.phase == .successful)
        #expect(mixed.0.status.metricResults![0].error == 2 && mixed.0.status.metricResults![0].count == 3)
    }

    @Test func unsetCountMeasuresUntilTerminated() {
        var spec = AnalysisRunSpec(metrics: [metric(count: nil)])
        let (d, times) = drive(spec, phases: Array(repeating: .successful, count: 12))
        #expect(d.status.phase == .running)
        #expect(times.count == 12)
        #expect(d.status.metricResults![0].measurements!.count == 10, "default retention keeps 10")
        spec.terminate = true
        let end = AnalysisRunEvaluator.evaluate(spec: spec, status: d.status, now: times.last!)
        #expect(end.status.phase == .successful)
        #expect(end.status.message == "run terminated")
        #expect(end.due.isEmpty)
    }

    /// argo-rollouts#4479: a background analysis terminated at promotion whose every
    /// measurement errored (fewer in a row than the limit) reported Successful. Here it is Error.
    @Test func terminatedWithOnlyErrorsIsNeverSuccessful() {
        var spec = AnalysisRunSpec(metrics: [metric(count: nil)])
        let (d, times) = drive(spec, phases: [.error, .error, .error])
        #expect(d.status.phase == .running)
        spec.terminate = true
        let end = AnalysisRunEvaluator.evaluate(spec: spec, status: d.status, now: times.last!)
        #expect(end.status.phase == .error)
        #expect(end.status.metricResults![0].message?.hasPrefix("every measurement (3) ended in Error") == true)

        // One measurement that ran is enough: errors around it are retried, not a verdict.
        let (ran, ranTimes) = drive(AnalysisRunSpec(metrics: [metric(count: nil)]), phases: [.error, .successful, .error])
        let ended = AnalysisRunEvaluator.evaluate(spec: spec, status: ran.status, now: ranTimes.last!)
        #expect(ended.status.phase == .successful)
    }

    @Test func initialDelayAndNoIntervalMeansOnce() {
        let spec = AnalysisRunSpec(metrics: [metric(interval: nil, count: nil, initialDelay: "30s")])
        let first = AnalysisRunEvaluator.evaluate(spec: spec, status: nil, now: t0)
        #expect(first.due.isEmpty && first.nextMeasurementAt == at(30) && first.status.phase == .running)
        #expect(first.status.metricResults![0].phase == .pending)
        let (d, times) = drive(spec, phases: [.successful])
        #expect(times == [at(30)] && d.status.phase == .successful)
    }

    @Test func failedMetricEndsTheWholeRunAndDryRunDoesNot() {
        let spec = AnalysisRunSpec(metrics: [metric("a"), metric("b")], dryRun: [AnalysisDryRun(metricName: "b")])
        var st = AnalysisRunEvaluator.evaluate(spec: spec, status: nil, now: t0).status
        st = AnalysisRunEvaluator.record(measurement(.successful, at: t0), metric: "a", spec: spec, status: st)
        st = AnalysisRunEvaluator.record(measurement(.failed, at: t0), metric: "b", spec: spec, status: st)
        let d = AnalysisRunEvaluator.evaluate(spec: spec, status: st, now: t0)
        #expect(d.status.phase == .running, "a dry-run failure does not end the run")
        #expect(d.status.dryRunSummary?.failed == 1)
        let real = AnalysisRunSpec(metrics: [metric("a"), metric("b")])
        var st2 = AnalysisRunEvaluator.evaluate(spec: real, status: nil, now: t0).status
        st2 = AnalysisRunEvaluator.record(measurement(.failed, at: t0), metric: "b", spec: real, status: st2)
        let d2 = AnalysisRunEvaluator.evaluate(spec: real, status: st2, now: t0)
        #expect(d2.status.phase == .failed)
        let condition1 = d2.status.metricResults!.first { $0.name == "a" }!.phase == .successful
        #expect(condition1)
        #expect(d2.due.isEmpty)
    }

    @Test func conditions() {
        func j(_ v: ExprValue, _ s: String?, _ f: String?) -> AnalysisPhase {
            AnalysisRunEvaluator.judge(value: v, successCondition: s, failureCondition: f).0
        }
        let v: ExprValue = .array([.number(0.97)])
        #expect(j(v, "result[0] >= 0.95", nil) == .successful)
        #expect(j(v, "result[0] >= 0.99", nil) == .failed)
        #expect(j(v, nil, "result[0] < 0.5") == .successful)
        #expect(j(v, nil, "result[0] < 0.99") == .failed)
        #expect(j(v, "result[0] >= 0.99", "result[0] < 0.5") == .inconclusive)
        #expect(j(v, "result[0] >= 0.5", "result[0] < 0.99") == .failed, "failure wins")
        #expect(j(.array([]), "result[0] >= 0.95", nil) == .error)
        #expect(j(v, "result[0] >=", nil) == .error)
        #expect(j(v, nil, nil) == .successful)
        let (_, msg) = AnalysisRunEvaluator.judge(value: v, successCondition: "result[0] >= 0.99", failureCondition: nil)
        #expect(msg == "successCondition \"result[0] >= 0.99\" is false for [0.97]")
    }

    @Test func validationNamesProblems() {
        let bad = AnalysisRunSpec(metrics: [metric("a", success: "result[0] >"), metric("a"), metric("c", interval: nil, count: 3)])
        let problems = AnalysisRunEvaluator.validate(bad)
        #expect(problems.contains("metric \"a\" successCondition: unexpected end of expression at position 12"))
        #expect(problems.contains("metric \"a\" is defined twice"))
        #expect(problems.contains("metric \"c\": count 3 needs an interval"))
        let d = AnalysisRunEvaluator.evaluate(spec: bad, status: nil, now: t0)
        #expect(d.status.phase == .error)
    }

    @Test func argumentsAndTheSeedTemplate() throws {
        let seed = try Fixtures.seedTemplate()
        #expect(seed.spec.metrics.map(\.name) == ["success-rate", "avg-response-time"])
        #expect(seed.spec.metrics[0].count == .int(5))
        let spec = try AnalysisArguments.runSpec(templates: [seed.spec],
                                                 args: [AnalysisArgument(name: "service-name", value: "order-service-preview")])
        let args = try AnalysisArguments.resolve(spec.args ?? [])
        let m = try AnalysisArguments.substitute(spec.metrics[0], args: args)
        #expect(m.provider.prometheus!.query.contains(#"http_requests_total{service="order-service-preview",status!~"5.."}[5m]"#))
        do {
            _ = try AnalysisArguments.runSpec(templates: [seed.spec], args: [])
            Issue.record("missing arg accepted")
        } catch {
            #expect(error.message == "argument \"service-name\" has no value: supply it in the analysis args")
        }
        do {
            _ = try AnalysisArguments.substitute(seed.spec.metrics[0], args: [:])
            Issue.record("missing arg accepted")
        } catch {
            #expect(error.message.hasPrefix("metric \"success-rate\": missing argument \"service-name\" for {{args.service-name}} at position"))
        }
        let operation2 = {
            try AnalysisArguments.runSpec(templates: [seed.spec], args: [AnalysisArgument(name: "other", value: "x")])
        }
        #expect(throws: AnalysisArguments.ArgumentError.self, performing: operation2)
        let fromSecret = try AnalysisArguments.resolve(
            [AnalysisArgument(name: "token", valueFrom: AnalysisArgumentValueFrom(secretKeyRef: AnalysisSecretKeyRef(name: "s", key: "k")))],
            secret: { $0.name == "s" && $0.key == "k" ? "v" : nil })
        #expect(fromSecret == ["token": "v"])
        // Round trip through JSON keeps Argo's field names.
        let json = try JSONValue(encoding: seed)
        #expect(json[path: ["spec", "metrics"]][0]["successCondition"].stringValue == "result[0] >= 0.95")
    }
}


enum Fixtures {
    /// ../shared/examples/seed-analysistemplate.yaml, converted to JSON with
    /// `python3 -c 'import yaml,json,sys; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))' seed-analysistemplate.yaml`
    /// (apiVersion as in the manifest).
    static let seedJSON = #"""
    {"apiVersion": "serin.dev/v1alpha1", "kind": "AnalysisTemplate", "metadata": {"name": "order-service-analysis", "namespace": "microservices"}, "spec": {"args": [{"name": "service-name"}], "metrics": [{"name": "success-rate", "interval": "60s", "count": 5, "successCondition": "result[0] >= 0.95", "provider": {"prometheus": {"address": "http://prometheus.monitoring.svc.cluster.local:9090", "query": "sum(rate(http_requests_total{service=\"{{args.service-name}}\",status!~\"5..\"}[5m])) /\nsum(rate(http_requests_total{service=\"{{args.service-name}}\"}[5m]))\n"}}}, {"name": "avg-response-time", "interval": "60s", "count": 5, "successCondition": "result[0] <= 300", "provider": {"prometheus": {"address": "http://prometheus.monitoring.svc.cluster.local:9090", "query": "histogram_quantile(0.95,\n  sum(rate(http_request_duration_seconds_bucket{service=\"{{args.service-name}}\"}[5m])) by (le)\n) * 1000\n"}}}]}}
    """#

    static func seedTemplate() throws -> AnalysisTemplate {
        try JSONValue(parsing: seedJSON).decode(as: AnalysisTemplate.self)
    }
}
