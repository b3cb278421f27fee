import KubeCore
import SerinAPI
import Traffic

/// Which analysis of a Rollout an AnalysisRun carries out.
public enum RolloutAnalysisKind: String, Sendable, Hashable {
    case step = "Step"
    case background = "Background"
    case prePromotion = "PrePromotion"
    case postPromotion = "PostPromotion"
}

/// An AnalysisRun to create from the Rollout's templates and args.
public struct RolloutAnalysisRequest: Sendable, Hashable {
    public var name: String
    public var kind: RolloutAnalysisKind
    public var analysis: RolloutAnalysis
    /// For `podTemplateHashValue: Latest` and `Stable`.
    public var latestHash: String
    public var stableHash: String?
    public var stepIndex: Int?

    public init(name: String, kind: RolloutAnalysisKind, analysis: RolloutAnalysis, latestHash: String,
                stableHash: String?, stepIndex: Int? = nil) {
        self.name = name
        self.kind = kind
        self.analysis = analysis
        self.latestHash = latestHash
        self.stableHash = stableHash
        self.stepIndex = stepIndex
    }
}

/// What the router should carry: the canary's share and the managed routes in force (the
/// routers' own type, so the decision and the router speak one shape).
public typealias RolloutTraffic = RolloutRouteSettings

/// What the controller must do for a Rollout. Every effect is idempotent: carrying out the same
/// action twice leaves the cluster as once.
public enum RolloutAction: DeliveryEffect {
    /// Create this ReplicaSet (the controller adds the owner reference); AlreadyExists is success.
    case createReplicaSet(JSONValue)
    case scaleReplicaSet(name: String, replicas: Int)
    /// Set (or, for nil, remove) annotations on a ReplicaSet.
    case annotateReplicaSet(name: String, annotations: [String: String?])
    case deleteReplicaSet(name: String)
    /// Point a Service's selector at a pod-template hash (one update).
    case setServiceSelector(service: String, podHash: String)
    /// Write the router's weights and managed routes (canary strategy with trafficRouting).
    case setTraffic(RolloutTraffic)
    case createAnalysisRun(RolloutAnalysisRequest)
    /// Set `spec.terminate` on a run still measuring.
    case terminateAnalysisRun(name: String)
    case deleteAnalysisRun(name: String)
    /// Create this Experiment (the controller adds the owner reference); AlreadyExists is success.
    case createExperiment(JSONValue)
    /// Set `spec.terminate` on an Experiment still running.
    case terminateExperiment(name: String)
    /// Scale the workloadRef Deployment (or StatefulSet).
    case scaleWorkload(name: String, replicas: Int)
    /// Set the workloadRef StatefulSet's `updateStrategy.rollingUpdate.partition`.
    case setPartition(name: String, partition: Int)
    /// Abort of a StatefulSet update: delete one pod of the StatefulSet still running
    /// `revision` (the highest ordinal), so it comes back at the current revision.
    case revertStatefulSetPod(name: String, revision: String)
    /// Undo: write this pod template into the Rollout's `spec.template`.
    case setPodTemplate(JSONValue)
    /// Delete up to `count` of the Rollout's pods created before `before` (RFC 3339).
    case restartPods(before: String, count: Int)
}

/// A Kubernetes Event to record on the Rollout.
public typealias RolloutEvent = DeliveryEvent

/// The outcome of one Rollout decision (see `DeliveryDriver` for the order it is carried out
/// in). The Rollout core asks no queries: AnalysisRuns measure on their own.
public typealias RolloutDecision = DeliveryDecision<Never, RolloutAction, RolloutStatus>

/// What one Rollout decision looks at.
public typealias RolloutInput = DecisionInput<RolloutSpec, RolloutStatus, RolloutWorld>
