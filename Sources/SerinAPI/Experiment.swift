import KubeCore

/// Argo Rollouts' `Experiment`: one or more ReplicaSets run side by side for a while (from pod
/// templates), optionally with a Service each, and AnalysisRuns judging them. Its phase is
/// Argo's: Pending → Running → Successful, Failed, Error or Inconclusive.
public struct Experiment: Codable, Sendable, Hashable {
    public static let apiVersionString = "serin.dev/v1alpha1"
    public static let kindName = "Experiment"

    public var apiVersion: String?
    public var kind: String?
    /// Kept verbatim (labels, annotations, uid, ownerReferences …).
    public var metadata: JSONValue?
    public var spec: ExperimentSpec
    public var status: ExperimentStatus?

    public init(apiVersion: String? = Experiment.apiVersionString, kind: String? = Experiment.kindName,
                metadata: JSONValue? = nil, spec: ExperimentSpec, status: ExperimentStatus? = nil) {
        self.apiVersion = apiVersion
        self.kind = kind
        self.metadata = metadata
        self.spec = spec
        self.status = status
    }

    public var name: String { metadata?["name"].stringValue ?? "" }
    public var namespace: String { metadata?["namespace"].stringValue ?? "" }
    public var generation: Int? { metadata?["generation"].intValue }
}

public struct ExperimentSpec: Codable, Sendable, Hashable {
    public var templates: [ExperimentTemplate]
    /// How long the experiment runs once every template is available (`20m`, `1h`, or seconds);
    /// nil: until terminated, or until the analyses marked requiredForCompletion end.
    public var duration: IntOrString?
    /// Seconds a template's ReplicaSet may take to become available (default 600).
    public var progressDeadlineSeconds: Int?
    /// Set to stop the experiment: its ReplicaSets are scaled down, its runs terminated.
    public var terminate: Bool?
    /// Seconds the ReplicaSets keep running after the experiment ends (default 30).
    public var scaleDownDelaySeconds: Int?
    public var analyses: [ExperimentAnalysis]?
    public var dryRun: [AnalysisDryRun]?
    public var measurementRetention: [AnalysisMeasurementRetention]?
    public var analysisRunMetadata: CustomMetadata?

    public init(templates: [ExperimentTemplate], duration: IntOrString? = nil, progressDeadlineSeconds: Int? = nil,
                terminate: Bool? = nil, scaleDownDelaySeconds: Int? = nil, analyses: [ExperimentAnalysis]? = nil,
                dryRun: [AnalysisDryRun]? = nil, measurementRetention: [AnalysisMeasurementRetention]? = nil,
                analysisRunMetadata: CustomMetadata? = nil) {
        self.templates = templates
        self.duration = duration
        self.progressDeadlineSeconds = progressDeadlineSeconds
        self.terminate = terminate
        self.scaleDownDelaySeconds = scaleDownDelaySeconds
        self.analyses = analyses
        self.dryRun = dryRun
        self.measurementRetention = measurementRetention
        self.analysisRunMetadata = analysisRunMetadata
    }

    public static let defaultProgressDeadlineSeconds = 600
    public static let defaultScaleDownDelaySeconds = 30

    /// The duration in seconds; nil when unset or unreadable (validation reports the latter).
    public var durationSeconds: Double? {
        switch duration {
        case nil: return nil
        case .int(let i)?: return Double(i)
        case .string(let s)?: return Int(s).map(Double.init) ?? GoDuration.secondsOrNil(s)
        }
    }
}

/// One ReplicaSet of the experiment.
public struct ExperimentTemplate: Codable, Sendable, Hashable {
    public var name: String
    /// Default 1.
    public var replicas: Int?
    public var minReadySeconds: Int?
    public var selector: JSONValue?
    /// The pod template, as in a Deployment.
    public var template: JSONValue?
    /// Set (even `{}`) for a Service in front of the template's pods.
    public var service: ExperimentTemplateService?
    /// Labels and annotations for the ReplicaSet.
    public var metadata: CustomMetadata?

    public init(name: String, replicas: Int? = nil, minReadySeconds: Int? = nil, selector: JSONValue? = nil,
                template: JSONValue? = nil, service: ExperimentTemplateService? = nil, metadata: CustomMetadata? = nil) {
        self.name = name
        self.replicas = replicas
        self.minReadySeconds = minReadySeconds
        self.selector = selector
        self.template = template
        self.service = service
        self.metadata = metadata
    }

    public var desiredReplicas: Int { replicas ?? 1 }
}

