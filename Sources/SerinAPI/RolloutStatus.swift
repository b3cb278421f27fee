import KubeCore

/// Argo's rollout phases.
public enum RolloutPhase: String, Codable, Sendable, Hashable, CaseIterable {
    case healthy = "Healthy"
    case progressing = "Progressing"
    case paused = "Paused"
    case degraded = "Degraded"
}

/// Why a rollout is paused (Argo's pause reasons).
public enum RolloutPauseReason {
    public static let canaryPauseStep = "CanaryPauseStep"
    public static let blueGreenPause = "BlueGreenPause"
    public static let inconclusiveAnalysis = "InconclusiveAnalysisRun"
}

public struct RolloutPauseCondition: Codable, Sendable, Hashable {
    public var reason: String
    /// RFC 3339; a timed pause ends its duration after this.
    public var startTime: String
    public init(reason: String, startTime: String) {
        self.reason = reason
        self.startTime = startTime
    }
}

/// The AnalysisRun a step (or background, pre/post-promotion) is waiting on.
public struct RolloutAnalysisRunStatus: Codable, Sendable, Hashable {
    public var name: String
    /// The run's phase (`Pending`, `Running`, `Successful`, `Failed`, `Error`, `Inconclusive`).
    public var status: String
    public var message: String?
    public init(name: String, status: String, message: String? = nil) {
        self.name = name
        self.status = status
        self.message = message
    }
}

public struct RolloutWeightDestination: Codable, Sendable, Hashable {
    public var weight: Int
    public var serviceName: String?
    public var podTemplateHash: String?
    public init(weight: Int, serviceName: String? = nil, podTemplateHash: String? = nil) {
        self.weight = weight
        self.serviceName = serviceName
        self.podTemplateHash = podTemplateHash
    }
}

public struct RolloutTrafficWeights: Codable, Sendable, Hashable {
    public var canary: RolloutWeightDestination
    public var stable: RolloutWeightDestination
    /// Set once the router was written with these weights.
    public var verified: Bool?
    public init(canary: RolloutWeightDestination, stable: RolloutWeightDestination, verified: Bool? = nil) {
        self.canary = canary
        self.stable = stable
        self.verified = verified
    }
}

/// Argo's ping-pong roles: which of the pair is the stable Service.
public enum RolloutPingPongRole: String, Codable, Sendable, Hashable {
    case ping, pong
}

public struct RolloutCanaryStatus: Codable, Sendable, Hashable {
    /// With pingPong: the Service of the pair that is stable (nil: ping, as Argo starts).
    public var stablePingPong: RolloutPingPongRole?
    public var weights: RolloutTrafficWeights?
    public var currentStepAnalysisRunStatus: RolloutAnalysisRunStatus?
    public var currentBackgroundAnalysisRunStatus: RolloutAnalysisRunStatus?
    /// The Experiment of the current experiment step (Argo's field).
    public var currentExperiment: String?
    public init(weights: RolloutTrafficWeights? = nil, currentStepAnalysisRunStatus: RolloutAnalysisRunStatus? = nil,
                currentBackgroundAnalysisRunStatus: RolloutAnalysisRunStatus? = nil, currentExperiment: String? = nil) {
        self.weights = weights
        self.currentExperiment = currentExperiment
        self.currentStepAnalysisRunStatus = currentStepAnalysisRunStatus
        self.currentBackgroundAnalysisRunStatus = currentBackgroundAnalysisRunStatus
    }
}

public struct RolloutBlueGreenStatus: Codable, Sendable, Hashable {
    /// The pod-template hash the active Service selects.
    public var activeSelector: String?
    /// The pod-template hash the preview Service selects.
    public var previewSelector: String?
    /// The preview was scaled to full size before the switch (previewReplicaCount).
    public var scaleUpPreviewCheckPoint: Bool?
    public var prePromotionAnalysisRunStatus: RolloutAnalysisRunStatus?
    public var postPromotionAnalysisRunStatus: RolloutAnalysisRunStatus?
    public init(activeSelector: String? = nil, previewSelector: String? = nil, scaleUpPreviewCheckPoint: Bool? = nil,
                prePromotionAnalysisRunStatus: RolloutAnalysisRunStatus? = nil,
                postPromotionAnalysisRunStatus: RolloutAnalysisRunStatus? = nil) {
        self.activeSelector = activeSelector
        self.previewSelector = previewSelector
        self.scaleUpPreviewCheckPoint = scaleUpPreviewCheckPoint
        self.prePromotionAnalysisRunStatus = prePromotionAnalysisRunStatus
        self.postPromotionAnalysisRunStatus = postPromotionAnalysisRunStatus
    }
}

