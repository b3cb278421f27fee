import Foundation
import KubeCore
import SerinAPI

/// The plan a Rollout follows, step by step with times, from its spec and the analysis
/// templates found beside it. Manual pauses are counted as promoted at once.
struct RolloutSchedule {
    struct Row: Sendable, Hashable {
        var seconds: Double
        var step: String
        var traffic: String
        var note: String
    }

    var rows: [Row] = []
    /// Shortest time to full promotion; nil when a step never ends on its own.
    var promotion: Double?
    var manualGates = 0
    /// Earliest automatic rollback and what causes it; nil when nothing rolls back by itself.
    var rollback: (seconds: Double, cause: String)?
    var unknowns: [String] = []

    init(rollout: JSONValue, templates: [String: AnalysisTemplateSpec], readySeconds: Double) {
        let strategy = rollout["spec"]["strategy"]
        if strategy["blueGreen"] != .null {
            blueGreen(strategy["blueGreen"], templates: templates, ready: readySeconds)
        } else {
            canary(strategy["canary"], templates: templates, ready: readySeconds)
        }
    }

    /// The analysis templates a step or promotion analysis names, merged.
    mutating func timing(_ analysis: JSONValue, templates: [String: AnalysisTemplateSpec]) -> AnalysisTiming? {
        var metrics: [AnalysisMetric] = []
        for ref in analysis["templates"].arrayValue ?? [] {
            let name = ref["templateName"].stringValue ?? ""
            let key = ref["clusterScope"].boolValue == true ? "cluster/\(name)" : name
            guard let t = templates[key] ?? templates[name] else {
                unknowns.append("analysis template \(name) is not in the file: its duration is unknown")
                return nil
            }
            metrics += t.metrics
        }
        return AnalysisTiming.of(metrics)
    }

    mutating func noteRollback(_ at: Double, _ cause: String) {
        if rollback == nil || at < rollback!.seconds { rollback = (at, cause) }
    }

    mutating func canary(_ c: JSONValue, templates: [String: AnalysisTemplateSpec], ready: Double) {
        let steps = c["steps"].arrayValue ?? []
        var t = ready
        var weight = 0
        rows.append(Row(seconds: 0, step: "-", traffic: "0%", note: "new ReplicaSet created" + (ready > 0 ? ", ready after \(HumanDuration.offset(ready))" : "")))
        var endless = false
        if c["analysis"] != .null, let timing = timing(c["analysis"], templates: templates) {
            let startIndex = c["analysis"]["startingStep"].intValue ?? 0
            rows.append(Row(seconds: t, step: "-", traffic: "", note: "background analysis from step \(startIndex + 1): \(timing.text)"))
        }
        for (i, step) in steps.enumerated() {
            let label = "\(i + 1). \(RolloutStepText.describe(step))"
            if let w = step["setWeight"].intValue {
                weight = w
                rows.append(Row(seconds: t, step: label, traffic: "\(w)%", note: "canary gets \(w)% of traffic"))
            } else if step["pause"] != .null {
                if let d = RolloutStepText.durationText(step["pause"]["duration"]), let secs = GoDuration.secondsOrNil(d) {
                    rows.append(Row(seconds: t, step: label, traffic: "\(weight)%", note: "waits \(HumanDuration.offset(secs))"))
                    t += secs
                } else {
                    manualGates += 1
                    rows.append(Row(seconds: t, step: label, traffic: "\(weight)%", note: "waits for `serin promote` (counted as at once)"))
                }
            } else if step["analysis"] != .null {
                if let timing = timing(step["analysis"], templates: templates) {
                    if timing.failsAt.isFinite { noteRollback(t + timing.failsAt, "analysis at step \(i + 1) fails its first measurement") }
                    rows.append(Row(seconds: t, step: label, traffic: "\(weight)%", note: timing.text))
                    if let done = timing.completes { t += done } else { endless = true }
                } else {
                    rows.append(Row(seconds: t, step: label, traffic: "\(weight)%", note: "duration unknown"))
                }
            } else {
                rows.append(Row(seconds: t, step: label, traffic: "\(weight)%", note: ""))
            }
        }
        rows.append(Row(seconds: t, step: "done", traffic: "100%", note: "the canary becomes stable"))
        let delay = Double(c["scaleDownDelaySeconds"].intValue ?? 30)
        rows.append(Row(seconds: t + delay, step: "-", traffic: "100%", note: "old ReplicaSet scaled down (scaleDownDelaySeconds \(Int(delay)))"))
        promotion = endless || !unknowns.isEmpty ? nil : t
    }

    mutating func blueGreen(_ b: JSONValue, templates: [String: AnalysisTemplateSpec], ready: Double) {
        let active = b["activeService"].stringValue ?? "active"
        let preview = b["previewService"].stringValue ?? "preview"
        rows.append(Row(seconds: 0, step: "preview", traffic: "active: old", note: "new ReplicaSet behind \(preview)"))
        var t = ready
        var known = true
        if ready > 0 { rows.append(Row(seconds: t, step: "preview", traffic: "active: old", note: "preview ready")) }
        if b["prePromotionAnalysis"] != .null {
            if let timing = timing(b["prePromotionAnalysis"], templates: templates) {
                if timing.failsAt.isFinite { noteRollback(t + timing.failsAt, "pre-promotion analysis fails its first measurement") }
                rows.append(Row(seconds: t, step: "pre-promotion analysis", traffic: "active: old", note: timing.text))
                if let done = timing.completes { t += done } else { known = false }
            } else {
                known = false
            }
        }
        if b["autoPromotionEnabled"].boolValue == false {
            manualGates += 1
            rows.append(Row(seconds: t, step: "pause", traffic: "active: old", note: "waits for `serin promote` (counted as at once)"))
        } else if let secs = b["autoPromotionSeconds"].intValue {
            rows.append(Row(seconds: t, step: "pause", traffic: "active: old", note: "promotes automatically after \(secs)s"))
            t += Double(secs)
        }
        rows.append(Row(seconds: t, step: "switch", traffic: "active: new", note: "\(active) selects the new ReplicaSet"))
        if b["postPromotionAnalysis"] != .null {
            if let timing = timing(b["postPromotionAnalysis"], templates: templates) {
                if timing.failsAt.isFinite {
                    noteRollback(t + timing.failsAt, "post-promotion analysis fails its first measurement; \(active) switches back")
                }
                rows.append(Row(seconds: t, step: "post-promotion analysis", traffic: "active: new", note: timing.text))
                if let done = timing.completes { t += done } else { known = false }
            } else {
                known = false
            }
        }
        rows.append(Row(seconds: t, step: "done", traffic: "active: new", note: "promoted"))
        let delay = Double(b["scaleDownDelaySeconds"].intValue ?? 30)
        rows.append(Row(seconds: t + delay, step: "-", traffic: "active: new", note: "old ReplicaSet scaled down (scaleDownDelaySeconds \(Int(delay)))"))
        promotion = known ? t : nil
    }
}
