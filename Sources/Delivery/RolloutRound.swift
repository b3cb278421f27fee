import Foundation
import KubeCore
import SerinAPI

/// The working state of one Rollout decision: the status being built, actions and events so far.
struct RolloutRound {
    let decider: RolloutDecider
    let spec: RolloutSpec
    let old: RolloutStatus
    var s: RolloutStatus
    let w: RolloutWorld
    let now: Date
    let nowText: String

    var actions: [RolloutAction] = []
    var events: [RolloutEvent] = []
    var requeue: Double?

    /// The pod-template hash being rolled out, and its ReplicaSet (synthesized when created this round).
    var podHash = ""
    var newRS: RolloutReplicaSetState?
    var newRevision = 0
    /// The ReplicaSet to create at the start of the actions (its replicas are those planned).
    var creating: JSONValue?
    /// Replica counts planned this round, by ReplicaSet name.
    var planned: [String: Int] = [:]
    /// Scale-down deadlines as they will be after this round (nil: none), by ReplicaSet name.
    var deadlines: [String: String?] = [:]
    /// ReplicaSets the strategy decided about; the others are scaled down (after a delay).
    var claimed: Set<String> = []
    /// Service selectors as they will be after this round.
    var serviceHashes: [String: String] = [:]
    var missingServices: [String] = []
    /// AnalysisRuns still wanted; running ones not here are terminated.
    var keepRuns: Set<String> = []
    /// Experiments still wanted; running ones not here are terminated.
    var keepExperiments: Set<String> = []

    // Outcome flags for the phase.
    var invalid: String?
    var holding = false
    var missingWorkload = false
    var complete = false
    var deadlineExceeded = false
    /// The update waits on pods: the progress deadline counts.
    var waitingForPods = false
    /// What the rollout is doing or waiting for (the phase message while Progressing).
    var doing: String?
    /// A promote asked for this round and not used yet (each promote leaves one pause or step).
    var promoteRequested = false

    init(decider: RolloutDecider, spec: RolloutSpec, status: RolloutStatus, world: RolloutWorld, now: Date) {
        self.decider = decider
        self.spec = spec
        old = status
        s = status
        w = world
        self.now = now
        nowText = KubeTime.format(now)
    }

    var name: String { "\(w.namespace)/\(w.name)" }
    var replicas: Int { spec.effectiveReplicas }
    /// An update is under way: the template differs from the stable one.
    var updating: Bool { s.stableRS != nil && s.stableRS != podHash }

    // MARK: - Helpers

    mutating func wake(after seconds: Double) {
        let t = max(0, seconds)
        requeue = requeue.map { min($0, t) } ?? t
    }

    mutating func event(_ kind: RolloutEvent.Kind, _ reason: String, _ message: String) {
        events.append(RolloutEvent(kind, reason, message))
    }

    func elapsed(since text: String?) -> Double? {
        KubeTime.parse(text).map { now.timeIntervalSince($0) }
    }

    /// True once per new value of a manual-control annotation; records it as handled.
    mutating func manualRequest(_ key: String) -> Bool {
        guard let v = w.annotations[key], s.handledAnnotations?[key] != v else { return false }
        var handled = s.handledAnnotations ?? [:]
        handled[key] = v
        s.handledAnnotations = handled
        return true
    }

    func effectiveReplicas(_ rs: RolloutReplicaSetState) -> Int { planned[rs.name] ?? rs.replicas }

    func deadline(_ rs: RolloutReplicaSetState) -> String? {
        if let d = deadlines[rs.name] { return d }
        return rs.scaleDownDeadline
    }

    /// Whether `rs` has all of `n` pods available (`n` 0: it wants none).
    func ready(_ rs: RolloutReplicaSetState, _ n: Int) -> Bool {
        n == 0 ? rs.isAt(0) : rs.isFullyAvailable(at: n)
    }

    // MARK: - ReplicaSets

    /// Scales `rs` to `n` (once per round); scaling up clears a pending scale-down deadline.
    mutating func scale(_ rs: RolloutReplicaSetState, to n: Int) {
        let current = effectiveReplicas(rs)
        if n > 0, deadline(rs) != nil { setDeadline(rs, nil) }
        guard current != n else { return }
        planned[rs.name] = n
        if creating != nil, rs.name == newRS?.name { return }  // created with the planned count
        actions.append(.scaleReplicaSet(name: rs.name, replicas: n))
        event(.normal, "ScalingReplicaSet",
              "Scaled \(n > current ? "up" : "down") ReplicaSet \(rs.name) (revision \(rs.revision)) from \(current) to \(n)")
    }

