import KubeCore
import SerinAPI

extension DocumentCheck {
    /// An Experiment: the operator's own checks (the schema cannot say them), and its analyses'
    /// templates among the linted files.
    mutating func experiment(templates: Set<String>) {
        for p in Experiment.problems(in: doc.json) { add(p.path, p.message, p.fix) }
        guard let experiment = try? Experiment(json: doc.json) else { return }
        for (i, a) in (experiment.spec.analyses ?? []).enumerated() where !a.templateName.isEmpty {
            let cluster = a.clusterScope == true
            guard !templates.contains(cluster ? "cluster/\(a.templateName)" : a.templateName) else { continue }
            add("spec.analyses[\(i)].templateName",
                "\(cluster ? "ClusterAnalysisTemplate" : "AnalysisTemplate") \(a.templateName) is not among the linted files",
                "make sure it exists in namespace \(experiment.namespace.isEmpty ? "the Experiment's" : experiment.namespace) (lint it too to check it)",
                severity: .warning)
        }
    }
}
