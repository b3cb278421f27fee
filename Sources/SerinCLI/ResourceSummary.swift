import Foundation
import KubeCore
import SerinAPI

/// One line of `serin get`: what an SRE scans for across many releases.
struct ResourceSummary: Sendable {
    /// `Canary`, `Rollout` or `Experiment`.
    var kindName: String
    var namespace: String
    var name: String
    var status: String
    var weight: String
    var step: String
    var checks: String
    var lastTransition: String?

    static let headers = ["NAME", "KIND", "STATUS", "WEIGHT", "STEP", "CHECKS", "LAST TRANSITION"]

    func cells(now: Date) -> [String] {
        [name, kindName, status, weight, step, checks, HumanDuration.age(lastTransition, now: now)]
    }

    init(kind: ResourceKind, object: JSONValue) {
        kindName = kind.kindName
        namespace = object["metadata"]["namespace"].stringValue ?? ""
        name = object["metadata"]["name"].stringValue ?? ""
        switch kind {
        case .canary:
            (status, weight, step, checks, lastTransition) = Self.canaryColumns(object)
        case .rollout:
            (status, weight, step, checks, lastTransition) = Self.rolloutColumns(object)
        }
    }

    /// An Experiment: its phase, the templates available of those it runs, and its runs that ended badly.
    init(experiment o: JSONValue) {
        kindName = "Experiment"
        namespace = o["metadata"]["namespace"].stringValue ?? ""
        name = o["metadata"]["name"].stringValue ?? ""
        let s = o["status"]
        status = s["phase"].stringValue ?? "-"
        weight = "-"
        let templates = o["spec"]["templates"].arrayValue ?? []
        let statuses = s["templateStatuses"].arrayValue ?? []
        let available = statuses.filter { ["Running", "Successful"].contains($0["status"].stringValue ?? "") }.count
        step = templates.isEmpty ? "-" : "\(available)/\(templates.count)"
        let runs = s["analysisRuns"].arrayValue ?? []
        let bad = runs.filter { ["Failed", "Error", "Inconclusive"].contains($0["phase"].stringValue ?? "") }.count
        checks = runs.isEmpty ? "-" : "\(bad)/\(runs.count)"
        lastTransition = (s["conditions"].arrayValue ?? []).compactMap { $0["lastTransitionTime"].stringValue }.max()
    }

    private static func canaryColumns(_ o: JSONValue) -> (String, String, String, String, String?) {
        let s = o["status"]
        let analysis = (try? o["spec"]["analysis"].decode(as: CanaryAnalysis.self)) ?? CanaryAnalysis()
        let phase = s["phase"].stringValue ?? "-"
        let weight = s["canaryWeight"].intValue
        var step: String
        switch analysis.strategy {
        case .canary:
            let plan = analysis.weightPlan
            if let w = weight, w == 0 {
                step = "0/\(plan.count)"
            } else if let w = weight, let i = plan.firstIndex(of: w) {
                step = "\(i + 1)/\(plan.count)"
            } else {
                step = "-"
            }
        case .blueGreen, .abTesting:
            step = "\(s["iterations"].intValue ?? 0)/\(analysis.effectiveIterations)"
        }
        // Between releases there is no step to be at.
        if !(CanaryPhase(rawValue: phase)?.isActive ?? false) { step = "-" }
        let checks = "\(s["failedChecks"].intValue ?? 0)/\(analysis.effectiveThreshold)"
        return (phase, weight.map { "\($0)%" } ?? "-", step, checks, s["lastTransitionTime"].stringValue)
    }

    private static func rolloutColumns(_ o: JSONValue) -> (String, String, String, String, String?) {
        let s = o["status"]
        var phase = s["phase"].stringValue ?? "-"
        if s["abort"].boolValue == true, phase != "Degraded" { phase += " (aborted)" }
        let steps = o["spec"]["strategy"]["canary"]["steps"].arrayValue
        let weight = RolloutView.canaryWeight(o).map { "\($0)%" } ?? "-"
        var step = "-"
        if let steps {
            let index = min(s["currentStepIndex"].intValue ?? 0, steps.count)
            step = "\(index)/\(steps.count)"
        }
        let last = (s["conditions"].arrayValue ?? []).compactMap { c in
            c["lastTransitionTime"].stringValue.flatMap { t in KubeTime.parse(t).map { (t, $0) } }
        }.max { $0.1 < $1.1 }?.0
        return (phase, weight, step, "-", last)
    }
}
