import KubeCore

/// `serin.dev/v1alpha1` Rollout: Argo Rollouts' `argoproj.io/v1alpha1` Rollout shape, so an
/// existing manifest works with only its apiVersion changed. It replaces a Deployment: Serin
/// owns the ReplicaSets of its pod template.
public struct Rollout: Codable, Sendable, Hashable {
    public static let apiVersionString = "serin.dev/v1alpha1"
    public static let kindName = "Rollout"
    public static let resource = ResourceType.rollouts

    public var apiVersion: String?
    public var kind: String?
    /// Kept verbatim (labels, annotations, uid, generation …).
    public var metadata: JSONValue?
    public var spec: RolloutSpec
    public var status: RolloutStatus?

    public init(apiVersion: String? = Rollout.apiVersionString, kind: String? = Rollout.kindName,
                metadata: JSONValue? = nil, spec: RolloutSpec, status: RolloutStatus? = nil) {
        self.apiVersion = apiVersion
        self.kind = kind
        self.metadata = metadata
        self.spec = spec
        self.status = status
    }

    public var name: String { metadata?["name"].stringValue ?? "" }
    public var namespace: String { metadata?["namespace"].stringValue ?? "" }
    public var generation: Int? { metadata?["generation"].intValue }
    public var uid: String? { metadata?["uid"].stringValue }
    public var annotations: [String: String] {
        (metadata?["annotations"].objectValue ?? [:]).compactMapValues(\.stringValue)
    }
}

public struct RolloutSpec: Codable, Sendable, Hashable {
    /// Desired pods; default 1. The `/scale` subresource (an HPA) writes it.
    public var replicas: Int?
    /// A metav1.LabelSelector; must select the template's labels.
    public var selector: JSONValue?
    /// The pod template (kept verbatim). Exactly one of `template` and `workloadRef`.
    public var template: JSONValue?
    public var workloadRef: RolloutWorkloadRef?
    /// Argo's resource-plugin proposal: `{name: statefulset}` beside a StatefulSet workloadRef.
    /// Serin runs StatefulSets itself; the field is accepted with that name.
    public var resourcePlugin: RolloutResourcePlugin?
    public var minReadySeconds: Int?
    /// Old ReplicaSets kept (scaled to zero) for undo; default 10.
    public var revisionHistoryLimit: Int?
    /// Holds the rollout where it is (no step advances) while true.
    public var paused: Bool?
    /// Seconds an update may go without progress before it is Degraded; default 600.
    public var progressDeadlineSeconds: Int?
    /// Abort (roll back) when the progress deadline passes.
    public var progressDeadlineAbort: Bool?
    /// RFC 3339: pods created before this time are restarted.
    public var restartAt: String?
    public var rollbackWindow: RolloutRollbackWindow?
    /// AnalysisRun history limits.
    public var analysis: RolloutAnalysisRunStrategy?
    public var strategy: RolloutStrategy

    public init(replicas: Int? = nil, selector: JSONValue? = nil, template: JSONValue? = nil,
                workloadRef: RolloutWorkloadRef? = nil, minReadySeconds: Int? = nil, revisionHistoryLimit: Int? = nil,
                paused: Bool? = nil, progressDeadlineSeconds: Int? = nil, progressDeadlineAbort: Bool? = nil,
                restartAt: String? = nil, rollbackWindow: RolloutRollbackWindow? = nil,
                analysis: RolloutAnalysisRunStrategy? = nil, strategy: RolloutStrategy) {
        self.replicas = replicas
        self.selector = selector
        self.template = template
        self.workloadRef = workloadRef
        self.minReadySeconds = minReadySeconds
        self.revisionHistoryLimit = revisionHistoryLimit
        self.paused = paused
        self.progressDeadlineSeconds = progressDeadlineSeconds
        self.progressDeadlineAbort = progressDeadlineAbort
        self.restartAt = restartAt
        self.rollbackWindow = rollbackWindow
        self.analysis = analysis
        self.strategy = strategy
    }

    public static let defaultReplicas = 1
    public static let defaultRevisionHistoryLimit = 10
    public static let defaultProgressDeadlineSeconds = 600

