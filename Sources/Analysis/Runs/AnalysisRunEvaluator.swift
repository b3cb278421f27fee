import Foundation
import SerinAPI

/// What to do next for an AnalysisRun.
public struct AnalysisRunDecision: Sendable, Hashable {
    /// The status with every metric's phase and the run's phase assessed.
    public var status: AnalysisRunStatus
    /// Metrics to measure now.
    public var due: [String]
    /// When the next measurement falls due (nil when the run is complete).
    public var nextMeasurementAt: Date?
}

/// The pure core of analysis runs (Argo's semantics): given the spec, the status so far and
/// now, assess each metric and the run, and say which metrics to measure and when next.
public enum AnalysisRunEvaluator {
    /// Argo retries a measurement that errored after this many seconds (or the interval if shorter).
    public static let errorRetrySeconds = 10.0
    /// Measurements kept per metric unless `measurementRetention` says otherwise.
    public static let defaultRetention = 10

    /// Problems with a spec, each naming the metric; condition parse errors carry the position.
    public static func validate(_ spec: AnalysisRunSpec) -> [String] {
        var problems: [String] = []
        var names = Set<String>()
        if spec.metrics.isEmpty { problems.append("no metrics") }
        for m in spec.metrics {
            if !names.insert(m.name).inserted { problems.append("metric \"\(m.name)\" is defined twice") }
            for (field, text) in [("successCondition", m.successCondition), ("failureCondition", m.failureCondition)] {
                guard let text, !text.isEmpty else { continue }
                // Args are substituted later; parse with placeholders standing in.
                let probe = text.contains("{{") ? "true" : text
                do { _ = try ConditionExpression(probe) } catch {
                    problems.append("metric \"\(m.name)\" \(field): \(error.description)")
                }
            }
            for (field, text) in [("interval", m.interval), ("initialDelay", m.initialDelay)] {
                guard let text, !text.contains("{{") else { continue }
                if (try? DurationString.seconds(text)) == nil { problems.append("metric \"\(m.name)\" \(field): invalid duration \"\(text)\"") }
            }
            if let c = m.count?.intValue, c > 1, m.interval == nil {
                problems.append("metric \"\(m.name)\": count \(c) needs an interval")
            }
            if m.provider.prometheus == nil && m.provider.compare == nil {
                problems.append("metric \"\(m.name)\": no provider (prometheus or compare)")
            }
        }
        return problems
    }

    static func limit(_ v: AnalysisIntOrString?, default d: Int) -> Int { v?.intValue ?? d }

    static func isDryRun(_ name: String, _ spec: AnalysisRunSpec) -> Bool {
        (spec.dryRun ?? []).contains { matches(pattern: $0.metricName, name) }
    }

    static func retention(_ name: String, _ spec: AnalysisRunSpec) -> Int {
        (spec.measurementRetention ?? []).first { matches(pattern: $0.metricName, name) }?.limit ?? defaultRetention
    }

    /// Exact name, or an anchored regular expression as Argo allows (`.*`).
    static func matches(pattern: String, _ name: String) -> Bool {
        if pattern == name { return true }
        guard let re = try? NSRegularExpression(pattern: "^(?:\(pattern))$") else { return false }
        return re.firstMatch(in: name, range: NSRange(name.startIndex..., in: name)) != nil
    }

    static func parseDate(_ s: String?) -> Date? {
        guard let s else { return nil }
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let d = f.date(from: s) { return d }
        f.formatOptions = [.withInternetDateTime]
        return f.date(from: s)
    }

    static func seconds(_ s: String?) -> Double? { s.flatMap { try? DurationString.seconds($0) } }

