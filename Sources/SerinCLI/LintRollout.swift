import KubeCore
import SerinAPI

extension DocumentCheck {
    /// The operator's Rollout validation (Rollout.problems: decoding with field paths, then
    /// RolloutSpec.validate), plus analysis templates named but absent from the lint run.
    mutating func rollout(templates: Set<String>) {
        for p in Rollout.problems(in: doc.json) { add(p.path, p.message, p.fix) }
        guard let rollout = try? Rollout(json: doc.json) else { return }
        for (path, ref) in Self.templateRefs(doc.json) {
            let key = ref.cluster ? "cluster/\(ref.name)" : ref.name
            if !ref.name.isEmpty, !templates.contains(key) {
                let kind = ref.cluster ? "ClusterAnalysisTemplate" : "AnalysisTemplate"
                add(path, "\(kind) \(ref.name) is not among the linted files",
                    "make sure it exists in namespace \(rollout.namespace.isEmpty ? "the Rollout's" : rollout.namespace) (lint it too to check it)",
                    severity: .warning)
            }
        }
    }

    /// Every `templates[]` reference of a Rollout, with its field path.
    static func templateRefs(_ o: JSONValue) -> [(String, (name: String, cluster: Bool))] {
        var places: [(String, JSONValue)] = []
        let canary = o["spec"]["strategy"]["canary"]
        for (i, step) in (canary["steps"].arrayValue ?? []).enumerated() where step["analysis"] != .null {
            places.append(("spec.strategy.canary.steps[\(i)].analysis", step["analysis"]))
        }
        if canary["analysis"] != .null { places.append(("spec.strategy.canary.analysis", canary["analysis"])) }
        for key in ["prePromotionAnalysis", "postPromotionAnalysis"] where o["spec"]["strategy"]["blueGreen"][key] != .null {
            places.append(("spec.strategy.blueGreen.\(key)", o["spec"]["strategy"]["blueGreen"][key]))
        }
        var out: [(String, (name: String, cluster: Bool))] = []
        for (path, analysis) in places {
            for (i, t) in (analysis["templates"].arrayValue ?? []).enumerated() {
                out.append(("\(path).templates[\(i)].templateName",
                            (t["templateName"].stringValue ?? "", t["clusterScope"].boolValue == true)))
            }
        }
        return out
    }
}
