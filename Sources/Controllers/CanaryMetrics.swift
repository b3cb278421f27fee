import Foundation
import KubeRuntime
import Metrics
import SerinAPI
import Synchronization

/// The operator's own metrics about each Canary (labels `namespace`, `name`; `metric` for the
/// last check's value). Remembers which series it created so they go away with the Canary.
final class CanaryMetrics: Sendable {
    private let checked = Mutex<[ObjectKey: Set<String>]>([:])

    static func dims(_ key: ObjectKey) -> [(String, String)] { [("namespace", key.namespace ?? ""), ("name", key.name)] }

    /// Records the state a reconcile left the Canary in. `releaseSeconds` is set when a release
    /// just finished (Succeeded or Failed): how long it took.
    func record(_ key: ObjectKey, status: CanaryStatus, releaseSeconds: Double?) {
        let dims = Self.dims(key)
        if let phase = status.phase {
            Gauge(label: "serin_canary_status", dimensions: dims).record(phase.metricValue)
        }
        Gauge(label: "serin_canary_weight", dimensions: dims).record(status.canaryWeight ?? 0)
        Gauge(label: "serin_canary_failed_checks", dimensions: dims).record(status.failedChecks ?? 0)
        var names: Set<String> = []
        for r in status.metricResults ?? [] {
            guard let v = r.value, v.isFinite else { continue }
            Gauge(label: "serin_canary_metric_analysis", dimensions: dims + [("metric", r.name)]).record(v)
            names.insert(r.name)
        }
        if !names.isEmpty { checked.withLock { $0[key, default: []].formUnion(names) } }
        if let s = releaseSeconds {
            Recorder(label: "serin_canary_duration_seconds", dimensions: dims, aggregate: true).record(s)
        }
    }

    /// Drops the series of a deleted Canary.
    func forget(_ key: ObjectKey) {
        let dims = Self.dims(key)
        for label in ["serin_canary_status", "serin_canary_weight", "serin_canary_failed_checks"] {
            Gauge(label: label, dimensions: dims).destroy()
        }
        let names = checked.withLock { $0.removeValue(forKey: key) } ?? []
        for n in names {
            Gauge(label: "serin_canary_metric_analysis", dimensions: dims + [("metric", n)]).destroy()
        }
    }
}
