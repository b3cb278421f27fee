import Foundation
import KubeCore
import SerinAPI

/// The Experiment's decision core, Argo's semantics: each template's ReplicaSet is created and
/// scaled to its replicas; once all are available (`availableAt`) the analyses start and the
/// duration counts; the experiment ends Successful when the duration passed (or the analyses
/// marked requiredForCompletion succeeded), Failed/Error/Inconclusive as soon as a template
/// misses its progress deadline or a run ends badly. Ending (or `terminate`) scales the
/// ReplicaSets down after scaleDownDelaySeconds and terminates the runs still measuring.
/// Pure: status is the only memory.
public struct ExperimentDecider: DecisionCore {
    public typealias Input = ExperimentInput
    public typealias Query = Never
    public typealias Effect = ExperimentAction
    public typealias Status = ExperimentStatus

    public init() {}

    public func storedStatus(_ input: ExperimentInput) -> ExperimentStatus? { input.status }

    public func decide(_ input: ExperimentInput, now: Date) -> DeliveryDecision<Never, ExperimentAction, ExperimentStatus> {
        var round = ExperimentRound(input: input, now: now)
        round.run()
        return DeliveryDecision(newStatus: round.status, actions: round.actions, events: round.events,
                                requeueAfter: round.requeue)
    }
}

/// One decision: the status being built, the effects and events it implies.
struct ExperimentRound {
    let input: ExperimentInput
    let now: Date
    var status: ExperimentStatus
    var actions: [ExperimentAction] = []
    var events: [DeliveryEvent] = []
    var requeue: Double?
    let stamp: String

    init(input: ExperimentInput, now: Date) {
        self.input = input
        self.now = now
        status = input.status ?? ExperimentStatus()
        stamp = KubeTime.format(now)
    }

    var spec: ExperimentSpec { input.spec }

    mutating func wake(after seconds: Double) {
        let s = max(0, seconds)
        requeue = min(requeue ?? s, s)
    }

    // MARK: - Argo's predicates (over the stored status, as Argo reads them)

    var finished: Bool { input.status?.phase?.isCompleted == true }

    var requiredAnalysesSucceeded: Bool {
        let required = (spec.analyses ?? []).filter { $0.requiredForCompletion == true }
        guard !required.isEmpty else { return false }
        return required.allSatisfy { status.analysis($0.name)?.phase == .successful }
    }

    /// Terminating: asked to, finished, a template failed, a run ended badly, or the required runs succeeded.
    var terminating: Bool {
        if spec.terminate == true || finished { return true }
        let stored = input.status ?? ExperimentStatus()
        if (stored.templateStatuses ?? []).contains(where: { $0.status == .failed || $0.status == .error }) { return true }
        if (stored.analysisRuns ?? []).contains(where: { [.failed, .error, .inconclusive].contains($0.phase) }) { return true }
        let required = (spec.analyses ?? []).filter { $0.requiredForCompletion == true }
        return !required.isEmpty && required.allSatisfy { stored.analysis($0.name)?.phase == .successful }
    }

    /// Whether the duration has passed since availableAt, and the seconds left.
    var durationState: (passed: Bool, remaining: Double) {
        guard let d = spec.durationSeconds, let at = input.status?.availableAt.flatMap(KubeTime.parse) else { return (false, 0) }
        let end = at.addingTimeInterval(d)
        return (now > end, end.timeIntervalSince(now))
    }

    func desiredReplicas(_ t: ExperimentTemplate) -> Int {
        if terminating { return 0 }
        if input.status?.template(t.name)?.status?.isCompleted == true { return 0 }
        return t.desiredReplicas
    }

    // MARK: - The round

    mutating func run() {
        let isTerminating = terminating
        for t in spec.templates { reconcile(template: t, terminating: isTerminating) }
        for a in spec.analyses ?? [] { reconcile(analysis: a, terminating: isTerminating) }
        conclude()
        scheduleChecks(terminating: isTerminating)
        status.observedGeneration = input.generation
    }

