import KubeCore

/// Flagger's canary phases.
public enum CanaryPhase: String, Codable, Sendable, Hashable, CaseIterable {
    case initializing = "Initializing"
    case initialized = "Initialized"
    case waiting = "Waiting"
    case progressing = "Progressing"
    case waitingPromotion = "WaitingPromotion"
    case promoting = "Promoting"
    case finalising = "Finalising"
    case succeeded = "Succeeded"
    case failed = "Failed"
    case terminating = "Terminating"
    case terminated = "Terminated"

    /// A release is under way (traffic may reach the canary).
    public var isActive: Bool {
        switch self {
        case .waiting, .progressing, .waitingPromotion, .promoting, .finalising: return true
        default: return false
        }
    }

    /// Numeric value for the `serin_canary_status` gauge (Flagger's encoding where it has one).
    public var metricValue: Int {
        switch self {
        case .initializing, .initialized, .waiting, .progressing, .waitingPromotion, .promoting, .finalising: return 0
        case .succeeded: return 1
        case .failed: return 2
        case .terminating, .terminated: return 3
        }
    }
}

/// `status` of a Canary. It is the decision core's only memory: every timer and gate lives here.
public struct CanaryStatus: Codable, Sendable, Hashable {
    public var phase: CanaryPhase?
    public var canaryWeight: Int?
    public var failedChecks: Int?
    public var iterations: Int?
    /// Release checksum (pod template + tracked configs) of the revision being (or last) rolled out.
    public var lastAppliedSpec: String?
    /// Release checksum the primary runs.
    public var lastPromotedSpec: String?
    /// RFC 3339; when the phase last changed.
    public var lastTransitionTime: String?
    /// The last result of each metric check.
    public var metricResults: [MetricCheckResult]?
    public var conditions: [Condition]?
    public var observedGeneration: Int?

    // Resume state (a restart continues from here).
    /// RFC 3339; when the last analysis step ran. The next runs one interval later.
    public var lastStepTime: String?
    /// RFC 3339; when the current release was detected (for the duration metric).
    public var releaseStartTime: String?
    /// RFC 3339; since when the canary (or primary, while promoting) has been seen not ready.
    public var notReadySince: String?
    /// Traffic is being mirrored to the canary.
    public var mirroring: Bool?
    /// The confirm-rollout gate passed for `lastAppliedSpec`.
    public var rolloutConfirmed: Bool?
    /// The pre-rollout hooks passed for `lastAppliedSpec`.
    public var preRolloutPassed: Bool?
    /// The gate currently holding the canary (`confirm-traffic-increase`, `confirm-promotion`, `canary-ready` …).
    public var waitingFor: String?
    /// Manual-control annotation values already acted on (annotation key → value).
    public var handledAnnotations: [String: String]?
    /// Human-readable summary of the current state (why it failed, what it waits for).
    public var message: String?
    /// The primary's replicas when the release began (what carried all the traffic then).
    public var releasePrimaryReplicas: Int?
    /// A traffic handover under way after the analysis ended (see `CanaryHandover`).
    public var handover: CanaryHandover?
    /// RFC 3339; when this release began waiting for a release slot (the queue's order).
    public var queuedSince: String?

    public init(phase: CanaryPhase? = nil, canaryWeight: Int? = nil, failedChecks: Int? = nil,
                iterations: Int? = nil, lastAppliedSpec: String? = nil, lastPromotedSpec: String? = nil,
                lastTransitionTime: String? = nil, metricResults: [MetricCheckResult]? = nil,
                conditions: [Condition]? = nil, observedGeneration: Int? = nil) {
        self.phase = phase
        self.canaryWeight = canaryWeight
        self.failedChecks = failedChecks
        self.iterations = iterations
        self.lastAppliedSpec = lastAppliedSpec
        self.lastPromotedSpec = lastPromotedSpec
        self.lastTransitionTime = lastTransitionTime
        self.metricResults = metricResults
        self.conditions = conditions
        self.observedGeneration = observedGeneration
    }

    public static let promotedCondition = "Promoted"
    public static let specValidCondition = "SpecValid"

    /// The `Promoted` condition for a phase: True when Initialized or Succeeded, False when Failed,
    /// Unknown otherwise; the reason is the phase.
    public static func promoted(phase: CanaryPhase, message: String, at time: String, generation: Int?) -> Condition {
        let status: Condition.Status
        switch phase {
        case .initialized, .succeeded: status = .true
        case .failed: status = .false
        default: status = .unknown
        }
        return Condition(type: promotedCondition, status: status, reason: phase.rawValue, message: message,
                         lastTransitionTime: time, observedGeneration: generation)
    }
}

/// Traffic that has not yet returned where the phase says it goes, and why. Serin's safety
/// beyond the peers: a rollback waits (bounded by progressDeadlineSeconds) for an autoscaled
/// primary to be scaled to carry the canary's share, and a promotion whose primary never
/// becomes ready keeps the canary serving instead of sending traffic to a broken primary.
public struct CanaryHandover: Codable, Sendable, Hashable {
    public enum Kind: String, Codable, Sendable, Hashable {
        /// Traffic returns to the primary as fast as its ready replicas can carry it.
        case rollback = "Rollback"
        /// The promoted primary is not ready: the canary keeps its traffic.
        case promotionHold = "PromotionHold"
    }
    public var kind: Kind
    /// RFC 3339; when the handover began (its deadline counts from here).
    public var since: String
    /// Rollback: the primary replicas needed to carry all the traffic (asked of its autoscaler).
    public var primaryReplicas: Int?
    /// Why the analysis ended (the rollback reason, or what the primary lacked).
    public var reason: String

    public init(kind: Kind, since: String, primaryReplicas: Int? = nil, reason: String) {
        self.kind = kind
        self.since = since
        self.primaryReplicas = primaryReplicas
        self.reason = reason
    }
}

/// Annotations on a Canary for GitOps-friendly manual control. Any new value triggers the
/// action once (Serin records the handled value in status), e.g.
/// `kubectl annotate canary x serin.dev/promote=$(date +%s) --overwrite`.
public enum CanaryAnnotations {
    /// Skip the rest of the analysis and promote now.
    public static let promote = ManualControlAnnotations.promote
    /// Roll back now.
    public static let abort = ManualControlAnnotations.abort
    /// Start the failed release again from weight 0.
    public static let retry = ManualControlAnnotations.retry
    /// `"true"` holds the canary where it is, like `spec.suspend` (a state, not a trigger).
    public static let paused = ManualControlAnnotations.paused
    public static let all = [promote, abort, retry]
}
