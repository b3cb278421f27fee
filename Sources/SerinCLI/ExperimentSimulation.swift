import Delivery
import Foundation
import KubeCore
import SerinAPI

/// `serin simulate` of an Experiment: the operator's Experiment core on a simulated clock, its
/// ReplicaSets ready `readySeconds` after a scale, its analyses taking the time their templates
/// say, passing (healthy) or failing at their first chance.
struct ExperimentSimulation {
    let experiment: Experiment
    let templates: [String: AnalysisTemplateSpec]
    let readySeconds: Double

    enum Scenario { case healthy, failingAnalysis }

    struct Row: Equatable {
        var seconds: Double
        var phase: String
        var note: String
    }

    struct Outcome {
        var rows: [Row]
        var endedAt: Double?
        var phase: AnalysisPhase?
    }

    /// The world the core acts on, in memory; effects land at once, pods become ready later.
    struct Cluster: DeliveryWorld {
        typealias Core = ExperimentDecider
        var world = ExperimentWorld()
        var status: ExperimentStatus?
        var readyAt: [String: Date] = [:]
        var runEnds: [String: (at: Date, phase: AnalysisPhase)] = [:]
        var events: [DeliveryEvent] = []
        let readySeconds: Double
        let runOutcome: (ExperimentAnalysis) -> (Double?, AnalysisPhase)
        var now = Date(timeIntervalSince1970: 1_800_000_000)

        func answer(_ queries: [Never], into input: inout ExperimentInput, now: Date) async {}
        mutating func writeStatus(_ s: ExperimentStatus, input: ExperimentInput) async -> StatusWrite {
            status = s
            return .written
        }
        mutating func record(_ d: DeliveryDecision<Never, ExperimentAction, ExperimentStatus>, input: ExperimentInput, now: Date) async {
            events += d.events
        }
        mutating func perform(_ effect: ExperimentAction, input: ExperimentInput) async throws {
            switch effect {
            case .createReplicaSet(let rs):
                let template = rs[path: ["metadata", "annotations", ExperimentLabels.templateName]].stringValue ?? ""
                world.replicaSets[template] = RolloutReplicaSetState(
                    name: rs.name ?? "", podHash: rs[path: ["metadata", "labels", RolloutLabels.podTemplateHash]].stringValue ?? "",
                    revision: 0, replicas: rs[path: ["spec", "replicas"]].intValue ?? 0, statusReplicas: 0, readyReplicas: 0,
                    availableReplicas: 0)
                readyAt[template] = now.addingTimeInterval(readySeconds)
            case .scaleReplicaSet(let name, let n):
                for (k, rs) in world.replicaSets where rs.name == name {
                    world.replicaSets[k]?.replicas = n
                    if n > rs.availableReplicas { readyAt[k] = now.addingTimeInterval(readySeconds) }
                }
            case .annotateReplicaSet(let name, let ann):
                for (k, rs) in world.replicaSets where rs.name == name {
                    world.replicaSets[k]?.scaleDownDeadline = ann[RolloutLabels.scaleDownDeadline] ?? nil
                }
            case .createService(let svc): world.services.insert(svc.name ?? "")
            case .deleteService(let name): world.services.remove(name)
            case .createAnalysisRun(let req):
                world.runs[req.runName] = ExperimentObservedRun(phase: .running)
                let (after, phase) = runOutcome(req.analysis)
                if let after { runEnds[req.runName] = (now.addingTimeInterval(after), phase) }
            case .terminateAnalysisRun(let name):
                world.runs[name]?.terminate = true
                if world.runs[name]?.phase?.isCompleted != true { world.runs[name]?.phase = .successful }
                runEnds[name] = nil
            }
        }

        /// The kubelet and the analysis controller catch up to `now`.
        mutating func settle() {
            for (k, rs) in world.replicaSets {
                let ready = (readyAt[k] ?? .distantPast) <= now ? rs.replicas : min(rs.availableReplicas, rs.replicas)
                world.replicaSets[k]?.statusReplicas = rs.replicas
                world.replicaSets[k]?.readyReplicas = ready
                world.replicaSets[k]?.availableReplicas = ready
            }
            for (k, end) in runEnds where end.at <= now {
                world.runs[k]?.phase = end.phase
                world.runs[k]?.message = end.phase == .successful ? nil : "simulated: the first measurement fails"
                runEnds[k] = nil
            }
        }

