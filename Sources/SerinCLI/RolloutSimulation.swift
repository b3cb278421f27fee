import Delivery
import Foundation
import KubeCore
import SerinAPI

/// Plays a Rollout update through the operator's own decision core (RolloutDecider) in a
/// simulated cluster on a simulated clock. AnalysisRuns take the time their templates say
/// (AnalysisTiming) and all pass or all fail by scenario; pauses that wait for a person are
/// promoted at once and counted.
struct RolloutSimulation {
    enum Scenario: Sendable { case healthy, failingAnalysis }

    struct Row: Sendable, Hashable {
        var seconds: Double
        var phase: String
        var step: String
        var traffic: String
        var note: String
    }

    struct Outcome: Sendable {
        var rows: [Row]
        /// From the new revision to: the new ReplicaSet stable and Healthy (healthy scenario),
        /// or the abort (failing scenario); nil when neither happened.
        var seconds: Double?
        var ended: Bool
        var aborted: Bool
        var manualPromotions: Int
        var stuck: String?
    }

    let rollout: Rollout
    /// AnalysisTemplates by name (`cluster/NAME` for ClusterAnalysisTemplates).
    let templates: [String: AnalysisTemplateSpec]
    let readySeconds: Double
    var horizon: Double = 7 * 24 * 3600

    /// Templates an analysis names that are not in `templates`.
    func missingTemplates() -> [String] {
        var names: [String] = []
        let s = rollout.spec.strategy
        var analyses = (s.canary?.steps ?? []).compactMap(\.analysis)
        analyses += [s.canary?.analysis, s.blueGreen?.prePromotionAnalysis, s.blueGreen?.postPromotionAnalysis].compactMap { $0 }
        for a in analyses {
            for t in a.templates ?? [] where lookup(t) == nil && !names.contains(t.templateName) { names.append(t.templateName) }
        }
        return names
    }

    func lookup(_ ref: RolloutAnalysisTemplateRef) -> AnalysisTemplateSpec? {
        ref.clusterScope == true ? templates["cluster/\(ref.templateName)"] : templates[ref.templateName]
    }

    func timing(_ analysis: RolloutAnalysis) -> AnalysisTiming {
        AnalysisTiming.of((analysis.templates ?? []).compactMap(lookup).flatMap(\.metrics))
    }

    func run(_ scenario: Scenario) async -> Outcome {
        let decider = RolloutDecider(pollSeconds: 5)
        var cluster = RolloutSimCluster(rollout: rollout, readySeconds: readySeconds)
        var status = RolloutStatus()
        var now = Date(timeIntervalSince1970: 1_800_000_000)

        // The first revision, deployed and stable, as the cluster would have it.
        for _ in 0..<100 {
            let d = await RolloutSimPass.run(decider, &cluster, &status, now: now, outcome: { _ in (0, .successful) })
            cluster.settle(now: now)
            if status.phase == .healthy, status.stableRS != nil, status.stableRS == status.currentPodHash { break }
            now += max(d.requeueAfter ?? decider.pollSeconds, 0.001)
        }
        guard status.phase == .healthy else {
            return Outcome(rows: [], seconds: nil, ended: false, aborted: false, manualPromotions: 0,
                           stuck: "the first revision never became Healthy (\(status.message ?? "no message"))")
        }
        let oldHash = status.stableRS
        cluster.release()
        let start = now
        var rows: [Row] = []
        var manual = 0
        var endedAt: Double?
        var aborted = false
        var stuck: String?
        var sameInstant = 0
        let outcome: (RolloutAnalysisRequest) -> (Double?, AnalysisPhase) = { req in
            let t = timing(req.analysis)
            switch scenario {
            case .healthy: return (t.completes, .successful)
            case .failingAnalysis: return t.failsAt.isFinite ? (t.failsAt, .failed) : (t.completes, .successful)
            }
        }

        while now.timeIntervalSince(start) <= horizon {
            let before = cluster.fingerprint
            let d = await RolloutSimPass.run(decider, &cluster, &status, now: now, outcome: outcome)
            cluster.settle(now: now)
            let t = now.timeIntervalSince(start)
            let row = describe(status, cluster: cluster, seconds: t)
            let notes = d.events.map(\.message)
            if !notes.isEmpty || rows.last.map({ ($0.phase, $0.step, $0.traffic) != (row.phase, row.step, row.traffic) }) ?? true {
                if notes.isEmpty { rows.append(row) }
                for n in notes { var r = row; r.note = n; rows.append(r) }
            }
            let newHash = status.currentPodHash
            if endedAt == nil, status.abort == true {
                endedAt = t
                aborted = true
            }
            if endedAt == nil, newHash != oldHash, status.stableRS == newHash, status.phase == .healthy {
                endedAt = t
            }
            // After the end, follow the clean-up (old pods scaled down) for a while, then stop.
            if let e = endedAt, cluster.settledAfterEnd(stable: status.stableRS) || t - e > 3600 { break }

            // The controller reacts at once to what its own actions changed (watch events).
            if cluster.fingerprint != before, sameInstant < 20 {
                sameInstant += 1
                continue
            }
            sameInstant = 0
            var next = d.requeueAfter.map { now + max($0, 0.001) }
            if let change = cluster.nextChange(after: now) { next = next.map { min($0, change) } ?? change }
            if let next {
                now = next
                continue
            }
            // Nothing will happen by itself: a pause waiting for a person (promote at once), or stuck.
            if status.phase == .paused {
                manual += 1
                cluster.annotations[ManualControlAnnotations.promote] = "simulated-\(manual)"
                var r = describe(status, cluster: cluster, seconds: t)
                r.note = "serin promote (a person; counted as at once)"
                rows.append(r)
                continue
            }
            stuck = status.message ?? "waits for something outside the simulation"
            break
        }
        return Outcome(rows: rows, seconds: endedAt, ended: endedAt != nil, aborted: aborted, manualPromotions: manual, stuck: stuck)
    }

