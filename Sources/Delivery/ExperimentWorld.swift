import Foundation
import KubeCore
import SerinAPI

/// What the Experiment core looks at besides spec and status: the ReplicaSets, Services and
/// AnalysisRuns the experiment owns, from the caches.
public struct ExperimentWorld: Sendable, Hashable {
    /// By template name: the ReplicaSet of its current pod-template hash.
    public var replicaSets: [String: RolloutReplicaSetState]
    /// Names of the Services that exist in the namespace and are the experiment's.
    public var services: Set<String>
    /// By AnalysisRun name.
    public var runs: [String: ExperimentObservedRun]
    /// Analyses (by name) whose AnalysisTemplate or ClusterAnalysisTemplate is missing, with the reason.
    public var missingTemplates: [String: String]

    public init(replicaSets: [String: RolloutReplicaSetState] = [:], services: Set<String> = [],
                runs: [String: ExperimentObservedRun] = [:], missingTemplates: [String: String] = [:]) {
        self.replicaSets = replicaSets
        self.services = services
        self.runs = runs
        self.missingTemplates = missingTemplates
    }
}

public struct ExperimentObservedRun: Sendable, Hashable {
    public var phase: AnalysisPhase?
    public var message: String?
    public var terminate: Bool
    public init(phase: AnalysisPhase? = nil, message: String? = nil, terminate: Bool = false) {
        self.phase = phase
        self.message = message
        self.terminate = terminate
    }
}

/// Everything one Experiment decision looks at.
public struct ExperimentInput: Sendable {
    public var name: String
    public var namespace: String
    public var generation: Int?
    public var spec: ExperimentSpec
    public var status: ExperimentStatus?
    public var world: ExperimentWorld

    public init(name: String, namespace: String, generation: Int? = nil, spec: ExperimentSpec,
                status: ExperimentStatus?, world: ExperimentWorld) {
        self.name = name
        self.namespace = namespace
        self.generation = generation
        self.spec = spec
        self.status = status
        self.world = world
    }
}

/// An AnalysisRun for one of the experiment's analyses, its args resolved from the experiment.
public struct ExperimentAnalysisRequest: Sendable, Hashable {
    public var runName: String
    public var analysis: ExperimentAnalysis
    public var args: [AnalysisArgument]

    public init(runName: String, analysis: ExperimentAnalysis, args: [AnalysisArgument]) {
        self.runName = runName
        self.analysis = analysis
        self.args = args
    }
}

/// What the controller does for an Experiment; each is idempotent.
public enum ExperimentAction: DeliveryEffect {
    /// Create this ReplicaSet (the controller adds the owner reference); AlreadyExists is success.
    case createReplicaSet(JSONValue)
    case scaleReplicaSet(name: String, replicas: Int)
    /// Set (nil: remove) annotations on a ReplicaSet.
    case annotateReplicaSet(name: String, annotations: [String: String?])
    /// Create this Service (the controller adds the owner reference); AlreadyExists is success.
    case createService(JSONValue)
    case deleteService(name: String)
    case createAnalysisRun(ExperimentAnalysisRequest)
    case terminateAnalysisRun(name: String)
}

/// Names and objects of an experiment's ReplicaSets and Services.
public enum ExperimentObjects {
    /// `<experiment>-<template>-<hash>`, as Argo names them.
    public static func replicaSetName(experiment: String, template: String, hash: String) -> String {
        "\(experiment)-\(template)-\(hash)"
    }

    /// `<experiment>-<analysis>`, as Argo names the runs.
    public static func runName(experiment: String, analysis: String) -> String { "\(experiment)-\(analysis)" }

    /// The pod-template hash of a template's ReplicaSet: of its pod template and of the
    /// experiment's and template's names, so an experiment running a Rollout's own pod spec
    /// never shares the Rollout's hash label (and Services selecting it).
    public static func hash(experiment: String, _ t: ExperimentTemplate, collisionCount: Int?) -> String {
        RolloutReplicaSets.podHash(template: ["experiment": .string(experiment), "template": .string(t.name), "pod": t.template ?? .null],
                                   collisionCount: collisionCount)
    }

    /// The ReplicaSet for template `t` (the controller adds the owner reference).
    public static func replicaSet(experiment: String, namespace: String, template t: ExperimentTemplate, hash: String,
                                  replicas: Int) -> JSONValue {
        var pod = t.template ?? ["metadata": [:]]
        pod[path: ["metadata", "labels", RolloutLabels.podTemplateHash]] = .string(hash)
        var sel = t.selector ?? ["matchLabels": .object([:])]
        sel[path: ["matchLabels", RolloutLabels.podTemplateHash]] = .string(hash)
        var labels = pod[path: ["metadata", "labels"]]
        for (k, v) in t.metadata?.labels ?? [:] { labels[k] = .string(v) }
        var annotations: JSONValue = [ExperimentLabels.experimentName: .string(experiment),
                                      ExperimentLabels.templateName: .string(t.name)]
        for (k, v) in t.metadata?.annotations ?? [:] { annotations[k] = .string(v) }
        var rs: JSONValue = [
            "apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": [
                "name": .string(replicaSetName(experiment: experiment, template: t.name, hash: hash)),
                "namespace": .string(namespace), "labels": labels, "annotations": annotations,
            ],
            "spec": ["replicas": .int(Int64(replicas)), "selector": sel, "template": pod],
        ]
        if let m = t.minReadySeconds, m > 0 { rs[path: ["spec", "minReadySeconds"]] = .int(Int64(m)) }
        return rs
    }

    /// The Service for template `t`: the ports of its containers, selecting its pods by hash
    /// (the controller adds the owner reference). Nil when the containers declare no port.
    public static func service(name: String, namespace: String, experiment: String, template t: ExperimentTemplate,
                               hash: String) -> JSONValue? {
        var ports: [JSONValue] = []
        for c in t.template?["spec"]["containers"].arrayValue ?? [] {
            for p in c["ports"].arrayValue ?? [] {
                guard let port = p["containerPort"].intValue else { continue }
                var sp: JSONValue = ["port": .int(Int64(port)), "targetPort": .int(Int64(port)),
                                     "protocol": .string(p["protocol"].stringValue ?? "TCP")]
                if let n = p["name"].stringValue, !n.isEmpty { sp["name"] = .string(n) }
                ports.append(sp)
            }
        }
        guard !ports.isEmpty else { return nil }
        var selector = t.selector?["matchLabels"] ?? .object([:])
        if selector.objectValue == nil { selector = .object([:]) }
        selector[RolloutLabels.podTemplateHash] = .string(hash)
        return [
            "apiVersion": "v1", "kind": "Service",
            "metadata": [
                "name": .string(name), "namespace": .string(namespace),
                "annotations": [ExperimentLabels.experimentName: .string(experiment),
                                ExperimentLabels.templateName: .string(t.name)],
            ],
            "spec": ["selector": selector, "ports": .array(ports)],
        ]
    }
}
