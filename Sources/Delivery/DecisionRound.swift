import Foundation
import KubeCore
import SerinAPI
import Traffic

/// The working state of one decision: the status being built, the actions and events so far.
struct DecisionRound {
    let decider: CanaryDecider
    let spec: CanarySpec
    let analysis: CanaryAnalysis
    let old: CanaryStatus
    var s: CanaryStatus
    let o: ObservedWorld
    let now: Date
    let nowText: String

    var actions: [CanaryAction] = []
    var events: [CanaryEvent] = []
    var queries: [CanaryQuery] = []
    var requeue: Double?
    /// The routing the cluster has once the actions so far are carried out.
    var route: RouteWeights?
    /// Whether the final pass may add routing actions (not for invalid, suspended, deleting canaries).
    var ensureRouting = true

    init(decider: CanaryDecider, spec: CanarySpec, status: CanaryStatus, observed: ObservedWorld, now: Date) {
        self.decider = decider
        self.spec = spec
        analysis = spec.effectiveAnalysis
        old = status
        s = status
        o = observed
        self.now = now
        nowText = KubeTime.format(now)
        route = observed.routes
    }

    var name: String { o.displayName }
    var interval: Double { analysis.intervalSeconds }
    var threshold: Int { analysis.effectiveThreshold }
    var deadline: Double { Double(spec.effectiveProgressDeadlineSeconds) }

    // MARK: - Status helpers

    mutating func transition(_ phase: CanaryPhase) {
        if s.phase != phase {
            s.phase = phase
            s.lastTransitionTime = nowText
        }
    }

    mutating func event(_ kind: CanaryEvent.Kind, _ reason: String, _ message: String) {
        events.append(CanaryEvent(kind, reason, message))
    }

    /// Records what the canary waits for; the event is emitted only when the wait begins.
    mutating func wait(_ key: String, _ message: String, kind: CanaryEvent.Kind = .normal, reason: String = "Waiting",
                       quiet: Bool = false) {
        if old.waitingFor != key, !quiet { event(kind, reason, message) }
        s.waitingFor = key
        s.message = message
    }

    mutating func clearWait(_ key: String? = nil) {
        if key == nil || s.waitingFor == key { s.waitingFor = nil }
    }

    /// Seconds since an RFC 3339 timestamp in status; nil when absent or unreadable.
    func elapsed(since text: String?) -> Double? {
        KubeTime.parse(text).map { now.timeIntervalSince($0) }
    }

    /// Whether an analysis step is due; otherwise how long until it is.
    func stepDue() -> (due: Bool, remaining: Double) {
        guard let e = elapsed(since: s.lastStepTime) else { return (true, 0) }
        let remaining = interval - e
        return remaining <= 0 ? (true, 0) : (false, remaining)
    }

    // MARK: - Manual annotations

    /// True once per new value of a manual-control annotation; records it as handled.
    mutating func manualRequest(_ key: String) -> Bool {
        guard let v = o.annotations[key], s.handledAnnotations?[key] != v else { return false }
        var handled = s.handledAnnotations ?? [:]
        handled[key] = v
        s.handledAnnotations = handled
        return true
    }

    // MARK: - Actions

    mutating func routeTo(_ weights: RouteWeights) {
        if o.routes == nil, !actions.contains(.reconcileRouting) { actions.append(.reconcileRouting) }
        if route != weights {
            actions.append(.setRoutes(weights))
            route = weights
        }
    }

    /// The routing the status calls for.
    func desiredRoute() -> RouteWeights {
        switch s.phase {
        case .progressing?, .waitingPromotion?, .promoting?:
            let w = s.canaryWeight ?? 0
            let mirror = s.mirroring == true ? (analysis.mirrorWeight ?? 100) : nil
            return RouteWeights(primary: 100 - w, canary: w, mirror: mirror, abMatch: analysis.strategy == .abTesting)
        default:
            // A handover keeps the canary's share until the primary can take it.
            guard s.handover != nil, let w = s.canaryWeight, w > 0 else { return .primaryOnly }
            return RouteWeights(primary: 100 - w, canary: w)
        }
    }

    func payload() -> WebhookPayload {
        WebhookPayload(name: o.name, namespace: o.namespace, phase: s.phase ?? .initializing,
                       checksum: o.releaseChecksum ?? s.lastAppliedSpec ?? "", metadata: nil)
    }

    /// Answers of these webhooks, or nil after asking for the missing ones.
    mutating func need(_ hooks: [CanaryWebhook]) -> [String: WebhookResult]? {
        var out: [String: WebhookResult] = [:]
        var missing = false
        for h in hooks {
            if let r = o.webhookResults[h.name] {
                out[h.name] = r
            } else {
                missing = true
                var p = payload()
                p.metadata = h.metadata
                queries.append(.callWebhook(h, p))
            }
        }
        return missing ? nil : out
    }

    /// Metric results for this interval, or nil after asking for them.
    mutating func needMetrics() -> [MetricCheckResult]? {
        let metrics = analysis.metrics ?? []
        if metrics.isEmpty { return [] }
        if let r = o.metricResults { return r }
        queries.append(.runMetricChecks(metrics))
        return nil
    }

    mutating func notifyPostRollout() {
        for h in analysis.webhooks(of: .postRollout) {
            var p = payload()
            p.metadata = h.metadata
            actions.append(.notifyWebhook(h, p))
        }
    }

    // MARK: - Finish

    /// kstatus: Ready when the primary serves the last revision; Stalled when it waits for a
    /// person (a failed release, a bad spec); Reconciling while a release or handover runs.
    func readiness(_ phase: CanaryPhase) -> Readiness {
        let message = s.message ?? phase.rawValue
        if let valid = s.conditions?[type: CanaryStatus.specValidCondition], valid.status == .false {
            return .stalled(reason: valid.reason, message: valid.message)
        }
        if s.handover != nil { return .reconciling(reason: s.handover!.kind.rawValue, message: message) }
        switch phase {
        case .initialized, .succeeded: return .ready(message: message)
        case .failed: return .stalled(reason: "Failed", message: message)
        case .waiting where s.waitingFor == "release-slot":
            return .reconciling(reason: "Queued", message: message)
        default: return .reconciling(reason: phase.rawValue, message: message)
        }
    }

    mutating func finish() {
        s.observedGeneration = o.generation ?? s.observedGeneration
        if ensureRouting, let phase = s.phase, phase != .initializing {
            routeTo(desiredRoute())
        }
        if let phase = s.phase {
            var conditions = s.conditions ?? []
            conditions.set(CanaryStatus.promoted(phase: phase, message: s.message ?? phase.rawValue, at: nowText,
                                                 generation: o.generation))
            conditions.setReadiness(readiness(phase), at: nowText, generation: o.generation)
            s.conditions = conditions
        }
    }
}