    /// Assesses a metric from its counts (Argo's order: a running measurement, then the
    /// failure, inconclusive and error limits, then the count, then termination).
    static func assess(_ m: AnalysisMetric, _ r: AnalysisMetricResult, terminating: Bool) -> (AnalysisPhase, String?) {
        let measurements = r.measurements ?? []
        if measurements.last?.phase == .running { return (.running, nil) }
        let failureLimit = limit(m.failureLimit, default: 0)
        let inconclusiveLimit = limit(m.inconclusiveLimit, default: 0)
        let errorLimit = limit(m.consecutiveErrorLimit, default: AnalysisMetric.defaultConsecutiveErrorLimit)
        let failed = r.failed ?? 0, inconclusive = r.inconclusive ?? 0, consecutive = r.consecutiveError ?? 0
        if failureLimit >= 0, failed > failureLimit {
            return (.failed, "failed (\(failed)) > failureLimit (\(failureLimit))")
        }
        if inconclusiveLimit >= 0, inconclusive > inconclusiveLimit {
            return (.inconclusive, "inconclusive (\(inconclusive)) > inconclusiveLimit (\(inconclusiveLimit))")
        }
        if errorLimit >= 0, consecutive > errorLimit {
            let last = measurements.last?.message.map { ": \($0)" } ?? ""
            return (.error, "consecutiveError (\(consecutive)) > consecutiveErrorLimit (\(errorLimit))\(last)")
        }
        let count = effectiveCount(m)
        if count > 0, (r.count ?? 0) >= count { return (.successful, nil) }
        if terminating { return (.successful, measurements.isEmpty ? "terminated before any measurement" : nil) }
        return (measurements.isEmpty ? .pending : .running, nil)
    }

    /// The count to reach; 0 means "until terminated". No count and no interval means once.
    static func effectiveCount(_ m: AnalysisMetric) -> Int {
        if let c = m.count?.intValue { return c }
        return m.interval == nil ? 1 : 0
    }

    /// When this metric should next be measured.
    static func nextTime(_ m: AnalysisMetric, _ r: AnalysisMetricResult, runStarted: Date) -> Date? {
        guard let last = r.measurements?.last else {
            return runStarted.addingTimeInterval(seconds(m.initialDelay) ?? 0)
        }
        let base = parseDate(last.finishedAt) ?? parseDate(last.startedAt) ?? runStarted
        let interval = seconds(m.interval)
        if last.phase == .error { return base.addingTimeInterval(min(interval ?? errorRetrySeconds, errorRetrySeconds)) }
        guard let interval else { return nil }
        return base.addingTimeInterval(interval)
    }

    /// Severity for the run's phase: the worst metric decides.
    static func severity(_ p: AnalysisPhase) -> Int {
        switch p {
        case .successful: return 0
        case .pending: return 1
        case .running: return 2
        case .inconclusive: return 3
        case .error: return 4
        case .failed: return 5
        }
    }

    public static func evaluate(spec: AnalysisRunSpec, status: AnalysisRunStatus?, now: Date) -> AnalysisRunDecision {
        var st = status ?? AnalysisRunStatus()
        if st.startedAt == nil { st.startedAt = CanaryMetricEvaluator.rfc3339(now) }
        if let phase = st.phase, phase.isCompleted {
            return AnalysisRunDecision(status: st, due: [], nextMeasurementAt: nil)
        }
        let problems = validate(spec)
        if !problems.isEmpty {
            st.phase = .error
            st.message = problems.joined(separator: "; ")
            return AnalysisRunDecision(status: st, due: [], nextMeasurementAt: nil)
        }
        let started = parseDate(st.startedAt) ?? now
        var results: [AnalysisMetricResult] = spec.metrics.map { m in
            var r = st.metricResults?.first { $0.name == m.name } ?? AnalysisMetricResult(name: m.name, phase: .pending)
            r.dryRun = isDryRun(m.name, spec) ? true : nil
            return r
        }
        // Argo: a metric that failed, errored or was inconclusive ends the whole run.
        var terminating = spec.terminate == true
        for (i, m) in spec.metrics.enumerated() {
            let (p, _) = assess(m, results[i], terminating: false)
            if results[i].dryRun != true, [.failed, .error, .inconclusive].contains(p) { terminating = true }
        }
        var due: [String] = []
        var next: Date?
        var summary = AnalysisRunSummary(count: 0), drySummary = AnalysisRunSummary(count: 0)
        var worst: (AnalysisPhase, String)?
        var allDone = true
        for (i, m) in spec.metrics.enumerated() {
            let (phase, why) = assess(m, results[i], terminating: terminating)
            results[i].phase = phase
            results[i].message = why
            let isDry = results[i].dryRun == true
            if isDry { tally(&drySummary, phase) } else { tally(&summary, phase) }
            if !phase.isCompleted {
                allDone = false
                if !terminating, phase != .running || results[i].measurements?.last?.phase != .running,
                   let t = nextTime(m, results[i], runStarted: started) {
                    if t <= now { due.append(m.name) } else { next = min(next ?? t, t) }
                }
            } else if !isDry, severity(phase) > severity(worst?.0 ?? .successful) || worst == nil {
                worst = (phase, "metric \"\(m.name)\" assessed \(phase.rawValue)" + (why.map { " due to \($0)" } ?? ""))
            }
        }
        st.metricResults = results
        st.runSummary = summary
        st.dryRunSummary = drySummary.count > 0 ? drySummary : nil
        if allDone || terminating && due.isEmpty && !results.contains(where: { $0.measurements?.last?.phase == .running }) {
            let final = worst ?? (.successful, "")
            st.phase = final.0
            st.message = final.0 == .successful ? (spec.terminate == true ? "run terminated" : nil) : final.1
            return AnalysisRunDecision(status: st, due: [], nextMeasurementAt: nil)
        }
        st.phase = .running
        st.message = nil
        return AnalysisRunDecision(status: st, due: due, nextMeasurementAt: due.isEmpty ? next : now)
    }