    func describe(_ s: RolloutStatus, cluster: RolloutSimCluster, seconds: Double) -> Row {
        var step = "-"
        var traffic: String
        if let steps = rollout.spec.strategy.canary?.steps {
            step = "\(min(s.currentStepIndex ?? 0, steps.count))/\(steps.count)"
        }
        if let b = rollout.spec.strategy.blueGreen {
            let active = cluster.services[b.activeService] ?? nil
            traffic = active == s.currentPodHash ? "active: new" : "active: old"
            if let p = b.previewService, let hash = cluster.services[p] ?? nil, hash == s.currentPodHash, active != hash {
                traffic += ", preview: new"
            }
        } else if s.stableRS != nil, s.stableRS == s.currentPodHash {
            traffic = "100%"  // the new revision is stable: it serves everything
        } else if let w = s.canary?.weights?.canary.weight ?? cluster.weight {
            // Out of maxTrafficWeight; with pingPong, through the Service now the canary one.
            let c = rollout.spec.strategy.canary
            let total = c?.trafficRouting?.effectiveMaxTrafficWeight ?? 100
            traffic = total == 100 ? "\(w)%" : "\(w)/\(total)"
            if c?.pingPong != nil, let svc = s.canary?.weights?.canary.serviceName { traffic += " via \(svc)" }
        } else {
            let canary = cluster.replicaSets.values.filter { $0.podHash == s.currentPodHash }.map(\.available).reduce(0, +)
            let all = cluster.replicaSets.values.map(\.available).reduce(0, +)
            traffic = "\(canary)/\(all) pods"
        }
        return Row(seconds: seconds, phase: s.phase?.rawValue ?? "-", step: step, traffic: traffic, note: "")
    }
}

/// The cluster around a Rollout: its ReplicaSets (pods ready `readySeconds` after a scale-up),
/// the Services of its strategy, AnalysisRuns that end when their timing says.
/// One pass of the operator's driver over the simulated cluster.
struct RolloutSimPass: DeliveryWorld {
    typealias Core = RolloutDecider

    var cluster: RolloutSimCluster
    var status: RolloutStatus
    let now: Date
    /// When and how each AnalysisRun created ends.
    let outcome: (RolloutAnalysisRequest) -> (Double?, AnalysisPhase)

    static func run(_ decider: RolloutDecider, _ cluster: inout RolloutSimCluster, _ status: inout RolloutStatus, now: Date,
                    outcome: @escaping (RolloutAnalysisRequest) -> (Double?, AnalysisPhase)) async -> RolloutDecision {
        var pass = RolloutSimPass(cluster: cluster, status: status, now: now, outcome: outcome)
        let (decision, _) = await DeliveryDriver(decider)
            .run(RolloutInput(spec: cluster.spec, status: status, world: cluster.world), now: now, in: &pass)
        cluster = pass.cluster
        status = pass.status
        return decision ?? RolloutDecision(newStatus: status, requeueAfter: decider.pollSeconds)
    }

    func answer(_ queries: [Never], into input: inout RolloutInput, now: Date) async {}

