import Foundation
import KubeCore
import SerinAPI

/// The JSON documents the dashboard's pages read: the list, and one release in detail.
enum DashboardRelease {
    static func summary(_ kind: ResourceKind, _ o: JSONValue, now: Date) -> JSONValue {
        let s = ResourceSummary(kind: kind, object: o)
        return [
            "kind": .string(kind.kindName), "namespace": .string(s.namespace), "name": .string(s.name),
            "phase": .string(s.status), "weight": .string(s.weight), "step": .string(s.step), "checks": .string(s.checks),
            "failedChecks": .string(failedChecks(kind, o)),
            "age": .string(HumanDuration.age(o["metadata"]["creationTimestamp"].stringValue, now: now)),
            "paused": .bool(o["metadata"]["annotations"][ManualControlAnnotations.paused].stringValue == "true"),
        ]
    }

    /// Failed checks now: the Canary's count, or the Rollout's failed measurements in its runs' status.
    static func failedChecks(_ kind: ResourceKind, _ o: JSONValue) -> String {
        switch kind {
        case .canary: return "\(o["status"]["failedChecks"].intValue ?? 0)"
        case .rollout: return "-"
        }
    }

    /// Each metric's last value against its threshold.
    static func metrics(_ kind: ResourceKind, _ o: JSONValue, runs: [JSONValue]) -> [JSONValue] {
        switch kind {
        case .canary:
            let spec = (try? o["spec"].decode(as: CanarySpec.self))?.effectiveAnalysis.metrics ?? []
            let results = (try? o["status"]["metricResults"].decode(as: [MetricCheckResult].self)) ?? []
            var names = spec.map(\.name)
            names += results.map(\.name).filter { !names.contains($0) }
            return names.map { name in
                if let r = results.first(where: { $0.name == name }) {
                    let value = r.noData ? "no data" : r.value.map(NumberText.format) ?? "-"
                    return ["name": .string(name), "value": .string(value), "threshold": .string(r.threshold.isEmpty ? "-" : r.threshold),
                            "verdict": .string(r.verdict.rawValue), "detail": .string(r.message)]
                }
                let threshold = spec.first { $0.name == name }?.bounds.map(CanaryView.threshold) ?? "-"
                return ["name": .string(name), "value": "-", "threshold": .string(threshold), "verdict": "-", "detail": "not checked yet"]
            }
        case .rollout:
            // The newest run's metrics: its last measurement and the success condition.
            guard let run = runs.max(by: { ($0["metadata"]["creationTimestamp"].stringValue ?? "") < ($1["metadata"]["creationTimestamp"].stringValue ?? "") })
            else { return [] }
            let conditions = Dictionary((run["spec"]["metrics"].arrayValue ?? []).map {
                ($0["name"].stringValue ?? "", $0["successCondition"].stringValue ?? "-")
            }, uniquingKeysWith: { a, _ in a })
            return (run["status"]["metricResults"].arrayValue ?? []).map { m in
                let name = m["name"].stringValue ?? ""
                let last = m["measurements"].arrayValue?.last
                return ["name": .string(name), "value": .string(last?["value"].stringValue ?? "-"),
                        "threshold": .string(conditions[name] ?? "-"), "verdict": .string(m["phase"].stringValue ?? "-"),
                        "detail": .string(m["message"].stringValue ?? "")]
            }
        }
    }

    /// The plan, with the one in progress marked.
    static func steps(_ kind: ResourceKind, _ o: JSONValue) -> [JSONValue] {
        switch kind {
        case .canary:
            let analysis = (try? o["spec"].decode(as: CanarySpec.self))?.effectiveAnalysis ?? CanaryAnalysis()
            let weight = o["status"]["canaryWeight"].intValue ?? 0
            return analysis.weightPlan.map { w in
                ["text": .string("weight \(w)%"), "state": .string(w < weight ? "done" : w == weight ? "current" : "pending")]
            }
        case .rollout:
            let steps = o["spec"]["strategy"]["canary"]["steps"].arrayValue ?? []
            let index = o["status"]["currentStepIndex"].intValue ?? 0
            return steps.enumerated().map { i, step in
                ["text": .string(RolloutStepText.describe(step)),
                 "state": .string(i < index ? "done" : i == index ? "current" : "pending")]
            }
        }
    }

    /// Canary: the target and its primary Deployment. Rollout: its ReplicaSets, newest first.
    static func workloads(_ kind: ResourceKind, _ o: JSONValue, api: any KubeAPI) async -> [JSONValue] {
        let ns = o["metadata"]["namespace"].stringValue ?? ""
        func row(_ role: String, _ w: JSONValue) -> JSONValue {
            let image = w["spec"]["template"]["spec"]["containers"][0]["image"].stringValue ?? "-"
            return ["role": .string(role), "name": .string(w["metadata"]["name"].stringValue ?? ""),
                    "replicas": .int(Int64(w["spec"]["replicas"].intValue ?? 0)),
                    "ready": .int(Int64(w["status"]["readyReplicas"].intValue ?? 0)), "image": .string(image)]
        }
        switch kind {
        case .canary:
            guard let spec = try? o["spec"].decode(as: CanarySpec.self) else { return [] }
            var out: [JSONValue] = []
            for (role, name) in [("primary", spec.primaryDeploymentName), ("canary", spec.targetRef.name)] {
                if let d = try? await api.get(.deployments, namespace: ns, name: name) { out.append(row(role, d)) }
            }
            return out
        case .rollout:
            let name = o["metadata"]["name"].stringValue ?? ""
            let stable = o["status"]["stableRS"].stringValue
            let current = o["status"]["currentPodHash"].stringValue
            let sets = ((try? await api.list(.replicaSets, namespace: ns))?.items ?? []).filter { rs in
                (rs["metadata"]["ownerReferences"].arrayValue ?? []).contains { $0["kind"] == "Rollout" && $0["name"].stringValue == name }
            }
            return sets.sorted { revision($0) > revision($1) }.map { rs in
                let hash = rs["metadata"]["labels"]["rollouts-pod-template-hash"].stringValue
                let role = hash == stable ? "stable" : hash == current ? "canary" : "revision \(revision(rs))"
                return row(role, rs)
            }
        }
    }

    static func revision(_ rs: JSONValue) -> Int {
        Int(rs["metadata"]["annotations"]["serin.dev/revision"].stringValue
            ?? rs["metadata"]["annotations"]["rollout.argoproj.io/revision"].stringValue ?? "") ?? 0
    }

    static func events(_ entries: [EventsView.Entry], limit: Int = 20) -> [JSONValue] {
        entries.suffix(limit).map { e in
            ["time": .string(e.time.map { KubeTime.format($0) } ?? ""), "type": .string(e.type), "reason": .string(e.reason),
             "message": .string(e.message), "count": .int(Int64(e.count))]
        }
    }

    /// The manual-control verbs of this kind and state, in button order.
    static func verbs(_ kind: ResourceKind, _ o: JSONValue) -> [ControlVerb] {
        let paused = o["metadata"]["annotations"][ManualControlAnnotations.paused].stringValue == "true"
        return [ControlVerb.promote, .abort, .retry, paused ? .resume : .pause, .undo].filter { $0.refusal(for: kind) == nil }
    }
}