    static func tally(_ s: inout AnalysisRunSummary, _ p: AnalysisPhase) {
        s.count += 1
        switch p {
        case .successful: s.successful += 1
        case .failed: s.failed += 1
        case .inconclusive: s.inconclusive += 1
        case .error: s.error += 1
        default: break
        }
    }

    /// Adds a finished measurement to a metric's result: counts, error streak, retention.
    public static func record(_ m: AnalysisMeasurement, metric name: String, spec: AnalysisRunSpec,
                              status: AnalysisRunStatus) -> AnalysisRunStatus {
        var st = status
        var results = st.metricResults ?? []
        var i = results.firstIndex { $0.name == name }
        if i == nil {
            results.append(AnalysisMetricResult(name: name, phase: .running))
            i = results.count - 1
        }
        var r = results[i!]
        var ms = r.measurements ?? []
        ms.append(m)
        let keep = max(1, retention(name, spec))
        if ms.count > keep { ms.removeFirst(ms.count - keep) }
        r.measurements = ms
        switch m.phase {
        case .successful: r.successful = (r.successful ?? 0) + 1
        case .failed: r.failed = (r.failed ?? 0) + 1
        case .inconclusive: r.inconclusive = (r.inconclusive ?? 0) + 1
        case .error: r.error = (r.error ?? 0) + 1
        default: break
        }
        if m.phase == .error {
            r.consecutiveError = (r.consecutiveError ?? 0) + 1
        } else if m.phase.isCompleted {
            r.consecutiveError = 0
            r.count = (r.count ?? 0) + 1
        }
        results[i!] = r
        st.metricResults = results
        return st
    }

    /// A measurement's phase from its value and the conditions (Argo's rules): failure
    /// wins; a false success condition alone is a failure; both false is inconclusive; no
    /// conditions is success. An evaluation error is an Error measurement.
    public static func judge(value: ExprValue, successCondition: String?, failureCondition: String?)
        -> (AnalysisPhase, String) {
        func run(_ text: String?) -> Result<Bool, ExprEvalError>? {
            guard let text, !text.trimmingCharacters(in: .whitespaces).isEmpty else { return nil }
            do {
                return try ConditionExpression(text).evaluateCondition(result: value)
            } catch {
                return .failure(ExprEvalError(message: "cannot parse \"\(text)\": \(error.description)"))
            }
        }
        let success = run(successCondition), failure = run(failureCondition)
        if case .failure(let e)? = failure { return (.error, "failureCondition: \(e.message)") }
        if case .failure(let e)? = success { return (.error, "successCondition: \(e.message)") }
        let s = try? success?.get(), f = try? failure?.get()
        switch (s, f) {
        case (nil, nil): return (.successful, "no conditions")
        case (_, true?): return (.failed, "failureCondition \"\(failureCondition!)\" is true for \(value)")
        case (true?, _): return (.successful, "successCondition \"\(successCondition!)\" is true for \(value)")
        case (false?, nil): return (.failed, "successCondition \"\(successCondition!)\" is false for \(value)")
        case (false?, false?): return (.inconclusive, "neither condition is true for \(value)")
        case (nil, false?): return (.successful, "failureCondition \"\(failureCondition!)\" is false for \(value)")
        }
    }
}
