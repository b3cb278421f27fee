import Foundation
import Metrics
import SerinAPI

/// The operator's own metrics about each Canary (labels `namespace`, `name`).
enum CanaryMetrics {
    /// Records the state a reconcile left the Canary in. `releaseSeconds` is set when a release
    /// just finished (Succeeded or Failed): how long its analysis took.
    static func record(namespace: String, name: String, status: CanaryStatus, releaseSeconds: Double?) {
        let dims = [("namespace", namespace), ("name", name)]
        if let phase = status.phase {
            Gauge(label: "serin_canary_status", dimensions: dims).record(phase.metricValue)
        }
        Gauge(label: "serin_canary_weight", dimensions: dims).record(status.canaryWeight ?? 0)
        Gauge(label: "serin_canary_failed_checks", dimensions: dims).record(status.failedChecks ?? 0)
        for r in status.metricResults ?? [] {
            guard let v = r.value, v.isFinite else { continue }
            Gauge(label: "serin_canary_metric_analysis", dimensions: dims + [("metric", r.name)]).record(v)
        }
        if let s = releaseSeconds {
            Recorder(label: "serin_canary_duration_seconds", dimensions: dims, aggregate: true).record(s)
        }
    }
}
