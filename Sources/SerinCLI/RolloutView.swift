import Foundation
import KubeCore
import SerinAPI

/// `serin status` for a Rollout: phase, step, traffic, replicas, pauses and analysis runs.
enum RolloutView {
    /// The canary's traffic weight as Argo shows it: 100 once the current revision is stable,
    /// else what status reports, else the weight the steps have set so far; nil for blue-green.
    static func canaryWeight(_ o: JSONValue) -> Int? {
        if isComplete(o), o["spec"]["strategy"]["canary"] != .null { return 100 }
        if let w = o["status"]["canary"]["weights"]["canary"]["weight"].intValue { return w }
        guard let steps = o["spec"]["strategy"]["canary"]["steps"].arrayValue else { return nil }
        return RolloutStepText.setWeight(steps: steps, index: o["status"]["currentStepIndex"].intValue ?? 0)
    }

    /// The current revision is the stable one: no update under way.
    static func isComplete(_ o: JSONValue) -> Bool {
        let s = o["status"]
        guard let current = s["currentPodHash"].stringValue else { return false }
        return current == s["stableRS"].stringValue
    }

    static func render(_ o: JSONValue, runs: [JSONValue], now: Date) -> String {
        let s = o["status"]
        let name = o["metadata"]["name"].stringValue ?? ""
        let namespace = o["metadata"]["namespace"].stringValue ?? ""
        var fields: [(String, String)] = [("Rollout", "\(namespace)/\(name)")]
        let canary = o["spec"]["strategy"]["canary"]
        let blueGreen = o["spec"]["strategy"]["blueGreen"]
        if blueGreen != .null {
            var text = "blue-green: active \(blueGreen["activeService"].stringValue ?? "?"), preview \(blueGreen["previewService"].stringValue ?? "-")"
            if blueGreen["autoPromotionEnabled"].boolValue == false {
                text += ", manual promotion"
            } else if let secs = blueGreen["autoPromotionSeconds"].intValue {
                text += ", promotes \(secs)s after the preview is ready"
            }
            fields.append(("Strategy", text))
        } else if canary != .null {
            fields.append(("Strategy", "canary, \(canary["steps"].arrayValue?.count ?? 0) steps"))
        }
        var phase = s["phase"].stringValue ?? "Unknown (not reconciled yet)"
        if s["abort"].boolValue == true { phase += ", aborted (serin retry to start again)" }
        if o["spec"]["paused"].boolValue == true { phase += ", spec.paused" }
        if o["metadata"]["annotations"][ManualControlAnnotations.paused].stringValue == "true" {
            phase += ", paused (serin resume to continue)"
        }
        fields.append(("Phase", phase))
        if let m = s["message"].stringValue, !m.isEmpty { fields.append(("Message", m)) }

        let steps = canary["steps"].arrayValue
        if let steps {
            let index = s["currentStepIndex"].intValue ?? 0
            let current = index < steps.count ? RolloutStepText.describe(steps[index]) : "done"
            fields.append(("Step", "\(min(index, steps.count))/\(steps.count) (\(current))"))
        }
        if let w = canaryWeight(o) {
            let split = isComplete(o) ? "100% on the current revision, which is stable" : "\(w)% canary, \(100 - w)% stable"
            fields.append(("Weight", "\(ProgressBar.render(percent: w)) \(split)"))
        }
        var revisions: [String] = []
        if let h = s["currentPodHash"].stringValue { revisions.append("current \(h)") }
        if let h = s["stableRS"].stringValue { revisions.append("stable \(h)") }
        if !revisions.isEmpty { fields.append(("Revision", revisions.joined(separator: ", "))) }
        if blueGreen != .null {
            let active = s["blueGreen"]["activeSelector"].stringValue ?? "-"
            let preview = s["blueGreen"]["previewSelector"].stringValue ?? "-"
            fields.append(("Selectors", "active \(active), preview \(preview)"))
        }
        let counts = ["replicas", "updatedReplicas", "readyReplicas", "availableReplicas"].map { s[$0].intValue ?? 0 }
        fields.append(("Replicas", "desired \(o["spec"]["replicas"].intValue ?? 1), current \(counts[0]), updated \(counts[1]), ready \(counts[2]), available \(counts[3])"))
        for p in s["pauseConditions"].arrayValue ?? [] {
            let since = HumanDuration.age(p["startTime"].stringValue, now: now)
            fields.append(("Paused", "\(p["reason"].stringValue ?? "?") for \(since) (serin promote to continue)"))
        }
        if let c = s["conditions"].arrayValue, !c.isEmpty {
            fields.append(("Conditions", c.map {
                "\($0["type"].stringValue ?? "?")=\($0["status"].stringValue ?? "?") (\($0["reason"].stringValue ?? ""))"
            }.joined(separator: ", ")))
        }
        var out = FieldList.render(fields)
        if let steps, !steps.isEmpty {
            let index = s["currentStepIndex"].intValue ?? 0
            out += "\nSteps:\n"
            for (i, step) in steps.enumerated() {
                let mark = i < index ? "✓" : (i == index ? "→" : " ")
                out += "  \(mark) \(i + 1). \(RolloutStepText.describe(step))\n"
            }
        }
        out += "\n" + analysisRuns(runs, now: now)
        return out
    }

    /// The newest analysis runs with each metric's last measurement against its conditions.
    static func analysisRuns(_ runs: [JSONValue], now: Date, limit: Int = 3) -> String {
        guard !runs.isEmpty else { return "Analysis runs: <none>\n" }
        let sorted = runs.sorted {
            ($0["metadata"]["creationTimestamp"].stringValue ?? "") < ($1["metadata"]["creationTimestamp"].stringValue ?? "")
        }.suffix(limit)
        var out = "Analysis runs:\n"
        for run in sorted {
            let age = HumanDuration.age(run["metadata"]["creationTimestamp"].stringValue, now: now)
            out += "  \(run["metadata"]["name"].stringValue ?? "?")   \(run["status"]["phase"].stringValue ?? "Pending")   \(age) ago\n"
            let specs = run["spec"]["metrics"].arrayValue ?? []
            var table = TextTable(["METRIC", "LAST VALUE", "CONDITION", "VERDICT", "MEASURED"])
            for m in specs {
                let name = m["name"].stringValue ?? "?"
                let result = (run["status"]["metricResults"].arrayValue ?? []).first { $0["name"].stringValue == name }
                let last = result?["measurements"].arrayValue?.last
                var condition = m["successCondition"].stringValue.map { "success: \($0)" } ?? ""
                if let f = m["failureCondition"].stringValue { condition += (condition.isEmpty ? "" : "; ") + "failure: \(f)" }
                let measured = result.map { r in
                    "\(r["count"].intValue ?? 0) (\(r["successful"].intValue ?? 0) ok, \(r["failed"].intValue ?? 0) failed)"
                } ?? "0"
                table.add([name, last?["value"].stringValue ?? "-", condition.isEmpty ? "-" : condition,
                           result?["phase"].stringValue ?? "Pending", measured])
            }
            out += table.render(indent: "    ")
        }
        return out
    }
}
