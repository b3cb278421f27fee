import KubeCore
import SerinAPI
import Traffic

/// What the Canary controller must do. Every effect is idempotent.
public enum CanaryAction: DeliveryEffect {
    /// Create or update `<target>-primary` as a copy of the target (and `-primary` copies of the
    /// ConfigMaps/Secrets it references, and `<hpa>-primary`), keeping the primary's replicas.
    case initializePrimary
    /// Create or update the apex/primary/canary Services and the router's objects.
    case reconcileRouting
    /// Scale the target to the primary's replica count (or the HPA minimum).
    case scaleTargetUp
    case scaleTargetToZero
    /// Copy the target's pod template and configs to the primary and stamp `checksum` on it.
    case promote(checksum: String)
    case setRoutes(RouteWeights)
    /// Rollback handover: raise the primary autoscaler's minimum (and the primary's replicas)
    /// to at least this many, within its maximum.
    case holdPrimaryCapacity(replicas: Int)
    /// The handover is over: the primary autoscaler takes the user's settings again.
    case releasePrimaryCapacity
    /// Fire and forget (post-rollout): the outcome is only logged and evented.
    case notifyWebhook(CanaryWebhook, WebhookPayload)
    /// revertOnDeletion: scale the target back up, point the apex Service at it, delete the routes.
    case revertTarget
    case addFinalizer
    case removeFinalizer

    /// The finalizer is metadata: added before the status write, so a Canary deleted right
    /// after its first status is reverted.
    public var precedesStatus: Bool { self == .addFinalizer }
    /// With the finalizer gone the object may be deleted at once: no status to write.
    public var endsObject: Bool { self == .removeFinalizer }
}

/// What the Canary decision core asks before it decides; the answers go into `ObservedWorld`.
public enum CanaryQuery: Sendable, Hashable {
    /// POST the payload; the answer goes into `webhookResults[webhook.name]`.
    case callWebhook(CanaryWebhook, WebhookPayload)
    /// Run these checks; the results go into `metricResults`.
    case runMetricChecks([CanaryMetric])
}

/// A Kubernetes Event to record on the Canary (and to send to `event` webhooks).
public typealias CanaryEvent = DeliveryEvent

/// The outcome of one Canary decision (see `DeliveryDriver` for the order it is carried out in).
public typealias CanaryDecision = DeliveryDecision<CanaryQuery, CanaryAction, CanaryStatus>

/// What one Canary decision looks at.
public typealias CanaryInput = DecisionInput<CanarySpec, CanaryStatus, ObservedWorld>
