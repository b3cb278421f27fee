import Foundation
import KubeCore
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

    /// Longest `interval` or `initialDelay` accepted: a run that waits longer than a day
    /// between measurements is a typo (e.g. `99999999999999999h`), never an analysis.
    public static let maxDelaySeconds = 86_400.0

    /// Problems with a spec, each naming the metric and the field (`metric "x" count: …`) and,
    /// for new checks, the fix; condition parse errors carry the position. Values that come
    /// from literal args are checked after substitution; Secret-sourced ones stay placeholders.
    public static func validate(_ spec: AnalysisRunSpec) -> [String] {
        var problems: [String] = []
        var names = Set<String>()
        if spec.metrics.isEmpty { problems.append("no metrics") }
        let declared = Set((spec.args ?? []).map(\.name))
        let known = knownArgs(spec)
        for raw in spec.metrics {
            if !names.insert(raw.name).inserted { problems.append("metric \"\(raw.name)\" is defined twice") }
            problems += placeholderProblems(raw, declared: declared)
            let m: AnalysisMetric
            do { m = try substitutingKnown(raw, known: known) } catch {
                problems.append(error.message)
                m = raw
            }
            for (field, text) in [("successCondition", m.successCondition), ("failureCondition", m.failureCondition)] {
                guard let text, !text.isEmpty else { continue }
                // A placeholder left (a Secret-sourced arg) is substituted when measuring.
                let probe = text.contains("{{") ? "true" : text
                do {
                    // A name the evaluator does not bind fails every measurement: report it now.
                    for u in try ConditionExpression(probe).unknownNames {
                        let what = u.isFunction ? "function" : "name"
                        let hint = u.suggestion.map { "; did you mean \($0)?" } ?? "; a condition knows result and the functions "
                            + ConditionExpression.knownFunctions.sorted().joined(separator: ", ")
                        problems.append("metric \"\(m.name)\" \(field): unknown \(what) \"\(u.name)\" at position \(u.position)\(hint)")
                    }
                } catch {
                    problems.append("metric \"\(m.name)\" \(field): \(error.description)")
                }
            }
            for (field, text) in [("interval", m.interval), ("initialDelay", m.initialDelay)] {
                guard let text, !text.contains("{{") else { continue }
                let seconds: Double
                do { seconds = try DurationString.seconds(text) } catch where error.tooLong {
                    seconds = .infinity  // well formed: the limit below says what to write
                } catch {
                    problems.append("metric \"\(m.name)\" \(field): invalid duration \"\(text)\"")
                    continue
                }
                if seconds > maxDelaySeconds {
                    problems.append("metric \"\(m.name)\" \(field): \(text) is longer than the 24h limit; use at most 24h, e.g. 60s or 5m")
                }
            }
            let integers: [(String, AnalysisIntOrString?, AnalysisIntOrString?, String)] = [
                ("count", m.count, raw.count, "write the number of measurements, e.g. 5 (0 measures until the run is terminated)"),
                ("failureLimit", m.failureLimit, raw.failureLimit, "write how many failed measurements to tolerate, e.g. 0 or 2"),
                ("inconclusiveLimit", m.inconclusiveLimit, raw.inconclusiveLimit,
                 "write how many inconclusive measurements to tolerate, e.g. 0 or 1"),
                ("consecutiveErrorLimit", m.consecutiveErrorLimit, raw.consecutiveErrorLimit,
                 "write how many errors in a row to tolerate, e.g. \(AnalysisMetric.defaultConsecutiveErrorLimit) (the default)"),
            ]
            for (field, value, written, fix) in integers {
                if let why = integerProblem(value, written: written) {
                    problems.append("metric \"\(m.name)\" \(field): \(why); \(fix)")
                }
            }
            if let c = m.count?.intValue, c > 1, m.interval == nil {
                problems.append("metric \"\(m.name)\": count \(c) needs an interval")
            }
            problems += providerProblems(m)
            if let r = m.provider.prometheus?.rangeQuery {
                problems += PrometheusRange.problems(r).map { "metric \"\(m.name)\" provider.prometheus.\($0)" }
            }
            for (key, auth) in [("prometheus", m.provider.prometheus?.authentication), ("compare", m.provider.compare?.authentication)] {
                for field in ["roleArn", "profile"] where !(auth?.sigv4?[field].stringValue ?? "").isEmpty {
                    problems.append("metric \"\(m.name)\" provider.\(key).authentication.sigv4.\(field): is not supported by Serin yet; remove it and give the operator AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
                }
            }
            if raw.consecutiveSuccessLimit != nil {
                problems.append("metric \"\(m.name)\" consecutiveSuccessLimit: ending a metric early after consecutive successes is not supported by Serin yet; remove it and bound the metric with count")
            }
        }
        if spec.ttlStrategy != nil {
            problems.append("spec.ttlStrategy: deleting the run a while after it completes is not supported by Serin yet; remove ttlStrategy and delete finished runs yourself")
        }
        return problems
    }

    /// Argo's IntOrString: an integer, or a string that is one (after args are substituted).
    /// A placeholder still standing is a Secret-sourced arg, known only when measuring.
    static func integerProblem(_ value: AnalysisIntOrString?, written: AnalysisIntOrString?) -> String? {
        switch value {
        case nil:
            return nil
        case .int(let i)?:
            return i < 0 ? "\(i) is negative" : nil
        case .string(let s)?:
            if s.contains("{{") { return nil }
            let from = value != written ? " (from \(written.map(describe) ?? ""))" : ""
            guard let i = Int(s.trimmingCharacters(in: .whitespaces)) else { return "\"\(s)\"\(from) is not a whole number" }
            return i < 0 ? "\(i)\(from) is negative" : nil
        }
    }

    static func describe(_ v: AnalysisIntOrString) -> String {
        switch v {
        case .int(let i): return "\(i)"
        case .string(let s): return "\"\(s)\""
        }
    }

    /// Every text of a metric where a placeholder can stand, by the field name a user sees.
    static func placeholderFields(_ m: AnalysisMetric) -> [(String, String)] {
        func text(_ v: AnalysisIntOrString?) -> String? { if case .string(let s)? = v { s } else { nil } }
        let p = m.provider.prometheus, c = m.provider.compare
        let fields: [(String, String?)] = [
            ("query", p?.query), ("canaryQuery", c?.canaryQuery), ("baselineQuery", c?.baselineQuery),
            ("address", p?.address ?? c?.address), ("window", c?.window), ("step", c?.step),
            ("successCondition", m.successCondition), ("failureCondition", m.failureCondition),
            ("interval", m.interval), ("initialDelay", m.initialDelay), ("count", text(m.count)),
            ("failureLimit", text(m.failureLimit)), ("inconclusiveLimit", text(m.inconclusiveLimit)),
            ("consecutiveErrorLimit", text(m.consecutiveErrorLimit)),
        ] + ((p?.headers ?? c?.headers) ?? []).map { ("headers", $0.value) }
        return fields.compactMap { f in f.1.map { (f.0, $0) } }
    }

    /// Placeholders not closed, and `{{args.X}}` naming an argument the spec does not declare
    /// (substitution would fail at every measurement, so the run would only ever error).
    static func placeholderProblems(_ m: AnalysisMetric, declared: Set<String>) -> [String] {
        var problems: [String] = []
        for (field, text) in placeholderFields(m) {
            let scan = scanPlaceholders(text)
            if let at = scan.unclosedAt {
                problems.append("metric \"\(m.name)\" \(field): placeholder \"{{\" at position \(at) is not closed; "
                    + "end it with \"}}\", e.g. {{args.NAME}}")
            }
            for name in scan.args where !declared.contains(name) {
                problems.append("metric \"\(m.name)\" \(field): argument \"\(name)\" is not declared in args; "
                    + "declare it or fix the placeholder")
            }
        }
        return problems
    }

    /// The `{{args.X}}` names in a text (in order, once each) and the 1-based position of the
    /// first `{{` that has no `}}` of its own (none after it, or another `{{` before it).
    static func scanPlaceholders(_ text: String) -> (args: [String], unclosedAt: Int?) {
        let chars = Array(text)
        var args: [String] = []
        var i = 0
        while i + 1 < chars.count {
            guard chars[i] == "{", chars[i + 1] == "{" else { i += 1; continue }
            var j = i + 2
            while j + 1 < chars.count, !(chars[j] == "}" && chars[j + 1] == "}"), !(chars[j] == "{" && chars[j + 1] == "{") { j += 1 }
            guard j + 1 < chars.count, chars[j] == "}" else { return (args, i + 1) }
            var key = String(chars[(i + 2)..<j]).trimmingCharacters(in: .whitespaces)
            if key.hasPrefix(".") { key.removeFirst() }
            if key.hasPrefix("args.") {
                let name = String(key.dropFirst(5))
                if !args.contains(name) { args.append(name) }
            }
            i = j + 2
        }
        return (args, nil)
    }

    /// Values of args given literally (`value:`); Secret and fieldRef values are not known here.
    static func knownArgs(_ spec: AnalysisRunSpec) -> [String: String] {
        var known: [String: String] = [:]
        for a in spec.args ?? [] { if let v = a.value { known[a.name] = v } }
        return known
    }

    /// The metric with literal args substituted; other placeholders stay as written.
    static func substitutingKnown(_ m: AnalysisMetric, known: [String: String]) throws(AnalysisArguments.ArgumentError) -> AnalysisMetric {
        // Every string of the metric, not only the fields checked above: a Secret-sourced arg
        // may stand anywhere (e.g. authentication.oauth2.clientSecret) and stays a placeholder.
        let referenced = (placeholderFields(m).map(\.1) + allStrings(m)).flatMap { scanPlaceholders($0).args }
        guard !referenced.isEmpty else { return m }
        var values = known
        for name in referenced where values[name] == nil { values[name] = "{{args.\(name)}}" }
        return try AnalysisArguments.substitute(m, args: values)
    }

    /// Every string value in the metric as encoded (provider settings included).
    static func allStrings(_ m: AnalysisMetric) -> [String] {
        guard let json = try? JSONValue(encoding: m) else { return [] }
        var out: [String] = []
        func collect(_ v: JSONValue) {
            switch v {
            case .string(let s): if s.contains("{{") { out.append(s) }
            case .array(let a): a.forEach(collect)
            case .object(let o): o.values.forEach(collect)
            default: break
            }
        }
        collect(json)
        return out
    }

    /// The spec with literal args substituted in its metrics, so a count or interval given
    /// as `{{args.X}}` schedules the run (the measurer substitutes again, Secrets included).
    static func withKnownArgs(_ spec: AnalysisRunSpec) -> AnalysisRunSpec {
        let known = knownArgs(spec)
        var out = spec
        out.metrics = spec.metrics.map { (try? substitutingKnown($0, known: known)) ?? $0 }
        return out
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
        let done = (count > 0 && (r.count ?? 0) >= count) || terminating
        // A check that never ran is not a pass (argo-rollouts#4479: Successful with every
        // measurement in Error, because the errors never ran in a row past the limit).
        if done, (r.error ?? 0) > 0, (r.successful ?? 0) == 0 {
            let last = measurements.last?.message.map { "; the last: \($0)" } ?? ""
            return (.error, "every measurement (\(r.error ?? 0)) ended in Error, so the metric was never measured\(last)")
        }
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
        let base = KubeTime.parse(last.finishedAt) ?? KubeTime.parse(last.startedAt) ?? runStarted
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
        if st.startedAt == nil { st.startedAt = KubeTime.format(now) }
        if let phase = st.phase, phase.isCompleted {
            return AnalysisRunDecision(status: st, due: [], nextMeasurementAt: nil)
        }
        let problems = validate(spec)
        if !problems.isEmpty {
            st.phase = .error
            st.message = problems.joined(separator: "; ")
            return AnalysisRunDecision(status: st, due: [], nextMeasurementAt: nil)
        }
        let spec = withKnownArgs(spec)
        let started = KubeTime.parse(st.startedAt) ?? now
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
