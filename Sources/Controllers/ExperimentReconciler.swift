import Delivery
import Foundation
import KubeCore
import KubeRuntime
import Logging
import SerinAPI

/// Observe → decide → act for one Experiment: its ReplicaSets, Services and AnalysisRuns from
/// the caches, then the delivery driver over the cluster (`ExperimentClusterWorld`).
public struct ExperimentReconciler: Reconciler {
    let api: any KubeAPI
    let caches: ExperimentCaches
    let clock: any RuntimeClock
    let events: EventRecorder
    let fence: @Sendable () throws -> Void
    let config: ExperimentControllerConfig

    var writer: ObjectWriter { ObjectWriter(api: api, fence: fence) }

    public func reconcile(_ key: ObjectKey) async -> ReconcileResult {
        var log = ReconcileContext.logger
        log[metadataKey: "kind"] = "Experiment"
        return await ReconcileContext.$logger.withValue(log) { await reconcile(key, log: log) }
    }

    func reconcile(_ key: ObjectKey, log: Logger) async -> ReconcileResult {
        guard let json = caches.experiments.get(key) else { return .done }  // owned objects are garbage-collected
        guard json.deletionTimestamp == nil else { return .done }
        let problems = Experiment.problems(in: json)
        guard problems.isEmpty, let experiment = try? Experiment(json: json) else {
            return await reportInvalid(json, problems)
        }
        let now = clock.now()
        let world: ExperimentWorld
        do {
            world = try await observe(json, experiment)
        } catch {
            log.warning("could not observe the experiment's objects", metadata: ["error": "\(error)"])
            return .error(error)
        }
        let input = ExperimentInput(name: experiment.name, namespace: experiment.namespace, generation: experiment.generation,
                                    spec: experiment.spec, status: experiment.status, world: world)
        var cluster = ExperimentClusterWorld(reconciler: self, json: json, log: log)
        let (_, outcome) = await DeliveryDriver(ExperimentDecider()).run(input, now: now, in: &cluster)
        return ReconcileResult(outcome, decidedAt: now, clock: clock, log: log)
    }

    /// The experiment's objects as the core sees them. Analysis templates are looked up (through
    /// the API) only until the experiment is available, as Argo verifies them before starting.
    func observe(_ json: JSONValue, _ e: Experiment) async throws -> ExperimentWorld {
        let uid = json.uid ?? ""
        var world = ExperimentWorld()
        let owned = caches.replicaSets.owned(by: uid)
        for t in e.spec.templates {
            let hash = ExperimentObjects.hash(experiment: e.name, t, collisionCount: e.status?.template(t.name)?.collisionCount)
            let name = ExperimentObjects.replicaSetName(experiment: e.name, template: t.name, hash: hash)
            if let rs = owned.first(where: { $0.name == name }).flatMap(RolloutObserver.replicaSet) { world.replicaSets[t.name] = rs }
        }
        for svc in caches.services.owned(by: uid) { if let n = svc.name { world.services.insert(n) } }
        for r in caches.runs.owned(by: uid) {
            guard let n = r.name else { continue }
            world.runs[n] = ExperimentObservedRun(
                phase: r[path: ["status", "phase"]].stringValue.flatMap(AnalysisPhase.init(rawValue:)),
                message: r[path: ["status", "message"]].stringValue, terminate: r[path: ["spec", "terminate"]].boolValue == true)
        }
        if e.status?.availableAt == nil, e.status?.phase?.isCompleted != true {
            for a in e.spec.analyses ?? [] {
                let cluster = a.clusterScope == true
                do {
                    _ = try await api.get(cluster ? .clusterAnalysisTemplates : .analysisTemplates,
                                          namespace: cluster ? nil : e.namespace, name: a.templateName)
                } catch let err as KubeAPIError where err.isNotFound {
                    let kind = cluster ? "clusteranalysistemplates" : "analysistemplates"
                    world.missingTemplates[a.name] = "\(kind).serin.dev \"\(a.templateName)\" not found"
                }
            }
        }
        return world
    }

    /// A spec Serin cannot run: phase Error, InvalidSpec with the field and the fix, one Warning Event; nothing created.
    func reportInvalid(_ json: JSONValue, _ problems: [RolloutSpecProblem]) async -> ReconcileResult {
        let message = problems.isEmpty ? "the Experiment does not decode" : problems.map(\.description).joined(separator: "; ")
        let report = StatusReport(writer: writer, events: events, resource: .experiments, cache: caches.experiments,
                                  catchUp: config.cacheCatchUp)
        let now = clock.now()
        return await report.write(json, reason: "InvalidSpec", message: "Experiment \(json.name ?? "") InvalidSpec: \(message)",
                                  log: ReconcileContext.logger) { status in
            guard StatusReport.setCondition(&status, type: "InvalidSpec", .true, reason: "InvalidSpec",
                                            message: message, generation: json.generation, now: now) else { return false }
            status["phase"] = .string(AnalysisPhase.error.rawValue)
            status["message"] = .string("InvalidSpec: \(message)")
            return true
        }
    }

    static func describe(_ action: ExperimentAction) -> String {
        switch action {
        case .createReplicaSet(let rs): return "create ReplicaSet \(rs.name ?? "")"
        case .scaleReplicaSet(let name, let n): return "scale ReplicaSet \(name) to \(n)"
        case .annotateReplicaSet(let name, _): return "annotate ReplicaSet \(name)"
        case .createService(let svc): return "create Service \(svc.name ?? "")"
        case .deleteService(let name): return "delete Service \(name)"
        case .createAnalysisRun(let r): return "create AnalysisRun \(r.runName)"
        case .terminateAnalysisRun(let name): return "terminate AnalysisRun \(name)"
        }
    }
}
