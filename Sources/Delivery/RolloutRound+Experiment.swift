import Foundation
import KubeCore
import SerinAPI

/// An Experiment the Rollout owns, as its decision sees it.
public struct RolloutExperimentState: Sendable, Hashable {
    public var name: String
    public var phase: AnalysisPhase?
    public var message: String?
    public var terminate: Bool
    public init(name: String, phase: AnalysisPhase? = nil, message: String? = nil, terminate: Bool = false) {
        self.name = name
        self.phase = phase
        self.message = message
        self.terminate = terminate
    }
}

/// The canary strategy's `experiment` step (Argo's): the Experiment `<rollout>-<hash>-<revision>-<step>`
/// (`.N` after a retry) runs the stable and/or canary pod spec; the step waits for it, passes when
/// it is Successful and aborts the Rollout when it is Failed, Error or Inconclusive.
extension RolloutRound {
    func experimentName(step: Int) -> String {
        var n = "\(w.name)-\(podHash)-\(newRevision)-\(step)"
        if let a = s.releaseAttempt, a > 0 { n += ".\(a)" }
        return n
    }

    mutating func experimentGate(_ step: RolloutExperimentStep, index: Int, newRS: RolloutReplicaSetState,
                                 stable: RolloutReplicaSetState) -> RolloutGate {
        let name = experimentName(step: index)
        keepExperiments.insert(name)
        var c = s.canary ?? RolloutCanaryStatus()
        c.currentExperiment = name
        s.canary = c
        guard let e = w.experiments[name] else {
            // Not created yet, or created by a pass whose effect was lost: AlreadyExists is fine.
            actions.append(.createExperiment(experiment(step, name: name, index: index, newRS: newRS, stable: stable)))
            if old.canary?.currentExperiment != name {
                event(.normal, "ExperimentCreated", "Created Experiment \(name) for step \(index + 1) of revision \(newRevision)")
            }
            doing = "waiting for experiment \(name)"
            return .waiting
        }
        let why = e.message.map { $0.isEmpty ? "" : ": \($0)" } ?? ""
        switch e.phase {
        case .successful?: return .passed
        case .failed?, .error?, .inconclusive?: return .failed("experiment \(name) \(e.phase!.rawValue)\(why)")
        default:
            doing = "waiting for experiment \(name) (\(e.phase?.rawValue ?? "Pending"))"
            return .waiting
        }
    }

    /// The Experiment for the step: each template runs the stable or the canary ReplicaSet's pod
    /// template (without its hash label), the step's metadata added to the pods; the analyses'
    /// args resolved from the Rollout (values and pod-template hashes).
    func experiment(_ step: RolloutExperimentStep, name: String, index: Int, newRS: RolloutReplicaSetState,
                    stable: RolloutReplicaSetState) -> JSONValue {
        var templates: [ExperimentTemplate] = []
        for t in step.templates {
            let source = t.specRef == "stable" ? stable : newRS
            var pod = RolloutReplicaSets.strippingHash(source.template == .null ? (w.template ?? .null) : source.template)
            for (k, v) in t.metadata?.labels ?? [:] { pod[path: ["metadata", "labels", k]] = .string(v) }
            for (k, v) in t.metadata?.annotations ?? [:] { pod[path: ["metadata", "annotations", k]] = .string(v) }
            templates.append(ExperimentTemplate(
                name: t.name, replicas: t.replicas, minReadySeconds: spec.minReadySeconds, selector: t.selector ?? spec.selector,
                template: pod, service: t.service))
        }
        let analyses = (step.analyses ?? []).map { a in
            ExperimentAnalysis(
                name: a.name, templateName: a.templateName, clusterScope: a.clusterScope,
                args: (a.args ?? []).map { arg in
                    if let which = arg.valueFrom?.podTemplateHashValue {
                        return AnalysisArgument(name: arg.name, value: which == "Stable" ? stable.podHash : podHash)
                    }
                    return AnalysisArgument(name: arg.name, value: arg.value,
                                            valueFrom: arg.valueFrom?.fieldRef.map { AnalysisArgumentValueFrom(fieldRef: $0) })
                },
                requiredForCompletion: a.requiredForCompletion)
        }
        let exSpec = ExperimentSpec(templates: templates, duration: step.duration, analyses: analyses.isEmpty ? nil : analyses,
                                    dryRun: step.dryRun, measurementRetention: step.measurementRetention,
                                    analysisRunMetadata: step.analysisRunMetadata)
        var obj = (try? JSONValue(encoding: Experiment(
            metadata: ["name": .string(name), "namespace": .string(w.namespace)], spec: exSpec))) ?? .null
        obj[path: ["metadata", "labels"]] = [RolloutLabels.rolloutName: .string(w.name), RolloutLabels.podTemplateHash: .string(podHash),
                                            RolloutLabels.stepIndex: .string(String(index))]
        return obj
    }

    /// Experiments no longer wanted (the step passed, the Rollout aborted or moved on) are ended.
    mutating func housekeepExperiments() {
        for e in w.experiments.values.sorted(by: { $0.name < $1.name }) where !keepExperiments.contains(e.name) {
            if e.phase?.isCompleted != true, !e.terminate { actions.append(.terminateExperiment(name: e.name)) }
        }
        if let current = s.canary?.currentExperiment, !keepExperiments.contains(current) {
            s.canary?.currentExperiment = nil
        }
    }
}