public struct ExperimentTemplateService: Codable, Sendable, Hashable {
    /// Default: the ReplicaSet's name.
    public var name: String?
    public init(name: String? = nil) { self.name = name }
}

/// An AnalysisRun the experiment starts once its templates are available.
public struct ExperimentAnalysis: Codable, Sendable, Hashable {
    public var name: String
    public var templateName: String
    public var clusterScope: Bool?
    /// Values may name `{{templates.<name>.podTemplateHash}}`, `{{templates.<name>.replicaset.name}}`,
    /// `{{experiment.name}}` and `{{experiment.availableAt}}`.
    public var args: [AnalysisArgument]?
    /// The experiment does not end before this run has.
    public var requiredForCompletion: Bool?

    public init(name: String, templateName: String, clusterScope: Bool? = nil, args: [AnalysisArgument]? = nil,
                requiredForCompletion: Bool? = nil) {
        self.name = name
        self.templateName = templateName
        self.clusterScope = clusterScope
        self.args = args
        self.requiredForCompletion = requiredForCompletion
    }
}

/// Argo's template status codes.
public enum ExperimentTemplatePhase: String, Codable, Sendable, Hashable {
    case progressing = "Progressing", running = "Running", successful = "Successful", failed = "Failed", error = "Error"

    public var isCompleted: Bool { self == .successful || self == .failed || self == .error }

    /// Best to worst.
    static let order: [ExperimentTemplatePhase] = [.successful, .running, .progressing, .error, .failed]
    public func isWorse(than other: ExperimentTemplatePhase) -> Bool {
        (Self.order.firstIndex(of: self) ?? 0) > (Self.order.firstIndex(of: other) ?? 0)
    }
}

public struct ExperimentStatus: Codable, Sendable, Hashable {
    public var phase: AnalysisPhase?
    public var message: String?
    public var templateStatuses: [ExperimentTemplateStatus]?
    /// RFC 3339: when every template became available (the duration counts from here).
    public var availableAt: String?
    public var analysisRuns: [ExperimentAnalysisRunStatus]?
    public var conditions: [Condition]?
    public var observedGeneration: Int?

    public init(phase: AnalysisPhase? = nil, message: String? = nil, templateStatuses: [ExperimentTemplateStatus]? = nil,
                availableAt: String? = nil, analysisRuns: [ExperimentAnalysisRunStatus]? = nil,
                conditions: [Condition]? = nil, observedGeneration: Int? = nil) {
        self.phase = phase
        self.message = message
        self.templateStatuses = templateStatuses
        self.availableAt = availableAt
        self.analysisRuns = analysisRuns
        self.conditions = conditions
        self.observedGeneration = observedGeneration
    }

    public func template(_ name: String) -> ExperimentTemplateStatus? { templateStatuses?.first { $0.name == name } }
    public func analysis(_ name: String) -> ExperimentAnalysisRunStatus? { analysisRuns?.first { $0.name == name } }
}

public struct ExperimentTemplateStatus: Codable, Sendable, Hashable {
    public var name: String
    public var replicas: Int
    public var updatedReplicas: Int
    public var readyReplicas: Int
    public var availableReplicas: Int
    public var collisionCount: Int?
    public var status: ExperimentTemplatePhase?
    public var message: String?
    /// RFC 3339: the last change of the ReplicaSet (the progress deadline counts from here).
    public var lastTransitionTime: String?
    public var serviceName: String?
    public var podTemplateHash: String?

    public init(name: String, replicas: Int = 0, updatedReplicas: Int = 0, readyReplicas: Int = 0,
                availableReplicas: Int = 0, collisionCount: Int? = nil, status: ExperimentTemplatePhase? = nil,
                message: String? = nil, lastTransitionTime: String? = nil, serviceName: String? = nil,
                podTemplateHash: String? = nil) {
        self.name = name
        self.replicas = replicas
        self.updatedReplicas = updatedReplicas
        self.readyReplicas = readyReplicas
        self.availableReplicas = availableReplicas
        self.collisionCount = collisionCount
        self.status = status
        self.message = message
        self.lastTransitionTime = lastTransitionTime
        self.serviceName = serviceName
        self.podTemplateHash = podTemplateHash
    }
}

public struct ExperimentAnalysisRunStatus: Codable, Sendable, Hashable {
    public var name: String
    public var analysisRun: String?
    public var phase: AnalysisPhase?
    public var message: String?
    public init(name: String, analysisRun: String? = nil, phase: AnalysisPhase? = nil, message: String? = nil) {
        self.name = name
        self.analysisRun = analysisRun
        self.phase = phase
        self.message = message
    }
}