/// `status` of a Rollout. It is the decision core's only memory (with the annotations Serin
/// writes on its own ReplicaSets): every timer and gate lives here, so a restart resumes.
public struct RolloutStatus: Codable, Sendable, Hashable {
    public var phase: RolloutPhase?
    public var message: String?
    /// The update was aborted: traffic is back on the stable version.
    public var abort: Bool?
    public var abortedAt: String?
    public var pauseConditions: [RolloutPauseCondition]?
    /// Serin added the pause conditions; when they are cleared by someone else the pause is over (Argo's rule).
    public var controllerPause: Bool?
    /// Hash of the pod template being rolled out.
    public var currentPodHash: String?
    /// Serin: the computed hash of `spec.template` as written; it differs from `currentPodHash`
    /// after an undo to a ReplicaSet whose stored template carries API server defaults.
    public var specTemplateHash: String?
    /// Hash of the canary steps the step index refers to.
    public var currentStepHash: String?
    public var currentStepIndex: Int?
    /// Hash of the ReplicaSet that is stable (serving when nothing is rolling out).
    public var stableRS: String?
    public var replicas: Int?
    public var updatedReplicas: Int?
    public var readyReplicas: Int?
    public var availableReplicas: Int?
    /// The replica count the `/scale` subresource shows an HPA.
    public var hpaReplicas: Int?
    /// The pod selector in string form, for the `/scale` subresource.
    public var selector: String?
    public var observedGeneration: Int?
    public var restartedAt: String?
    /// Skip every remaining step and analysis.
    public var promoteFull: Bool?
    public var collisionCount: Int?
    public var canary: RolloutCanaryStatus?
    public var blueGreen: RolloutBlueGreenStatus?
    public var conditions: [Condition]?
    public var workloadObservedGeneration: String?

    // Serin's resume state.
    /// Manual-control annotation values already acted on (annotation key → value).
    public var handledAnnotations: [String: String]?
    /// Bumped by retry, so the analysis runs of the new attempt get new names.
    public var releaseAttempt: Int?
    /// A pod-template hash an undo rolled back to that was stable before: reaching it skips steps and analysis.
    public var fastTrackHash: String?
    /// RFC 3339; when the current update last made progress (the progress deadline counts from here).
    public var lastProgressTime: String?
    /// RFC 3339; blue-green: when the preview became ready (autoPromotionSeconds counts from here).
    public var previewReadyTime: String?
    /// RFC 3339; when a restart (spec.restartAt or the restart annotation) was asked for and not yet done.
    public var restartRequestedAt: String?

    enum CodingKeys: String, CodingKey {
        case phase, message, abort, abortedAt, pauseConditions, controllerPause, currentPodHash, specTemplateHash, currentStepHash,
            currentStepIndex, stableRS, replicas, updatedReplicas, readyReplicas, availableReplicas
        case hpaReplicas = "HPAReplicas"
        case selector, observedGeneration, restartedAt, promoteFull, collisionCount, canary, blueGreen, conditions,
            workloadObservedGeneration, handledAnnotations, releaseAttempt, fastTrackHash, lastProgressTime,
            previewReadyTime, restartRequestedAt
    }

    public init() {}

    /// Condition types (Argo's).
    public static let availableCondition = "Available"
    public static let progressingCondition = "Progressing"
    public static let pausedCondition = "Paused"
    public static let healthyCondition = "Healthy"
    public static let invalidSpecCondition = "InvalidSpec"
    public static let completedCondition = "Completed"

    public var isAborted: Bool { abort == true }
    public var isPausedByCondition: Bool { !(pauseConditions ?? []).isEmpty }
}