    mutating func writeStatus(_ status: RolloutStatus, input: RolloutInput) async -> StatusWrite {
        self.status = status
        return .written
    }

    func record(_ decision: RolloutDecision, input: RolloutInput, now: Date) async {}

    mutating func perform(_ effect: RolloutAction, input: RolloutInput) async throws {
        cluster.apply([effect], now: now, outcome: outcome)
    }
}

struct RolloutSimCluster {
    var spec: RolloutSpec
    let name: String
    let namespace: String
    let readySeconds: Double
    var annotations: [String: String] = [:]
    var generation = 1
    var replicaSets: [String: RolloutReplicaSetState] = [:]
    var readyAt: [String: Date] = [:]
    var services: [String: String?] = [:]
    var runs: [String: RolloutRunState] = [:]
    var runEnds: [String: (at: Date, phase: AnalysisPhase)] = [:]
    /// Experiments of experiment steps, and when they end (none: they run until terminated).
    var experiments: [String: RolloutExperimentState] = [:]
    var experimentEnds: [String: (at: Date, phase: AnalysisPhase)] = [:]
    var weight: Int?

    init(rollout: Rollout, readySeconds: Double) {
        spec = rollout.spec
        name = rollout.name.isEmpty ? "rollout" : rollout.name
        namespace = rollout.namespace.isEmpty ? "default" : rollout.namespace
        self.readySeconds = readySeconds
        if spec.template == nil || spec.template == .null {
            spec.template = ["metadata": ["labels": .object(spec.matchLabels.mapValues(JSONValue.string))],
                             "spec": ["containers": [["name": "app", "image": "app:1"]]]]
            spec.workloadRef = nil
        }
        let s = spec.strategy
        for svc in [s.blueGreen?.activeService, s.blueGreen?.previewService, s.canary?.canaryService, s.canary?.stableService,
                    s.canary?.pingPong?.pingService, s.canary?.pingPong?.pongService]
        where svc?.isEmpty == false {
            services[svc!] = String?.none
        }
    }

    /// A new pod template: the update whose schedule is shown.
    mutating func release() {
        var t = spec.template ?? [:]
        t["metadata"]["annotations"]["serin.dev/simulated-revision"] = "2"
        spec.template = t
        generation += 1
    }

    var world: RolloutWorld {
        RolloutWorld(name: name, namespace: namespace, generation: generation, annotations: annotations, template: spec.template,
                     replicaSets: replicaSets.values.sorted { $0.name < $1.name },
                     services: Dictionary(uniqueKeysWithValues: services.map { ($0.key, RolloutServiceState(name: $0.key, selectorHash: $0.value)) }),
                     runs: runs, podsToRestart: 0, experiments: experiments)
    }