extension AnalysisPhase {
    /// Argo's order of run phases, best to worst (an unset phase counts as the best).
    static let order: [AnalysisPhase] = [.successful, .running, .pending, .inconclusive, .error, .failed]
    public func isWorse(than other: AnalysisPhase?) -> Bool {
        (Self.order.firstIndex(of: self) ?? 0) > (other.flatMap { Self.order.firstIndex(of: $0) } ?? 0)
    }
}

extension ResourceType {
    public static let experiments = ResourceType(
        group: "serin.dev", version: "v1alpha1", plural: "experiments", kind: "Experiment")
}

/// Labels Serin writes on an experiment's objects (Argo's annotation keys, so tools that read them keep working).
public enum ExperimentLabels {
    public static let experimentName = "experiment.argoproj.io/name"
    public static let templateName = "experiment.argoproj.io/template-name"
}

extension Experiment {
    /// Decodes an Experiment; a type error names the field path.
    public init(json: JSONValue) throws(RolloutDecodeError) {
        do {
            self = try json.decode(as: Experiment.self)
        } catch let e as DecodingError {
            let text = e.fieldMessage
            if let colon = text.range(of: ": ") {
                throw RolloutDecodeError(path: String(text[..<colon.lowerBound]), message: String(text[colon.upperBound...]))
            }
            throw RolloutDecodeError(path: "", message: text)
        } catch {
            throw RolloutDecodeError(path: "", message: "\(error)")
        }
    }

    /// Problems of an Experiment document: a decode error naming the field, or `spec.validate()`'s list.
    public static func problems(in json: JSONValue) -> [RolloutSpecProblem] {
        do {
            return try Experiment(json: json).spec.validate()
        } catch {
            let path = error.path.isEmpty ? "spec" : error.path
            return [RolloutSpecProblem(path: path, message: error.message,
                                       fix: "fix the value to match the Experiment schema (kubectl explain experiment.\(path))")]
        }
    }
}

extension ExperimentSpec {
    /// Every problem of the spec (empty when valid): what the schema cannot say.
    public func validate() -> [RolloutSpecProblem] {
        var out: [RolloutSpecProblem] = []
        func add(_ path: String, _ message: String, _ fix: String) {
            out.append(RolloutSpecProblem(path: "spec." + path, message: message, fix: fix))
        }
        if templates.isEmpty { add("templates", "is empty", "list at least one template (name, selector, template)") }
        var names: Set<String> = []
        for (i, t) in templates.enumerated() {
            let p = "templates[\(i)]"
            if !names.insert(t.name).inserted { add("\(p).name", "\"\(t.name)\" is used twice", "give each template its own name") }
            if t.template == nil || t.template == .null {
                add("\(p).template", "is missing", "write the pod template (metadata.labels and spec, as in a Deployment)")
            }
            if let r = t.replicas, r < 0 { add("\(p).replicas", "must be 0 or more, not \(r)", "set replicas: 1 (the default)") }
            if let sel = t.selector?["matchLabels"].objectValue, let labels = t.template?["metadata"]["labels"].objectValue {
                for (k, v) in sel.sorted(by: { $0.key < $1.key }) where labels[k] != v {
                    add("\(p).selector.matchLabels", "\(k)=\(v.stringValue ?? v.serialized()) does not match the template's labels",
                        "give template.metadata.labels the selector's labels")
                }
            } else if t.selector == nil || t.selector == .null {
                add("\(p).selector", "is missing", "select the template's pods, e.g. matchLabels with its labels")
            }
        }
        if case .string(let s)? = duration, Int(s) == nil, GoDuration.secondsOrNil(s) == nil {
            add("duration", "\"\(s)\" is not a duration", "write it as 30s, 20m or 1h (or a number of seconds)")
        }
        if let d = progressDeadlineSeconds, d <= 0 {
            add("progressDeadlineSeconds", "must be more than 0, not \(d)", "leave it out for the default of 600")
        }
        if let d = scaleDownDelaySeconds, d < 0 {
            add("scaleDownDelaySeconds", "must be 0 or more, not \(d)", "leave it out for the default of 30")
        }
        var analysisNames: Set<String> = []
        for (i, a) in (analyses ?? []).enumerated() {
            if !analysisNames.insert(a.name).inserted {
                add("analyses[\(i)].name", "\"\(a.name)\" is used twice", "give each analysis its own name")
            }
            if a.templateName.isEmpty { add("analyses[\(i)].templateName", "is empty", "name the AnalysisTemplate to run") }
        }
        return out
    }
}
