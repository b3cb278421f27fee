import SerinAPI

/// The one-line Event message for an AnalysisRun entering a phase: which metric decided it,
/// its value and the condition, e.g.
/// `AnalysisRun order-service-analysis-x Failed: success-rate 0.9 (result[0] >= 0.95 is false)`.
enum AnalysisRunEventText {
    static func message(run: String, spec: AnalysisRunSpec, status: AnalysisRunStatus) -> String {
        let phase = status.phase ?? .pending
        let head = "AnalysisRun \(run) \(phase.rawValue)"
        let results = status.metricResults ?? []
        switch phase {
        case .pending, .running:
            return head + ": measuring " + spec.metrics.map(\.name).joined(separator: ", ")
        case .successful:
            let parts = results.map { r in "\(r.name) \(r.successful ?? 0)/\(r.count ?? 0) successful" }
            let what = parts.isEmpty ? "no metrics" : parts.joined(separator: ", ")
            return head + (spec.terminate == true ? ": terminated; " : ": ") + what
        case .failed, .inconclusive:
            let deciding = results.filter { $0.phase == phase && $0.dryRun != true }
            let parts = deciding.map { r in describe(r, metric: spec.metrics.first { $0.name == r.name }) }
            return head + ": " + (parts.isEmpty ? (status.message ?? "") : parts.joined(separator: "; "))
        case .error:
            return head + ": " + (status.message ?? "error")
        }
    }

    /// `success-rate 0.9 (result[0] >= 0.95 is false)` from the metric's last measurement of
    /// that outcome; the metric's own message when none is retained.
    static func describe(_ r: AnalysisMetricResult, metric: AnalysisMetric?) -> String {
        guard let m = r.measurements?.last(where: { $0.phase == r.phase }) else {
            return "\(r.name): \(r.message ?? r.phase.rawValue)"
        }
        let value = m.value.map(unwrapped) ?? "no value"
        let success = metric?.successCondition.flatMap { $0.isEmpty ? nil : $0 }
        let failure = metric?.failureCondition.flatMap { $0.isEmpty ? nil : $0 }
        let condition: String
        switch m.phase {
        case .failed where (m.message ?? "").hasPrefix("failureCondition") && failure != nil:
            condition = "\(failure!) is true"
        case .failed where success != nil:
            condition = "\(success!) is false"
        case .inconclusive where success != nil && failure != nil:
            condition = "neither \(success!) nor \(failure!) is true"
        default:
            condition = m.message ?? m.phase.rawValue
        }
        return "\(r.name) \(value) (\(condition))"
    }

    /// A one-element vector reads as its number: `[0.9]` → `0.9`.
    static func unwrapped(_ value: String) -> String {
        guard value.hasPrefix("["), value.hasSuffix("]") else { return value }
        let inner = value.dropFirst().dropLast()
        return inner.contains(",") || inner.isEmpty ? value : String(inner)
    }
}
