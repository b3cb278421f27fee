import KubeCore
import SerinAPI

/// How long an analysis (AnalysisTemplate metrics) takes to succeed, and how soon it can fail,
/// under Argo's measurement rules: the first measurement after initialDelay, then one per
/// interval until `count`; a metric fails once more than failureLimit measurements failed.
struct AnalysisTiming: Sendable, Equatable {
    /// Seconds until every metric has taken its `count` measurements; nil when a metric
    /// measures until the run is terminated.
    var completes: Double?
    /// Seconds until the earliest possible failure.
    var failsAt: Double

    static func of(_ metrics: [AnalysisMetric]) -> AnalysisTiming {
        var completes: Double? = 0
        var failsAt = Double.infinity
        for m in metrics {
            let interval = GoDuration.secondsOrNil(m.interval) ?? 0
            let delay = GoDuration.secondsOrNil(m.initialDelay) ?? 0
            let count = m.count?.intValue ?? (m.interval == nil ? 1 : nil)
            let limit = m.failureLimit?.intValue ?? 0
            if let c = count {
                if let done = completes { completes = max(done, delay + Double(max(c, 1) - 1) * interval) }
                if limit >= 0, limit < max(c, 1) { failsAt = min(failsAt, delay + Double(limit) * interval) }
            } else {
                completes = nil
                if limit >= 0 { failsAt = min(failsAt, delay + Double(limit) * interval) }
            }
        }
        return AnalysisTiming(completes: completes, failsAt: failsAt)
    }

    /// `5 measurements over 4m` style summary.
    var text: String {
        let done = completes.map { "passes after \(HumanDuration.offset($0))" } ?? "measures until the step ends"
        let fail = failsAt.isFinite ? "can fail after \(HumanDuration.offset(failsAt))" : "cannot fail"
        return "\(done), \(fail)"
    }
}