    mutating func reconcile(template t: ExperimentTemplate, terminating: Bool) {
        let previous = status.template(t.name) ?? ExperimentTemplateStatus(name: t.name)
        var ts = previous
        let desired = desiredReplicas(t)
        let hash = ExperimentObjects.hash(experiment: input.name, t, collisionCount: ts.collisionCount)
        let rsName = ExperimentObjects.replicaSetName(experiment: input.name, template: t.name, hash: hash)
        let rs = input.world.replicaSets[t.name]
        ts.podTemplateHash = hash
        if rs == nil {
            if desired > 0 {
                actions.append(.createReplicaSet(ExperimentObjects.replicaSet(
                    experiment: input.name, namespace: input.namespace, template: t, hash: hash, replicas: desired)))
                if previous.lastTransitionTime == nil { ts.lastTransitionTime = stamp }
            }
        } else if let rs {
            let serviceName = t.service.map { $0.name ?? rsName }
            if let serviceName, desired > 0 {
                if !input.world.services.contains(serviceName),
                   let svc = ExperimentObjects.service(name: serviceName, namespace: input.namespace, experiment: input.name,
                                                       template: t, hash: hash) {
                    actions.append(.createService(svc))
                }
                ts.serviceName = serviceName
            }
            if desired == 0 {
                scaleDown(rs, template: t, status: &ts)
            } else if rs.replicas != desired {
                actions.append(.scaleReplicaSet(name: rs.name, replicas: desired))
                ts.lastTransitionTime = stamp
            }
        }
        ts.replicas = rs?.statusReplicas ?? 0
        ts.updatedReplicas = rs?.statusReplicas ?? 0
        ts.readyReplicas = rs?.readyReplicas ?? 0
        ts.availableReplicas = rs?.availableReplicas ?? 0
        if (ts.replicas, ts.readyReplicas, ts.availableReplicas) != (previous.replicas, previous.readyReplicas, previous.availableReplicas) {
            ts.lastTransitionTime = stamp
        }
        if ts.status?.isCompleted != true {
            if desired == ts.availableReplicas, rs != nil || desired == 0 {
                ts.status = durationState.passed || terminating ? .successful : .running
            } else if terminating {
                // Scaling down at the end is not a lack of progress.
                ts.status = .successful
            } else {
                let deadlineSeconds = spec.progressDeadlineSeconds ?? ExperimentSpec.defaultProgressDeadlineSeconds
                let from = ts.lastTransitionTime.flatMap(KubeTime.parse) ?? now
                if now > from.addingTimeInterval(Double(deadlineSeconds)) {
                    ts.status = .failed
                    ts.message = "Template '\(t.name)' exceeded its progressDeadlineSeconds (\(deadlineSeconds))"
                } else {
                    ts.status = .progressing
                }
            }
        }
        if ts.status != previous.status, let s = ts.status {
            var msg = "Template '\(t.name)' transitioned from \(previous.status?.rawValue ?? "") -> \(s.rawValue)"
            if let m = ts.message, !m.isEmpty { msg += ": \(m)" }
            events.append(DeliveryEvent(s == .failed || s == .error ? .warning : .normal, "Template\(s.rawValue)", msg))
        }
        set(template: ts)
    }

    /// Keeps the ReplicaSet at its replicas for scaleDownDelaySeconds after the end (a deadline
    /// annotation, so a restart keeps the same moment), then scales it to zero; the Service goes
    /// once no pod is left.
    mutating func scaleDown(_ rs: RolloutReplicaSetState, template t: ExperimentTemplate, status ts: inout ExperimentTemplateStatus) {
        if rs.replicas > 0 {
            let delay = Double(spec.scaleDownDelaySeconds ?? ExperimentSpec.defaultScaleDownDelaySeconds)
            if let deadline = rs.scaleDownDeadline.flatMap(KubeTime.parse) {
                if now >= deadline {
                    actions.append(.scaleReplicaSet(name: rs.name, replicas: 0))
                    ts.lastTransitionTime = stamp
                } else {
                    wake(after: deadline.timeIntervalSince(now))
                }
            } else if delay <= 0 {
                actions.append(.scaleReplicaSet(name: rs.name, replicas: 0))
                ts.lastTransitionTime = stamp
            } else {
                actions.append(.annotateReplicaSet(
                    name: rs.name, annotations: [RolloutLabels.scaleDownDeadline: KubeTime.format(now.addingTimeInterval(delay))]))
                wake(after: delay)
            }
        }
        if let svc = ts.serviceName, rs.availableReplicas == 0 || rs.replicas == 0 {
            if input.world.services.contains(svc) { actions.append(.deleteService(name: svc)) }
            ts.serviceName = nil
        }
    }