    mutating func setDeadline(_ rs: RolloutReplicaSetState, _ value: String?) {
        guard deadline(rs) != value else { return }
        deadlines[rs.name] = .some(value)
        guard creating == nil || rs.name != newRS?.name else { return }
        actions.append(.annotateReplicaSet(name: rs.name, annotations: [RolloutLabels.scaleDownDeadline: value]))
    }

    /// Keeps `rs` for `delay` seconds, then scales it to zero. `zeroMeansNever`: a delay of 0 keeps it (abort delays).
    mutating func scaleDownAfter(_ rs: RolloutReplicaSetState, delay: Int, zeroMeansNever: Bool = false) {
        guard effectiveReplicas(rs) > 0 else {
            if deadline(rs) != nil { setDeadline(rs, nil) }
            return
        }
        if let d = deadline(rs) {
            let remaining = KubeTime.parse(d).map { $0.timeIntervalSince(now) } ?? 0
            if remaining <= 0 {
                setDeadline(rs, nil)
                scale(rs, to: 0)
            } else {
                wake(after: remaining)
            }
            return
        }
        if delay <= 0 {
            if !zeroMeansNever { scale(rs, to: 0) }
            return
        }
        setDeadline(rs, KubeTime.format(now.addingTimeInterval(Double(delay))))
        wake(after: Double(delay))
    }

    /// Marks `rs` as having been stable (an undo to it may skip steps and analysis).
    mutating func markStable(_ rs: RolloutReplicaSetState) {
        guard !rs.wasStable else { return }
        actions.append(.annotateReplicaSet(name: rs.name, annotations: [RolloutLabels.wasStable: "true"]))
    }

    /// Creates the ReplicaSet for `podHash` (with zero pods) or bumps an old one's revision to the newest.
    mutating func ensureNewReplicaSet(template: JSONValue) {
        let top = w.maxRevision
        if let rs = w.replicaSet(hash: podHash) {
            newRS = rs
            newRevision = rs.revision
            if rs.revision < top || rs.revision == 0 {
                newRevision = top + 1
                newRS?.revision = newRevision
                actions.append(.annotateReplicaSet(name: rs.name, annotations: [RolloutLabels.revision: String(newRevision)]))
            }
            return
        }
        newRevision = top + 1
        let rsName = RolloutReplicaSets.name(rollout: w.name, hash: podHash)
        creating = RolloutReplicaSets.replicaSet(
            rollout: w.name, namespace: w.namespace, hash: podHash, revision: newRevision, template: template,
            selector: spec.selector, minReadySeconds: spec.minReadySeconds, replicas: 0)
        newRS = RolloutReplicaSetState(name: rsName, podHash: podHash, revision: newRevision, replicas: 0,
                                       template: template)
        event(.normal, "NewReplicaSetCreated", "Created ReplicaSet \(rsName) (revision \(newRevision))")
    }

    // MARK: - Services

    /// Points `service` at `hash` (one selector update), when it exists.
    mutating func setService(_ service: String, _ hash: String) {
        guard let svc = w.services[service] else {
            if !missingServices.contains(service) { missingServices.append(service) }
            return
        }
        let current = serviceHashes[service] ?? svc.selectorHash
        serviceHashes[service] = hash
        guard current != hash else { return }
        actions.append(.setServiceSelector(service: service, podHash: hash))
        event(.normal, "SwitchService", "Switched selector for service '\(service)' from '\(current ?? "")' to '\(hash)'")
    }

    /// The hash a Service selects after this round (nil: not set by Serin yet, or missing).
    func serviceHash(_ service: String) -> String? { serviceHashes[service] ?? w.services[service]?.selectorHash }

    // MARK: - Pauses

    func pauseCondition(_ reason: String) -> RolloutPauseCondition? {
        (s.pauseConditions ?? []).first { $0.reason == reason }
    }

    mutating func addPause(_ reason: String, _ message: String) {
        guard pauseCondition(reason) == nil else { return }
        var list = s.pauseConditions ?? []
        list.append(RolloutPauseCondition(reason: reason, startTime: nowText))
        s.pauseConditions = list
        s.controllerPause = true
        event(.normal, "RolloutPaused", message)
    }

    mutating func clearPauses() {
        if s.pauseConditions?.isEmpty == false {
            event(.normal, "RolloutResumed", "Rollout \(w.name) resumed")
        }
        s.pauseConditions = nil
    }

    // MARK: - Abort

    mutating func abort(_ reason: String) {
        guard s.abortedAt == nil || s.abort != true else { return }
        s.abort = true
        s.abortedAt = nowText
        s.pauseConditions = nil
        s.controllerPause = nil
        s.message = "RolloutAborted: Rollout aborted update to revision \(newRevision): \(reason)"
        event(.warning, "RolloutAborted", "Rollout aborted update to revision \(newRevision): \(reason)")
    }
}
