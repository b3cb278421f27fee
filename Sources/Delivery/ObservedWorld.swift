import KubeCore
import SerinAPI
import Traffic

/// Replica counts of a Deployment as the controller read them.
public struct WorkloadState: Sendable, Hashable {
    /// `spec.replicas`.
    public var desiredReplicas: Int
    /// `status.readyReplicas`.
    public var readyReplicas: Int
    /// `status.updatedReplicas`; nil when unknown.
    public var updatedReplicas: Int?
    /// `status.observedGeneration >= metadata.generation` (the controller saw the latest spec).
    public var generationObserved: Bool

    public init(desiredReplicas: Int, readyReplicas: Int, updatedReplicas: Int? = nil, generationObserved: Bool = true) {
        self.desiredReplicas = desiredReplicas
        self.readyReplicas = readyReplicas
        self.updatedReplicas = updatedReplicas
        self.generationObserved = generationObserved
    }

    /// Ready when the rollout caught up and at least `thresholdPercent` of the replicas are ready.
    /// A Deployment scaled to zero is never ready: there is nothing to serve.
    public func isReady(thresholdPercent: Int) -> Bool {
        guard generationObserved, desiredReplicas > 0 else { return false }
        if let u = updatedReplicas, u * 100 < desiredReplicas * thresholdPercent { return false }
        return readyReplicas * 100 >= desiredReplicas * thresholdPercent
    }
}

/// Everything the controller observed for one decision. Results of webhooks and metric checks
/// are only those the controller ran for this decision (after a Decision asked for them).
public struct ObservedWorld: Sendable, Hashable {
    // The Canary object itself.
    public var name: String
    public var namespace: String
    public var generation: Int?
    /// The Canary's annotations (manual promote / abort / retry).
    public var annotations: [String: String]
    /// `metadata.deletionTimestamp` is set.
    public var deleting: Bool
    /// The Canary carries Serin's finalizer.
    public var hasFinalizer: Bool

    /// The target Deployment; nil when it does not exist.
    public var target: WorkloadState?
    /// `<target>-primary`; nil when not created yet.
    public var primary: WorkloadState?
    /// Release checksum of the target (pod template + tracked ConfigMaps/Secrets).
    public var releaseChecksum: String?
    /// Release checksum the primary was last promoted to (the controller stamps it on the primary).
    public var primaryChecksum: String?
    /// Weights read back from the router; nil when the routing objects do not exist yet.
    public var routes: RouteWeights?

    /// Webhook answers for calls made this round, by webhook name.
    public var webhookResults: [String: WebhookResult]
    /// Metric check results for this interval; nil when not run this round.
    public var metricResults: [MetricCheckResult]?
    /// Objects the spec names that do not exist (MetricTemplates), reported like spec problems.
    public var missingReferences: [CanarySpecProblem] = []
    /// The most replicas the primary's autoscaler allows (its maxReplicas); read only while a
    /// rollback handover waits for the primary, nil otherwise or without an autoscaler.
    public var primaryScaleLimit: Int?
    /// Whether a new release may start now under the concurrency limits; nil when unlimited.
    public var releaseSlot: ReleaseSlot?

    public init(name: String, namespace: String, generation: Int? = nil, annotations: [String: String] = [:],
                deleting: Bool = false, hasFinalizer: Bool = false, target: WorkloadState? = nil,
                primary: WorkloadState? = nil, releaseChecksum: String? = nil, primaryChecksum: String? = nil,
                routes: RouteWeights? = nil, webhookResults: [String: WebhookResult] = [:],
                metricResults: [MetricCheckResult]? = nil) {
        self.name = name
        self.namespace = namespace
        self.generation = generation
        self.annotations = annotations
        self.deleting = deleting
        self.hasFinalizer = hasFinalizer
        self.target = target
        self.primary = primary
        self.releaseChecksum = releaseChecksum
        self.primaryChecksum = primaryChecksum
        self.routes = routes
        self.webhookResults = webhookResults
        self.metricResults = metricResults
    }

    /// `name.namespace`, as Flagger names a canary in messages.
    public var displayName: String { "\(name).\(namespace)" }
}

/// The answer of the release concurrency limit (`--max-concurrent-releases`,
/// `--max-concurrent-releases-per-namespace`) for one Canary about to start a release.
public struct ReleaseSlot: Sendable, Hashable {
    /// Nil when the release may start; otherwise who it waits for.
    public var waitsFor: String?

    public init(waitsFor: String?) { self.waitsFor = waitsFor }

    public static let free = ReleaseSlot(waitsFor: nil)
}