    mutating func reconcile(analysis a: ExperimentAnalysis, terminating: Bool) {
        let previous = status.analysis(a.name) ?? ExperimentAnalysisRunStatus(name: a.name)
        var rs = previous
        defer {
            if rs.phase != previous.phase, let p = rs.phase {
                var msg = "AnalysisRun '\(a.name)' transitioned from \(previous.phase?.rawValue ?? "") -> \(p.rawValue)"
                if let m = rs.message, !m.isEmpty { msg += ": \(m)" }
                let warning = [.failed, .error, .inconclusive].contains(p)
                events.append(DeliveryEvent(warning ? .warning : .normal, "AnalysisRun\(p.rawValue)", msg))
            }
            set(analysis: rs)
        }
        if input.status?.availableAt == nil {
            // Not started yet: only check that the template exists.
            if let why = input.world.missingTemplates[a.name] {
                rs.phase = .error
                rs.message = "\(a.clusterScope == true ? "ClusterAnalysisTemplate" : "AnalysisTemplate") verification failed for analysis '\(a.name)': \(why)"
            }
            return
        }
        if rs.phase?.isCompleted == true { return }
        let runName = rs.analysisRun ?? ExperimentObjects.runName(experiment: input.name, analysis: a.name)
        guard let run = input.world.runs[runName] else {
            // Not created yet, or created by a pass whose effect was lost: (re)create it.
            if terminating { return }
            actions.append(.createAnalysisRun(ExperimentAnalysisRequest(runName: runName, analysis: a, args: resolvedArgs(a))))
            rs.analysisRun = runName
            if rs.phase == nil { rs.phase = .pending }
            return
        }
        rs.analysisRun = runName
        if terminating {
            if run.phase?.isCompleted != true, !run.terminate {
                actions.append(.terminateAnalysisRun(name: runName))
                events.append(DeliveryEvent(.normal, "AnalysisRunTerminating", "Terminating \(a.name) (\(runName))"))
            } else if run.terminate, let p = run.phase, p.isCompleted {
                // A run this experiment terminated has ended: record how (Argo leaves it Running).
                rs.phase = p
                rs.message = run.message
            }
            return
        }
        rs.phase = run.phase ?? .pending
        rs.message = run.message
    }

    /// Argo's experiment variables in arg values: templates' hashes and ReplicaSet names, the experiment's name and times.
    func resolvedArgs(_ a: ExperimentAnalysis) -> [AnalysisArgument] {
        var vars: [String: String] = ["experiment.name": input.name]
        if let at = input.status?.availableAt { vars["experiment.availableAt"] = at }
        if let d = spec.durationSeconds, let at = input.status?.availableAt.flatMap(KubeTime.parse) {
            vars["experiment.finishedAt"] = KubeTime.format(at.addingTimeInterval(d))
        }
        for t in spec.templates {
            let hash = status.template(t.name)?.podTemplateHash ?? ExperimentObjects.hash(experiment: input.name, t, collisionCount: nil)
            vars["templates.\(t.name).podTemplateHash"] = hash
            vars["templates.\(t.name).replicaset.name"] = ExperimentObjects.replicaSetName(
                experiment: input.name, template: t.name, hash: hash)
        }
        return (a.args ?? []).map { arg in
            guard var v = arg.value else { return arg }
            for (k, value) in vars {
                v = v.replacingOccurrences(of: "{{\(k)}}", with: value).replacingOccurrences(of: "{{ \(k) }}", with: value)
            }
            return AnalysisArgument(name: arg.name, value: v, valueFrom: arg.valueFrom)
        }
    }

    // MARK: - The experiment's phase