    public var effectiveReplicas: Int { max(0, replicas ?? Self.defaultReplicas) }
    public var effectiveRevisionHistoryLimit: Int { max(0, revisionHistoryLimit ?? Self.defaultRevisionHistoryLimit) }
    public var effectiveProgressDeadlineSeconds: Int { progressDeadlineSeconds ?? Self.defaultProgressDeadlineSeconds }

    /// `selector.matchLabels` as strings.
    public var matchLabels: [String: String] {
        (selector?["matchLabels"].objectValue ?? [:]).compactMapValues(\.stringValue)
    }
}

/// `spec.resourcePlugin` (Argo's proposal): which plugin handles the workloadRef kind.
public struct RolloutResourcePlugin: Codable, Sendable, Hashable {
    public var name: String
    /// Plugin settings; Serin's StatefulSet support takes none (validation names them).
    public var config: JSONValue?
    public init(name: String, config: JSONValue? = nil) {
        self.name = name
        self.config = config
    }

    /// The one plugin name Serin answers to.
    public static let statefulSet = "statefulset"
}

/// A workload whose pod template the Rollout uses (Argo's `workloadRef`), or, for a
/// StatefulSet, the workload whose pods the Rollout updates in place (partition by partition).
public struct RolloutWorkloadRef: Codable, Sendable, Hashable {
    public var apiVersion: String?
    public var kind: String?
    public var name: String
    /// `never` (default), `onsuccess` or `progressively`: what happens to the referenced
    /// Deployment's replicas as the Rollout takes over.
    public var scaleDown: String?

    public init(apiVersion: String? = "apps/v1", kind: String? = "Deployment", name: String, scaleDown: String? = nil) {
        self.apiVersion = apiVersion
        self.kind = kind
        self.name = name
        self.scaleDown = scaleDown
    }

    public enum ScaleDown: String, Sendable, Hashable, CaseIterable {
        case never, onsuccess, progressively
    }

    public var effectiveScaleDown: ScaleDown? { ScaleDown(rawValue: scaleDown ?? "never") }

    public static let statefulSetKind = "StatefulSet"
    /// A StatefulSet: updated in place through `updateStrategy.rollingUpdate.partition`.
    public var isStatefulSet: Bool { kind == Self.statefulSetKind }
}

public struct RolloutRollbackWindow: Codable, Sendable, Hashable {
    /// Rolling back to one of this many most recent revisions skips steps and analysis.
    public var revisions: Int?
    public init(revisions: Int? = nil) { self.revisions = revisions }
}

public struct RolloutAnalysisRunStrategy: Codable, Sendable, Hashable {
    public var successfulRunHistoryLimit: Int?
    public var unsuccessfulRunHistoryLimit: Int?
    public init(successfulRunHistoryLimit: Int? = nil, unsuccessfulRunHistoryLimit: Int? = nil) {
        self.successfulRunHistoryLimit = successfulRunHistoryLimit
        self.unsuccessfulRunHistoryLimit = unsuccessfulRunHistoryLimit
    }
}

public struct RolloutStrategy: Codable, Sendable, Hashable {
    public var canary: RolloutCanaryStrategy?
    public var blueGreen: RolloutBlueGreenStrategy?
    public init(canary: RolloutCanaryStrategy? = nil, blueGreen: RolloutBlueGreenStrategy? = nil) {
        self.canary = canary
        self.blueGreen = blueGreen
    }
}

public struct RolloutBlueGreenStrategy: Codable, Sendable, Hashable {
    /// The Service production traffic goes through; Serin sets its selector to the active hash.
    public var activeService: String
    /// The Service that reaches the new version before promotion.
    public var previewService: String?
    /// Pods of the new version before promotion; default all of `replicas`.
    public var previewReplicaCount: Int?
    /// Default true: promote as soon as the preview is available (and pre-promotion analysis passed).
    public var autoPromotionEnabled: Bool?
    /// Promote automatically this many seconds after the preview became ready.
    public var autoPromotionSeconds: Int?
    public var maxUnavailable: IntOrString?
    /// Seconds the old ReplicaSet keeps running after the switch; default 30.
    public var scaleDownDelaySeconds: Int?
    public var scaleDownDelayRevisionLimit: Int?
    public var prePromotionAnalysis: RolloutAnalysis?
    public var postPromotionAnalysis: RolloutAnalysis?
    public var antiAffinity: JSONValue?
    public var previewMetadata: CustomMetadata?
    public var activeMetadata: CustomMetadata?
    /// Seconds the new ReplicaSet keeps running after an abort; default 30 (0: never scaled down).
    public var abortScaleDownDelaySeconds: Int?