        func nextChange() -> Date? {
            (readyAt.values.filter { $0 > now } + runEnds.values.map(\.at).filter { $0 > now }).min()
        }
    }

    func timing(_ a: ExperimentAnalysis) -> AnalysisTiming {
        AnalysisTiming.of(templates[a.clusterScope == true ? "cluster/\(a.templateName)" : a.templateName]?.metrics ?? [])
    }

    func run(_ scenario: Scenario, horizon: Double = 7 * 86_400) async -> Outcome {
        var cluster = Cluster(readySeconds: readySeconds, runOutcome: { a in
            let t = timing(a)
            switch scenario {
            case .healthy: return (t.completes, .successful)
            case .failingAnalysis: return t.failsAt.isFinite ? (t.failsAt, .failed) : (t.completes, .successful)
            }
        })
        let start = cluster.now
        let driver = DeliveryDriver(ExperimentDecider())
        var rows: [Row] = []
        var endedAt: Double?
        var sameInstant = 0
        for _ in 0..<2000 {
            cluster.settle()
            let input = ExperimentInput(name: experiment.name.isEmpty ? "experiment" : experiment.name,
                                        namespace: experiment.namespace.isEmpty ? "default" : experiment.namespace,
                                        spec: experiment.spec, status: cluster.status, world: cluster.world)
            let before = cluster.events.count
            let (decision, _) = await driver.run(input, now: cluster.now, in: &cluster)
            let t = cluster.now.timeIntervalSince(start)
            let phase = cluster.status?.phase?.rawValue ?? "-"
            for e in cluster.events[before...] { rows.append(Row(seconds: t, phase: phase, note: e.message)) }
            if endedAt == nil, cluster.status?.phase?.isCompleted == true { endedAt = t }
            let scaledDown = cluster.world.replicaSets.values.allSatisfy { $0.replicas == 0 }
            if endedAt != nil, scaledDown { break }
            var next = decision?.requeueAfter.map { cluster.now.addingTimeInterval(max($0, 0.001)) }
            if let change = cluster.nextChange() { next = next.map { min($0, change) } ?? change }
            guard let next, next.timeIntervalSince(start) <= horizon else { break }
            // Effects of this pass show at once (a watch event); otherwise wait for the next change.
            if decision?.actions.isEmpty == false, sameInstant < 20 {
                sameInstant += 1
                continue
            }
            sameInstant = 0
            cluster.now = next
        }
        return Outcome(rows: rows, endedAt: endedAt, phase: cluster.status?.phase)
    }
}

extension SimulationReport {
    static func experiment(_ e: Experiment, templates: [String: AnalysisTemplateSpec], readySeconds: Double) async -> String {
        let sim = ExperimentSimulation(experiment: e, templates: templates, readySeconds: readySeconds)
        let ns = e.namespace.isEmpty ? "" : e.namespace + "/"
        var out = "Experiment \(ns)\(e.name)\n"
        out += "Assumes: pods ready \(HumanDuration.offset(readySeconds)) after scaling (--ready-seconds); "
            + "analyses take the time their templates say.\n"
        let missing = (e.spec.analyses ?? []).filter { templates[$0.clusterScope == true ? "cluster/\($0.templateName)" : $0.templateName] == nil }
        if !missing.isEmpty {
            out += "note: analysis template\(missing.count == 1 ? "" : "s") \(missing.map(\.templateName).joined(separator: ", ")) not in the file: taken to pass at once\n"
        }
        func table(_ rows: [ExperimentSimulation.Row]) -> String {
            var t = TextTable(["TIME", "PHASE", "WHAT HAPPENS"])
            for r in rows { t.add([HumanDuration.offset(r.seconds), r.phase, r.note]) }
            return t.render(indent: "  ")
        }
        let healthy = await sim.run(.healthy)
        out += "\nWhen every analysis passes:\n" + table(healthy.rows)
        if let t = healthy.endedAt {
            out += "Ends \(healthy.phase?.rawValue ?? "") after \(HumanDuration.offset(t))\n"
        } else {
            out += "It does not end on its own: no duration and no analysis requiredForCompletion (set spec.terminate to end it)\n"
        }
        guard !(e.spec.analyses ?? []).isEmpty else { return out }
        let failing = await sim.run(.failingAnalysis)
        out += "\nWhen every analysis fails at its first chance:\n" + table(failing.rows)
        if let t = failing.endedAt { out += "Ends \(failing.phase?.rawValue ?? "") after \(HumanDuration.offset(t))\n" }
        return out
    }
}