    mutating func conclude() {
        let previous = input.status?.phase
        switch status.phase {
        case nil:
            status.phase = .pending
        case .pending?, .running?:
            let (tPhase, tMessage) = assessTemplates()
            let (aPhase, aMessage) = assessAnalyses()
            if tPhase == .running, status.availableAt == nil {
                status.availableAt = stamp
                // The analyses start on the next look, from the status that says when.
                if !(spec.analyses ?? []).isEmpty { wake(after: 0) }
            }
            if tPhase.isCompleted {
                let hasRequired = (spec.analyses ?? []).contains { $0.requiredForCompletion == true }
                if tPhase == .successful, aPhase.isCompleted || hasRequired {
                    setPhase(aPhase, aMessage)
                } else {
                    setPhase(tPhase, tMessage)
                }
            } else if aPhase.isCompleted && aPhase != .successful {
                setPhase(aPhase, aMessage)
            } else if requiredAnalysesSucceeded {
                setPhase(aPhase, aMessage)
            } else {
                setPhase(tPhase, tMessage)
            }
        default:
            break
        }
        let completed = status.phase?.isCompleted == true
        var conditions = status.conditions ?? []
        conditions.set(Condition(
            type: "Completed", status: completed ? .true : .false,
            reason: completed ? "Experiment\(status.phase?.rawValue ?? "")" : "ExperimentRunning",
            message: status.message.flatMap { $0.isEmpty ? nil : $0 } ?? "Experiment \(input.name) is \(status.phase?.rawValue ?? "Pending")",
            lastTransitionTime: stamp, lastUpdateTime: nil, observedGeneration: input.generation))
        status.conditions = conditions
        if let p = status.phase, p != previous {
            // The end is acted on (runs terminated, scale-down scheduled) from the status that says so.
            if p.isCompleted { wake(after: 0) }
            let warning = [.failed, .error, .inconclusive].contains(p)
            var msg = "Experiment \(input.name) \(p.rawValue)"
            if let m = status.message, !m.isEmpty { msg += ": \(m)" }
            events.append(DeliveryEvent(warning ? .warning : .normal, "Experiment\(p.rawValue)", msg))
        }
    }

    mutating func setPhase(_ p: AnalysisPhase, _ message: String?) {
        status.phase = p
        status.message = message
    }

    /// The worst template status, as an experiment phase.
    func assessTemplates() -> (AnalysisPhase, String?) {
        var worst = ExperimentTemplatePhase.successful
        var message: String?
        for t in spec.templates {
            let s = status.template(t.name)?.status ?? .progressing
            if s.isWorse(than: worst) {
                worst = s
                message = status.template(t.name)?.message
            }
        }
        switch worst {
        case .progressing: return (.pending, message)
        case .running: return (.running, message)
        case .successful: return (.successful, message)
        case .failed: return (.failed, message)
        case .error: return (.error, message)
        }
    }

    /// The worst run phase (Pending counts as Running); Successful when there are none.
    func assessAnalyses() -> (AnalysisPhase, String?) {
        var worst = AnalysisPhase.successful
        var message: String?
        for a in spec.analyses ?? [] {
            let s = status.analysis(a.name)
            if let p = s?.phase, p.isWorse(than: worst) {
                worst = p
                message = s?.message
            }
        }
        if requiredAnalysesSucceeded, AnalysisPhase.running.isWorse(than: worst) {
            return (.successful, "Required AnalysisRuns completed")
        }
        return (worst == .pending ? .running : worst, message)
    }

    /// Wakes for the end of the duration and for the earliest progress deadline.
    mutating func scheduleChecks(terminating: Bool) {
        guard !terminating, status.phase?.isCompleted != true else { return }
        if let d = spec.durationSeconds, let at = status.availableAt.flatMap(KubeTime.parse) {
            let left = at.addingTimeInterval(d).timeIntervalSince(now)
            wake(after: left > 0 ? left + 0.001 : 0)
        }
        let deadline = Double(spec.progressDeadlineSeconds ?? ExperimentSpec.defaultProgressDeadlineSeconds)
        for t in spec.templates {
            guard let ts = status.template(t.name), ts.status == .progressing || ts.status == .running,
                  ts.availableReplicas != desiredReplicas(t), let from = ts.lastTransitionTime.flatMap(KubeTime.parse) else { continue }
            wake(after: from.addingTimeInterval(deadline).timeIntervalSince(now) + 0.001)
        }
    }

    mutating func set(template ts: ExperimentTemplateStatus) {
        var list = status.templateStatuses ?? []
        if let i = list.firstIndex(where: { $0.name == ts.name }) { list[i] = ts } else { list.append(ts) }
        status.templateStatuses = list
    }

    mutating func set(analysis a: ExperimentAnalysisRunStatus) {
        var list = status.analysisRuns ?? []
        if let i = list.firstIndex(where: { $0.name == a.name }) { list[i] = a } else { list.append(a) }
        status.analysisRuns = list
    }
}
