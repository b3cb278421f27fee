import KubeCore

/// Argo's `experiment` step: run the templates (the stable or the canary pod spec) as an
/// Experiment owned by the Rollout; the step passes when it is Successful and aborts the
/// Rollout when it fails.
public struct RolloutExperimentStep: Codable, Sendable, Hashable {
    /// How long the Experiment runs (`1h`, or seconds); nil: until its analyses end.
    public var duration: IntOrString?
    public var templates: [RolloutExperimentTemplate]
    public var analyses: [RolloutExperimentAnalysis]?
    public var dryRun: [AnalysisDryRun]?
    public var measurementRetention: [AnalysisMeasurementRetention]?
    public var analysisRunMetadata: CustomMetadata?

    public init(duration: IntOrString? = nil, templates: [RolloutExperimentTemplate], analyses: [RolloutExperimentAnalysis]? = nil,
                dryRun: [AnalysisDryRun]? = nil, measurementRetention: [AnalysisMeasurementRetention]? = nil,
                analysisRunMetadata: CustomMetadata? = nil) {
        self.duration = duration
        self.templates = templates
        self.analyses = analyses
        self.dryRun = dryRun
        self.measurementRetention = measurementRetention
        self.analysisRunMetadata = analysisRunMetadata
    }
}

public struct RolloutExperimentTemplate: Codable, Sendable, Hashable {
    public var name: String
    /// `stable` or `canary`: whose pod template the Experiment runs.
    public var specRef: String
    /// Default 1.
    public var replicas: Int?
    /// Traffic percentage for this template's Service (needs a router that routes to experiment Services).
    public var weight: Int?
    /// Default: the Rollout's selector.
    public var selector: JSONValue?
    /// Labels and annotations added to the pods (and ReplicaSet).
    public var metadata: CustomMetadata?
    public var service: ExperimentTemplateService?

    public init(name: String, specRef: String, replicas: Int? = nil, weight: Int? = nil, selector: JSONValue? = nil,
                metadata: CustomMetadata? = nil, service: ExperimentTemplateService? = nil) {
        self.name = name
        self.specRef = specRef
        self.replicas = replicas
        self.weight = weight
        self.selector = selector
        self.metadata = metadata
        self.service = service
    }
}

public struct RolloutExperimentAnalysis: Codable, Sendable, Hashable {
    public var name: String
    public var templateName: String
    public var clusterScope: Bool?
    public var args: [RolloutAnalysisArgument]?
    public var requiredForCompletion: Bool?

    public init(name: String, templateName: String, clusterScope: Bool? = nil, args: [RolloutAnalysisArgument]? = nil,
                requiredForCompletion: Bool? = nil) {
        self.name = name
        self.templateName = templateName
        self.clusterScope = clusterScope
        self.args = args
        self.requiredForCompletion = requiredForCompletion
    }
}

extension RolloutValidator {
    mutating func checkExperiment(_ e: RolloutExperimentStep, path: String) {
        if e.templates.isEmpty { add("\(path).templates", "is empty", "list at least one template (name and specRef: stable or canary)") }
        var names: Set<String> = []
        for (i, t) in e.templates.enumerated() {
            let p = "\(path).templates[\(i)]"
            if t.name.isEmpty { add("\(p).name", "is empty", "name the template") }
            if !names.insert(t.name).inserted { add("\(p).name", "\"\(t.name)\" is used twice", "give each template its own name") }
            if t.specRef != "stable" && t.specRef != "canary" {
                add("\(p).specRef", "\"\(t.specRef)\" is neither stable nor canary", "set specRef: stable or specRef: canary")
            }
            if let r = t.replicas, r < 0 { add("\(p).replicas", "must be 0 or more, not \(r)", "set replicas: 1 (the default)") }
            if t.weight != nil {
                // Argo sends this share of traffic to the template's Service through the router; none
                // of Serin's routers carries a third destination yet.
                add("\(p).weight", "traffic weights (for an experiment's Services) are not supported by Serin yet",
                    "remove weight: the experiment's pods run beside the canary without production traffic")
            }
        }
        if case .string(let s)? = e.duration, Int(s) == nil, GoDuration.secondsOrNil(s) == nil {
            add("\(path).duration", "\"\(s)\" is not a duration", "write it as 30s, 20m or 1h (or a number of seconds)")
        }
        var analysisNames: Set<String> = []
        for (i, a) in (e.analyses ?? []).enumerated() {
            if !analysisNames.insert(a.name).inserted {
                add("\(path).analyses[\(i)].name", "\"\(a.name)\" is used twice", "give each analysis its own name")
            }
            if a.templateName.isEmpty { add("\(path).analyses[\(i)].templateName", "is empty", "name the AnalysisTemplate to run") }
        }
    }
}