    /// What the controller would see change (a watch event).
    var fingerprint: String {
        let rs = replicaSets.values.sorted { $0.name < $1.name }.map { "\($0.name):\($0.replicas):\($0.availableReplicas):\($0.scaleDownDeadline ?? "")" }
        let sv = services.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value ?? "")" }
        let rn = runs.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.phase?.rawValue ?? "")" }
            + experiments.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.phase?.rawValue ?? "")" }
        return (rs + sv + rn + ["\(generation)", spec.template?.serialized() ?? ""]).joined(separator: ",")
    }

    mutating func apply(_ actions: [RolloutAction], now: Date, outcome: (RolloutAnalysisRequest) -> (Double?, AnalysisPhase)) {
        for a in actions {
            switch a {
            case .createReplicaSet(let obj):
                let rsName = obj["metadata"]["name"].stringValue ?? ""
                guard replicaSets[rsName] == nil else { continue }
                let n = obj["spec"]["replicas"].intValue ?? 0
                replicaSets[rsName] = RolloutReplicaSetState(
                    name: rsName, podHash: obj["metadata"]["labels"][RolloutLabels.podTemplateHash].stringValue ?? "",
                    revision: Int(obj["metadata"]["annotations"][RolloutLabels.revision].stringValue ?? "") ?? 0,
                    replicas: n, statusReplicas: 0, readyReplicas: 0, availableReplicas: 0, observed: false,
                    template: obj["spec"]["template"])
                readyAt[rsName] = now.addingTimeInterval(readySeconds)
            case .scaleReplicaSet(let rsName, let n):
                guard var rs = replicaSets[rsName] else { continue }
                if n > rs.available { readyAt[rsName] = now.addingTimeInterval(readySeconds) }
                rs.replicas = n
                rs.observed = false
                replicaSets[rsName] = rs
            case .annotateReplicaSet(let rsName, let values):
                for (k, v) in values {
                    switch k {
                    case RolloutLabels.revision: replicaSets[rsName]?.revision = Int(v ?? "") ?? 0
                    case RolloutLabels.scaleDownDeadline: replicaSets[rsName]?.scaleDownDeadline = v
                    case RolloutLabels.wasStable: replicaSets[rsName]?.wasStable = v == "true"
                    default: break
                    }
                }
            case .deleteReplicaSet(let rsName):
                replicaSets[rsName] = nil
            case .setServiceSelector(let svc, let hash):
                services[svc] = hash
            case .setTraffic(let t):
                weight = t.canaryWeight
            case .createAnalysisRun(let req):
                guard runs[req.name] == nil else { continue }
                runs[req.name] = RolloutRunState(name: req.name, phase: .pending, created: KubeTime.format(now))
                let (after, phase) = outcome(req)
                if let after { runEnds[req.name] = (now.addingTimeInterval(after), phase) }
            case .terminateAnalysisRun(let run):
                if runs[run]?.phase?.isCompleted != true { runs[run]?.phase = .successful }
                runs[run]?.terminating = true
                runEnds[run] = nil
            case .deleteAnalysisRun(let run):
                runs[run] = nil
                runEnds[run] = nil
            case .setPodTemplate(let t):
                spec.template = t
                generation += 1
            case .createExperiment(let obj):
                let exName = obj.name ?? ""
                guard experiments[exName] == nil else { continue }
                experiments[exName] = RolloutExperimentState(name: exName, phase: .pending)
                // Its pods start like the Rollout's; then it runs for its duration, its analyses as the scenario says.
                let spec = try? obj["spec"].decode(as: ExperimentSpec.self)
                var end = spec?.durationSeconds.map { readySeconds + $0 }
                var phase = AnalysisPhase.successful
                for a in spec?.analyses ?? [] {
                    let req = RolloutAnalysisRequest(name: a.name, kind: .step, analysis: .template(a.templateName), latestHash: "", stableHash: nil)
                    let (after, p) = outcome(req)
                    if let after { end = max(end ?? 0, readySeconds + after) }
                    if p != .successful {
                        phase = p
                        end = readySeconds + (after ?? 0)
                        break
                    }
                }
                if let end { experimentEnds[exName] = (now.addingTimeInterval(end), phase) }
            case .terminateExperiment(let exName):
                if experiments[exName]?.phase?.isCompleted != true { experiments[exName]?.phase = .successful }
                experiments[exName]?.terminate = true
                experimentEnds[exName] = nil
            case .scaleWorkload, .restartPods, .setPartition, .revertStatefulSetPod:
                break
            }
        }
    }

    /// The kubelet and the analysis controller catch up to `now`.
    mutating func settle(now: Date) {
        for (k, var rs) in replicaSets {
            rs.observed = true
            rs.statusReplicas = rs.replicas
            let ready = (readyAt[k] ?? .distantPast) <= now ? rs.replicas : min(rs.availableReplicas, rs.replicas)
            rs.readyReplicas = ready
            rs.availableReplicas = ready
            replicaSets[k] = rs
        }
        for (k, var r) in runs where r.phase?.isCompleted != true {
            if let end = runEnds[k], end.at <= now {
                r.phase = end.phase
                r.message = end.phase == .failed ? "simulated: the first measurement fails" : nil
                runEnds[k] = nil
            } else {
                r.phase = .running
            }
            runs[k] = r
        }
        for (k, var e) in experiments where e.phase?.isCompleted != true {
            if let end = experimentEnds[k], end.at <= now {
                e.phase = end.phase
                e.message = end.phase == .successful ? nil : "simulated: an analysis of the experiment fails"
                experimentEnds[k] = nil
            } else {
                e.phase = .running
            }
            experiments[k] = e
        }
    }

    /// The next moment something changes by itself: pods ready, a run or an experiment ending.
    func nextChange(after now: Date) -> Date? {
        let times = readyAt.filter { replicaSets[$0.key] != nil }.values.filter { $0 > now }
            + runEnds.values.map(\.at).filter { $0 > now } + experimentEnds.values.map(\.at).filter { $0 > now }
        return times.min()
    }

    /// Only the stable ReplicaSet still has pods.
    func settledAfterEnd(stable: String?) -> Bool {
        replicaSets.values.allSatisfy { $0.podHash == stable || $0.replicas == 0 }
    }
}
