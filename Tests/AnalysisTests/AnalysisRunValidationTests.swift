import Foundation
import KubeCore
import SerinAPI
import Testing
@testable import Analysis

/// Malformed metrics end an AnalysisRun in Error before any measurement, with a message that
/// names the metric, the field and the fix (the fault suite's analysistemplate-* corpus).
@Suite struct AnalysisRunValidationTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    func metric(interval: String? = "10s", initialDelay: String? = nil, count: AnalysisIntOrString? = 3,
                failureLimit: AnalysisIntOrString? = 1, inconclusiveLimit: AnalysisIntOrString? = nil,
                consecutiveErrorLimit: AnalysisIntOrString? = nil, success: String? = "result[0] >= 0.95",
                query: String = #"sum(rate(requests{service="{{args.service}}"}[1m]))"#) -> AnalysisMetric {
        AnalysisMetric(name: "success-rate", interval: interval, initialDelay: initialDelay, count: count,
                       successCondition: success, failureLimit: failureLimit, inconclusiveLimit: inconclusiveLimit,
                       consecutiveErrorLimit: consecutiveErrorLimit,
                       provider: AnalysisMetricProvider(prometheus: PrometheusProviderSpec(address: "http://127.0.0.1:9", query: query)))
    }

    func spec(_ m: AnalysisMetric, args: [AnalysisArgument] = [AnalysisArgument(name: "service", value: "web")]) -> AnalysisRunSpec {
        AnalysisRunSpec(metrics: [m], args: args)
    }

    /// The run's first step: its phase, message and what it would measure.
    func firstStep(_ s: AnalysisRunSpec) -> AnalysisRunDecision {
        AnalysisRunEvaluator.evaluate(spec: s, status: nil, now: t0)
    }

    /// The run ends in Error at once (nothing due, nothing scheduled) with exactly these problems.
    func expectError(_ s: AnalysisRunSpec, _ problems: [String], sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(AnalysisRunEvaluator.validate(s) == problems, sourceLocation: sourceLocation)
        let d = firstStep(s)
        #expect(d.status.phase == .error, sourceLocation: sourceLocation)
        #expect(d.status.message == problems.joined(separator: "; "), sourceLocation: sourceLocation)
        #expect(d.due.isEmpty, sourceLocation: sourceLocation)
        #expect(d.nextMeasurementAt == nil, sourceLocation: sourceLocation)
    }

    @Test func theWellFormedMetricIsAccepted() {
        let s = spec(metric())
        #expect(AnalysisRunEvaluator.validate(s).isEmpty)
        let d = firstStep(s)
        #expect(d.status.phase == .running)
        #expect(d.due == ["success-rate"])
    }

    @Test func negativeCount() {
        expectError(spec(metric(count: -2)), [
            "metric \"success-rate\" count: -2 is negative; write the number of measurements, e.g. 5 (0 measures until the run is terminated)",
        ])
    }

    @Test func countInWords() {
        expectError(spec(metric(count: .string("three"))), [
            "metric \"success-rate\" count: \"three\" is not a whole number; write the number of measurements, e.g. 5 (0 measures until the run is terminated)",
        ])
    }

    @Test func countAsAStringThatReadsAsAnIntegerIsAccepted() {
        #expect(AnalysisRunEvaluator.validate(spec(metric(count: .string("3")))).isEmpty)
        #expect(AnalysisRunEvaluator.validate(spec(metric(count: .string("-3")))).first?.contains("count: -3 is negative") == true)
    }

    @Test func countFromAnArgIsCheckedAfterSubstitution() {
        let args = [AnalysisArgument(name: "service", value: "web"), AnalysisArgument(name: "n", value: "three")]
        expectError(spec(metric(count: .string("{{args.n}}")), args: args), [
            "metric \"success-rate\" count: \"three\" (from \"{{args.n}}\") is not a whole number; write the number of measurements, e.g. 5 (0 measures until the run is terminated)",
        ])
        let negative = [AnalysisArgument(name: "service", value: "web"), AnalysisArgument(name: "n", value: "-1")]
        #expect(AnalysisRunEvaluator.validate(spec(metric(count: .string("{{ args.n }}")), args: negative))
            .first?.hasPrefix("metric \"success-rate\" count: -1 (from \"{{ args.n }}\") is negative") == true)
    }

    @Test func countFromASecretArgWaitsForTheMeasurement() {
        let secret = AnalysisArgumentValueFrom(secretKeyRef: AnalysisSecretKeyRef(name: "s", key: "n"))
        let args = [AnalysisArgument(name: "service", value: "web"), AnalysisArgument(name: "n", valueFrom: secret)]
        #expect(AnalysisRunEvaluator.validate(spec(metric(count: .string("{{args.n}}")), args: args)).isEmpty)
    }

    @Test func countFromAnArgSchedulesTheRun() {
        // count 2 from an arg: the run is Successful after two successful measurements.
        let args = [AnalysisArgument(name: "service", value: "web"), AnalysisArgument(name: "n", value: "2")]
        let s = spec(metric(count: .string("{{args.n}}")), args: args)
        var d = firstStep(s)
        var now = t0
        for _ in 0..<2 {
            #expect(d.due == ["success-rate"])
            let at = KubeTime.format(now)
            let st = AnalysisRunEvaluator.record(AnalysisMeasurement(phase: .successful, startedAt: at, finishedAt: at, value: "[1]"),
                                                 metric: "success-rate", spec: s, status: d.status)
            d = AnalysisRunEvaluator.evaluate(spec: s, status: st, now: now)
            now = d.nextMeasurementAt ?? now
            d = AnalysisRunEvaluator.evaluate(spec: s, status: d.status, now: now)
        }
        #expect(d.status.phase == .successful)
    }

    @Test func negativeFailureLimit() {
        expectError(spec(metric(failureLimit: -1)), [
            "metric \"success-rate\" failureLimit: -1 is negative; write how many failed measurements to tolerate, e.g. 0 or 2",
        ])
    }

    @Test func failureLimitInWords() {
        expectError(spec(metric(failureLimit: .string("one"))), [
            "metric \"success-rate\" failureLimit: \"one\" is not a whole number; write how many failed measurements to tolerate, e.g. 0 or 2",
        ])
    }

    @Test func inconclusiveLimitInWordsAndNegative() {
        expectError(spec(metric(inconclusiveLimit: .string("a"))), [
            "metric \"success-rate\" inconclusiveLimit: \"a\" is not a whole number; write how many inconclusive measurements to tolerate, e.g. 0 or 1",
        ])
        expectError(spec(metric(inconclusiveLimit: -3)), [
            "metric \"success-rate\" inconclusiveLimit: -3 is negative; write how many inconclusive measurements to tolerate, e.g. 0 or 1",
        ])
    }

    @Test func consecutiveErrorLimitNegativeAndInWords() {
        expectError(spec(metric(consecutiveErrorLimit: -1)), [
            "metric \"success-rate\" consecutiveErrorLimit: -1 is negative; write how many errors in a row to tolerate, e.g. 4 (the default)",
        ])
        expectError(spec(metric(consecutiveErrorLimit: .string("four"))), [
            "metric \"success-rate\" consecutiveErrorLimit: \"four\" is not a whole number; write how many errors in a row to tolerate, e.g. 4 (the default)",
        ])
    }

    @Test func zeroLimitsAndCountAreAccepted() {
        #expect(AnalysisRunEvaluator.validate(spec(metric(count: 0, failureLimit: 0, inconclusiveLimit: 0, consecutiveErrorLimit: 0))).isEmpty)
    }

    @Test func enormousIntervalIsInvalid() throws {
        // Beyond Go's time.Duration too: no integer conversion may trap on it.
        expectError(spec(metric(interval: "99999999999999999h")), [
            "metric \"success-rate\" interval: 99999999999999999h is longer than the 24h limit; use at most 24h, e.g. 60s or 5m",
        ])
        let enormous = { _ = try DurationString.seconds("99999999999999999h") }
        #expect(throws: DurationString.ParseError(input: "99999999999999999h", reason: "too long", tooLong: true), performing: enormous)
        let badUnit = { _ = try DurationString.seconds("1x") }
        #expect(throws: DurationString.ParseError(input: "1x", reason: "unknown unit \"x\" (use ns, us, ms, s, m or h)"), performing: badUnit)
        let manyDigits = { _ = try DurationString.seconds(String(repeating: "9", count: 400) + "s") }
        #expect(throws: DurationString.ParseError.self, performing: manyDigits)
        let pastGo = { _ = try DurationString.seconds("2562048h") }
        #expect(throws: DurationString.ParseError.self, performing: pastGo)
        #expect(try DurationString.seconds("2562047h") == 2_562_047 * 3600)
    }

    @Test func intervalAndInitialDelayLongerThanADayAreRejected() {
        expectError(spec(metric(interval: "25h")), [
            "metric \"success-rate\" interval: 25h is longer than the 24h limit; use at most 24h, e.g. 60s or 5m",
        ])
        expectError(spec(metric(initialDelay: "1000h")), [
            "metric \"success-rate\" initialDelay: 1000h is longer than the 24h limit; use at most 24h, e.g. 60s or 5m",
        ])
        #expect(AnalysisRunEvaluator.validate(spec(metric(interval: "24h", initialDelay: "1440m"))).isEmpty)
    }

    @Test func intervalFromAnArgIsCheckedAfterSubstitution() {
        let args = [AnalysisArgument(name: "service", value: "web"), AnalysisArgument(name: "every", value: "48h")]
        expectError(spec(metric(interval: "{{args.every}}"), args: args), [
            "metric \"success-rate\" interval: 48h is longer than the 24h limit; use at most 24h, e.g. 60s or 5m",
        ])
    }

    @Test func unclosedPlaceholderInTheQuery() {
        expectError(spec(metric(query: #"sum(x{svc="{{args.service"})"#)), [
            "metric \"success-rate\" query: placeholder \"{{\" at position 12 is not closed; end it with \"}}\", e.g. {{args.NAME}}",
        ])
        // A later placeholder's `}}` does not close an earlier `{{`.
        let problems = AnalysisRunEvaluator.validate(spec(metric(query: #"x{a="{{args.service", b="{{args.service}}"}"#)))
        #expect(problems == [
            "metric \"success-rate\" query: placeholder \"{{\" at position 6 is not closed; end it with \"}}\", e.g. {{args.NAME}}",
        ])
    }

    @Test func undeclaredArgumentInTheQuery() {
        expectError(spec(metric(query: #"sum(x{svc="{{args.missing}}"})"#)), [
            "metric \"success-rate\" query: argument \"missing\" is not declared in args; declare it or fix the placeholder",
        ])
    }

    @Test func undeclaredArgumentInAConditionIsNamedOnce() {
        let problems = AnalysisRunEvaluator.validate(spec(metric(success: "result[0] >= {{args.threshold}}")))
        #expect(problems == [
            "metric \"success-rate\" successCondition: argument \"threshold\" is not declared in args; declare it or fix the placeholder",
        ])
    }

    @Test func conditionFromAnArgIsParsedAfterSubstitution() {
        let good = [AnalysisArgument(name: "service", value: "web"), AnalysisArgument(name: "threshold", value: "0.95")]
        #expect(AnalysisRunEvaluator.validate(spec(metric(success: "result[0] >= {{args.threshold}}"), args: good)).isEmpty)
        let bad = [AnalysisArgument(name: "service", value: "web"), AnalysisArgument(name: "threshold", value: ">")]
        let problems = AnalysisRunEvaluator.validate(spec(metric(success: "result[0] >= {{args.threshold}}"), args: bad))
        #expect(problems.count == 1)
        #expect(problems.first?.hasPrefix("metric \"success-rate\" successCondition: ") == true)
    }

    @Test func severalProblemsAreAllReported() {
        let problems = AnalysisRunEvaluator.validate(spec(metric(count: -2, failureLimit: .string("x"), query: "{{args.nope}}")))
        let all = problems.joined(separator: "\n")
        #expect(problems.count == 3)
        #expect(all.contains("query: argument \"nope\""))
        #expect(all.contains("count: -2 is negative"))
        #expect(all.contains("failureLimit: \"x\" is not a whole number"))
    }

    @Test func aCompletedRunIsNotReassessed() {
        let s = spec(metric(count: -2))
        let done = AnalysisRunStatus(phase: .successful)
        #expect(AnalysisRunEvaluator.evaluate(spec: s, status: done, now: t0).status.phase == .successful)
    }
}
