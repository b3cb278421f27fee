import Foundation
import KubeCore
import SerinAPI

/// `serin status` for a Canary: where the release is, what it waits for, and why checks fail.
enum CanaryView {
    static func render(_ object: JSONValue, now: Date) -> String {
        let spec = (try? object["spec"].decode(as: CanarySpec.self))
        let status = (try? object["status"].decode(as: CanaryStatus.self)) ?? CanaryStatus()
        let analysis = spec?.effectiveAnalysis ?? CanaryAnalysis()
        let name = object["metadata"]["name"].stringValue ?? ""
        let namespace = object["metadata"]["namespace"].stringValue ?? ""
        var fields: [(String, String)] = [("Canary", "\(namespace)/\(name)")]

        if let spec {
            fields.append(("Target", "Deployment/\(spec.targetRef.name) (primary \(spec.primaryDeploymentName))"))
            fields.append(("Provider", spec.provider ?? "the operator's --provider (istio unless set)"))
            fields.append(("Plan", plan(analysis)))
        } else {
            fields.append(("Spec", "cannot be read (run `serin lint` on the manifest)"))
        }

        var phase = status.phase?.rawValue ?? "Unknown (not reconciled yet)"
        if let since = KubeTime.parse(status.lastTransitionTime) {
            phase += " for \(HumanDuration.format(now.timeIntervalSince(since)))"
        }
        if spec?.suspend == true { phase += ", suspended (spec.suspend)" }
        if object["metadata"]["annotations"][ManualControlAnnotations.paused].stringValue == "true" {
            phase += ", paused (serin resume to continue)"
        }
        fields.append(("Phase", phase))
        fields.append(contentsOf: traffic(status, analysis))
        let failed = status.failedChecks ?? 0
        var checks = "\(failed) of \(analysis.effectiveThreshold) (rolls back at \(analysis.effectiveThreshold))"
        let failing = (status.metricResults ?? []).filter { $0.verdict == .fail || $0.verdict == .error }.map(\.name)
        if !failing.isEmpty { checks += "; failing now: " + failing.joined(separator: ", ") }
        fields.append(("Failed checks", checks))
        if let w = status.waitingFor { fields.append(("Waiting for", w)) }
        if let h = status.handover {
            let what = h.kind == .rollback
                ? "rollback: traffic returns as \(spec?.targetRef.name ?? "the target")-primary scales to \(h.primaryReplicas ?? 0) replicas"
                : "promotion held: the canary serves until the primary is ready"
            let since = KubeTime.parse(h.since).map { " (for \(HumanDuration.format(now.timeIntervalSince($0))))" } ?? ""
            fields.append(("Handover", what + since))
        }
        if let m = status.message, !m.isEmpty { fields.append(("Message", m)) }
        if let c = status.conditions, !c.isEmpty {
            fields.append(("Conditions", c.map { "\($0.type)=\($0.status.rawValue) (\($0.reason))" }.joined(separator: ", ")))
        }

        var out = FieldList.render(fields)
        out += "\n" + metrics(spec: analysis.metrics ?? [], results: status.metricResults ?? [], now: now)
        return out
    }

    /// `canary: +5% every 1m up to 50%, rollback after 10 failed checks`.
    static func plan(_ a: CanaryAnalysis) -> String {
        let every = GoDuration.format(a.intervalSeconds)
        let rollback = "rollback after \(a.effectiveThreshold) failed check\(a.effectiveThreshold == 1 ? "" : "s")"
        switch a.strategy {
        case .canary:
            if let s = a.stepWeights, !s.isEmpty {
                return "canary: weights \(s.map(String.init).joined(separator: ", ")) every \(every), \(rollback)"
            }
            if let step = a.stepWeight {
                return "canary: +\(step)% every \(every) up to \(a.effectiveMaxWeight)%, \(rollback)"
            }
            return "no progressive plan (skipAnalysis or invalid spec)"
        case .blueGreen:
            return "blue/green: \(a.effectiveIterations) iterations of \(every) with no traffic to the canary, then switch; \(rollback)"
        case .abTesting:
            return "A/B: \(a.effectiveIterations) iterations of \(every), requests matching analysis.match go to the canary; \(rollback)"
        }
    }

    static func traffic(_ s: CanaryStatus, _ a: CanaryAnalysis) -> [(String, String)] {
        let weight = s.canaryWeight ?? 0
        switch a.strategy {
        case .canary:
            let plan = a.weightPlan
            let step: String
            if weight == 0 {
                step = "step 0/\(plan.count)"
            } else if let i = plan.firstIndex(of: weight) {
                step = "step \(i + 1)/\(plan.count)"
            } else {
                step = "off-plan"
            }
            let bar = ProgressBar.render(percent: weight, stop: a.effectiveMaxWeight)
            return [("Weight", "\(bar) \(weight)% canary, \(100 - weight)% primary (\(step), stops at \(a.effectiveMaxWeight)%)")]
        case .blueGreen, .abTesting:
            let done = s.iterations ?? 0
            let total = max(a.effectiveIterations, 1)
            let bar = ProgressBar.render(percent: done * 100 / total)
            let what = a.strategy == .blueGreen ? "\(weight)% canary traffic" : "matching requests to the canary"
            return [("Iterations", "\(bar) \(done)/\(a.effectiveIterations) (\(what))")]
        }
    }

    /// Each metric's last value against its threshold, with the verdict; metrics of the spec
    /// not checked yet are listed too.
    static func metrics(spec: [CanaryMetric], results: [MetricCheckResult], now: Date) -> String {
        guard !spec.isEmpty || !results.isEmpty else { return "Metrics: <none>\n" }
        let byName = Dictionary(results.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        var names = spec.map(\.name)
        names += results.map(\.name).filter { !names.contains($0) }
        var table = TextTable(["NAME", "VALUE", "THRESHOLD", "VERDICT", "DETAIL"])
        for name in names {
            if let r = byName[name] {
                let value = r.noData ? "no data" : r.value.map(NumberText.format) ?? "-"
                table.add([name, value, r.threshold.isEmpty ? "-" : r.threshold, r.verdict.rawValue, r.message])
            } else {
                let threshold = spec.first { $0.name == name }?.bounds.map(Self.threshold) ?? "-"
                table.add([name, "-", threshold, "-", "not checked yet"])
            }
        }
        let newest = results.compactMap { KubeTime.parse($0.checkedAt) }.max()
        let header = newest.map { "Metrics (last checked \(HumanDuration.format(now.timeIntervalSince($0))) ago):\n" } ?? "Metrics:\n"
        return header + table.render(indent: "  ")
    }

    static func threshold(_ r: ThresholdRange) -> String {
        switch (r.min, r.max) {
        case let (lo?, hi?): return "\(NumberText.format(lo))..\(NumberText.format(hi))"
        case let (lo?, nil): return ">= \(NumberText.format(lo))"
        case let (nil, hi?): return "<= \(NumberText.format(hi))"
        default: return "-"
        }
    }
}

/// `Label:   value` lines with the values aligned.
enum FieldList {
    static func render(_ fields: [(String, String)]) -> String {
        let width = (fields.map(\.0.count).max() ?? 0) + 2
        return fields.map { label, value in
            let head = label + ":"
            return head + String(repeating: " ", count: max(1, width - head.count + 1)) + value
        }.joined(separator: "\n") + "\n"
    }
}
