import KubeCore
import SerinAPI
import Traffic

/// What the controller must do. Effects change the cluster and are idempotent; queries
/// (`callWebhook`, `runMetricChecks`) return results the controller feeds back into
/// `ObservedWorld` before deciding again.
public enum CanaryAction: Sendable, Hashable {
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
    /// Query: POST the payload; put the answer in `webhookResults[webhook.name]`.
    case callWebhook(CanaryWebhook, WebhookPayload)
    /// Query: run these checks; put the results in `metricResults`.
    case runMetricChecks([CanaryMetric])
    /// Fire and forget (post-rollout): the outcome is only logged and evented.
    case notifyWebhook(CanaryWebhook, WebhookPayload)
    /// revertOnDeletion: scale the target back up, point the apex Service at it, delete the routes.
    case revertTarget
    case addFinalizer
    case removeFinalizer

    public var isQuery: Bool {
        switch self {
        case .callWebhook, .runMetricChecks: return true
        default: return false
        }
    }
}

/// A Kubernetes Event to record on the Canary (and to send to `event` webhooks).
public struct CanaryEvent: Sendable, Hashable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable { case normal = "Normal", warning = "Warning" }
    public var type: Kind
    /// CamelCase.
    public var reason: String
    public var message: String

    public init(_ type: Kind, _ reason: String, _ message: String) {
        self.type = type
        self.reason = reason
        self.message = message
    }

    public var description: String { "\(type.rawValue) \(reason): \(message)" }
}

/// The outcome of one decision.
///
/// Protocol for the controller: when `needsResults` is true the decision holds only queries and
/// the old status; run them, add the results to the ObservedWorld and decide again (a handful of
/// rounds at most). Otherwise write `newStatus` to the status subresource first (the intent:
/// status is the only memory, and the core re-derives from it any effect that did not happen),
/// record `events` (and POST them to `event` webhooks), then carry out `actions` in order, and
/// requeue after `requeueAfter` seconds (nil: wait for a watch event).
public struct Decision: Sendable, Hashable {
    public var newStatus: CanaryStatus
    public var actions: [CanaryAction]
    public var requeueAfter: Double?
    public var events: [CanaryEvent]

    public init(newStatus: CanaryStatus, actions: [CanaryAction], requeueAfter: Double?, events: [CanaryEvent]) {
        self.newStatus = newStatus
        self.actions = actions
        self.requeueAfter = requeueAfter
        self.events = events
    }

    public var needsResults: Bool { actions.contains(where: \.isQuery) }
    public var queries: [CanaryAction] { actions.filter(\.isQuery) }
}