    public init(activeService: String, previewService: String? = nil, previewReplicaCount: Int? = nil,
                autoPromotionEnabled: Bool? = nil, autoPromotionSeconds: Int? = nil, maxUnavailable: IntOrString? = nil,
                scaleDownDelaySeconds: Int? = nil, scaleDownDelayRevisionLimit: Int? = nil,
                prePromotionAnalysis: RolloutAnalysis? = nil, postPromotionAnalysis: RolloutAnalysis? = nil,
                antiAffinity: JSONValue? = nil, previewMetadata: CustomMetadata? = nil,
                activeMetadata: CustomMetadata? = nil, abortScaleDownDelaySeconds: Int? = nil) {
        self.activeService = activeService
        self.previewService = previewService
        self.previewReplicaCount = previewReplicaCount
        self.autoPromotionEnabled = autoPromotionEnabled
        self.autoPromotionSeconds = autoPromotionSeconds
        self.maxUnavailable = maxUnavailable
        self.scaleDownDelaySeconds = scaleDownDelaySeconds
        self.scaleDownDelayRevisionLimit = scaleDownDelayRevisionLimit
        self.prePromotionAnalysis = prePromotionAnalysis
        self.postPromotionAnalysis = postPromotionAnalysis
        self.antiAffinity = antiAffinity
        self.previewMetadata = previewMetadata
        self.activeMetadata = activeMetadata
        self.abortScaleDownDelaySeconds = abortScaleDownDelaySeconds
    }

    public static let defaultScaleDownDelaySeconds = 30
    public static let defaultAbortScaleDownDelaySeconds = 30

    public var effectiveAutoPromotionEnabled: Bool { autoPromotionEnabled ?? true }
    public var effectiveScaleDownDelaySeconds: Int { scaleDownDelaySeconds ?? Self.defaultScaleDownDelaySeconds }
    public var effectiveAbortScaleDownDelaySeconds: Int {
        abortScaleDownDelaySeconds ?? Self.defaultAbortScaleDownDelaySeconds
    }
}

public struct RolloutCanaryStrategy: Codable, Sendable, Hashable {
    /// Service Serin points at the canary ReplicaSet's pods.
    public var canaryService: String?
    /// Service Serin points at the stable ReplicaSet's pods.
    public var stableService: String?
    public var steps: [RolloutCanaryStep]?
    public var trafficRouting: RolloutTrafficRouting?
    public var maxUnavailable: IntOrString?
    public var maxSurge: IntOrString?
    /// Background analysis, from `startingStep` until the rollout completes.
    public var analysis: RolloutAnalysis?
    public var antiAffinity: JSONValue?
    public var canaryMetadata: CustomMetadata?
    public var stableMetadata: CustomMetadata?
    /// With trafficRouting: seconds the old stable keeps running after promotion; default 30.
    public var scaleDownDelaySeconds: Int?
    public var scaleDownDelayRevisionLimit: Int?
    /// With trafficRouting: seconds the canary keeps running after an abort; default 30.
    public var abortScaleDownDelaySeconds: Int?
    /// With trafficRouting: scale the stable down as traffic leaves it.
    public var dynamicStableScale: Bool?
    public var minPodsPerReplicaSet: Int?
    /// Argo's ping-pong Service pair, instead of canaryService and stableService: the two swap
    /// roles at each promotion (status.canary.stablePingPong records which one is stable).
    public var pingPong: RolloutPingPong?
    /// Argo's partial-availability step progress: a setWeight/setCanaryScale step is complete once
    /// this many of its canary pods are available (see `progressThreshold(at:)`).
    public var replicaProgressThreshold: RolloutReplicaProgressThreshold?

    public init(canaryService: String? = nil, stableService: String? = nil, steps: [RolloutCanaryStep]? = nil,
                trafficRouting: RolloutTrafficRouting? = nil, maxUnavailable: IntOrString? = nil,
                maxSurge: IntOrString? = nil, analysis: RolloutAnalysis? = nil, antiAffinity: JSONValue? = nil,
                canaryMetadata: CustomMetadata? = nil, stableMetadata: CustomMetadata? = nil,
                scaleDownDelaySeconds: Int? = nil, scaleDownDelayRevisionLimit: Int? = nil,
                abortScaleDownDelaySeconds: Int? = nil, dynamicStableScale: Bool? = nil,
                minPodsPerReplicaSet: Int? = nil) {
        self.canaryService = canaryService
        self.stableService = stableService
        self.steps = steps
        self.trafficRouting = trafficRouting
        self.maxUnavailable = maxUnavailable
        self.maxSurge = maxSurge
        self.analysis = analysis
        self.antiAffinity = antiAffinity
        self.canaryMetadata = canaryMetadata
        self.stableMetadata = stableMetadata
        self.scaleDownDelaySeconds = scaleDownDelaySeconds
        self.scaleDownDelayRevisionLimit = scaleDownDelayRevisionLimit
        self.abortScaleDownDelaySeconds = abortScaleDownDelaySeconds
        self.dynamicStableScale = dynamicStableScale
        self.minPodsPerReplicaSet = minPodsPerReplicaSet
    }

    public static let defaultScaleDownDelaySeconds = 30
    public static let defaultAbortScaleDownDelaySeconds = 30
    public static let defaultMaxSurge = IntOrString.string("25%")
    public static let defaultMaxUnavailable = IntOrString.string("25%")

    public var effectiveSteps: [RolloutCanaryStep] { steps ?? [] }

    /// The stable and canary Services in force: with pingPong, the pair by `stablePingPong`
    /// (ping is stable until the first promotion), else stableService and canaryService.
    public func services(stablePingPong role: RolloutPingPongRole?) -> (stable: String?, canary: String?) {
        guard let pp = pingPong else { return (stableService, canaryService) }
        return role == .pong ? (pp.pongService, pp.pingService) : (pp.pingService, pp.pongService)
    }
    public var effectiveScaleDownDelaySeconds: Int { scaleDownDelaySeconds ?? Self.defaultScaleDownDelaySeconds }
    public var effectiveAbortScaleDownDelaySeconds: Int {
        abortScaleDownDelaySeconds ?? Self.defaultAbortScaleDownDelaySeconds
    }
}

public struct RolloutPingPong: Codable, Sendable, Hashable {
    public var pingService: String
    public var pongService: String
    public init(pingService: String, pongService: String) {
        self.pingService = pingService
        self.pongService = pongService
    }
}

/// `Percent` or `Pod`, and how many.
public struct RolloutReplicaProgressThreshold: Codable, Sendable, Hashable {
    /// `Percent` or `Pod`.
    public var type: String
    public var value: Int
    public init(type: String, value: Int) {
        self.type = type
        self.value = value
    }

    public static let types = ["Percent", "Pod"]

    /// Available pods that complete a step wanting `n`: value% of n rounded up, or value pods,
    /// never more than n and at least one (a step with pods is never complete with none).
    public func requiredPods(of n: Int) -> Int {
        guard n > 0 else { return 0 }
        let wanted = type == "Pod" ? value : Int((Double(n) * Double(value) / 100).rounded(.up))
        return min(n, max(1, wanted))
    }
}

extension RolloutCanaryStrategy {
    /// The threshold in force at step `index`: the last `replicaProgressThreshold` step before
    /// it, else the strategy's own; nil: every pod.
    public func progressThreshold(at index: Int) -> RolloutReplicaProgressThreshold? {
        let steps = effectiveSteps
        for i in stride(from: min(index, steps.count) - 1, through: 0, by: -1) {
            if let t = steps[i].replicaProgressThreshold { return t }
        }
        return replicaProgressThreshold
    }
}

extension IntOrString {
    /// A count or a percentage of `total` (Kubernetes' intstr scaling): percentages round up
    /// when `roundUp` (maxSurge) and down otherwise (maxUnavailable). Nil when unreadable.
    public func scaled(total: Int, roundUp: Bool) -> Int? {
        switch self {
        case .int(let i): return i
        case .string(let s):
            guard s.hasSuffix("%"), let p = Int(s.dropLast()) else { return Int(s) }
            let exact = Double(total) * Double(p) / 100
            return Int(roundUp ? exact.rounded(.up) : exact.rounded(.down))
        }
    }
}
