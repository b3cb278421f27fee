import Analysis
import Delivery
import Foundation
import KubeCore
import KubeRuntime
import Logging
import SerinAPI

/// The cluster as the delivery driver sees it for one Experiment: the status through the
/// status subresource, events as Kubernetes Events, effects as idempotent API calls on the
/// objects the Experiment owns.
struct ExperimentClusterWorld: DeliveryWorld {
    typealias Core = ExperimentDecider

    let reconciler: ExperimentReconciler
    let json: JSONValue
    let log: Logger

    var namespace: String { json.namespace ?? "" }
    var ownerReference: JSONValue { json.ownerReference(apiVersion: Experiment.apiVersionString, kind: Experiment.kindName) }

    func answer(_ queries: [Never], into input: inout ExperimentInput, now: Date) async {}

    func writeStatus(_ status: ExperimentStatus, input: ExperimentInput) async -> StatusWrite {
        let r = reconciler
        return await r.writer.statusWrite(log: log) {
            _ = try await r.writer.writeStatus(.experiments, json, status: JSONValue(encoding: status),
                                           cache: r.caches.experiments, catchUp: r.config.cacheCatchUp)
        }
    }

    func record(_ decision: DeliveryDecision<Never, ExperimentAction, ExperimentStatus>, input: ExperimentInput, now: Date) async {
        for e in decision.events {
            await reconciler.events.record(json, type: e.type == .warning ? .warning : .normal, reason: e.reason, message: e.message)
            if e.type == .warning { log.warning("\(e.reason): \(e.message)") } else { log.info("\(e.reason): \(e.message)") }
        }
    }

    func perform(_ effect: ExperimentAction, input: ExperimentInput) async throws {
        let writer = reconciler.writer
        let api = reconciler.api
        switch effect {
        case .createReplicaSet(let rs):
            try await create(.replicaSets, rs)
        case .scaleReplicaSet(let name, let replicas):
            try await writer.mergePatch(.replicaSets, namespace: namespace, name: name, ["spec": ["replicas": .int(Int64(replicas))]])
        case .annotateReplicaSet(let name, let annotations):
            let patch: JSONValue = ["metadata": ["annotations": .object(annotations.mapValues { $0.map(JSONValue.string) ?? .null })]]
            try await writer.mergePatch(.replicaSets, namespace: namespace, name: name, patch)
        case .createService(let svc):
            try await create(.services, svc)
        case .deleteService(let name):
            do {
                try await writer.delete(.services, namespace: namespace, name: name)
            } catch let e as KubeAPIError where e.isNotFound {}
        case .createAnalysisRun(let req):
            let (run, failure) = try await ExperimentAnalysisRuns.build(req, experiment: json, ownerReference: ownerReference, api: api)
            try writer.fence()
            let created: JSONValue
            do {
                created = try await api.create(.analysisRuns, namespace: namespace, run)
            } catch let e as KubeAPIError where e.isAlreadyExists {
                return
            }
            if let failure {
                // The run cannot measure: it ends in Error at once, with the reason.
                var failed = created
                failed["status"] = ["phase": "Error", "message": .string(failure), "startedAt": .string(KubeTime.format(Date()))]
                _ = try await api.updateStatus(.analysisRuns, namespace: namespace, failed)
            }
        case .terminateAnalysisRun(let name):
            do {
                try await writer.mergePatch(.analysisRuns, namespace: namespace, name: name, ["spec": ["terminate": true]])
            } catch let e as KubeAPIError where e.isNotFound {}
        }
    }

    /// Creates an object the Experiment owns; one that exists (an earlier pass whose status write was lost) is success.
    func create(_ resource: ResourceType, _ object: JSONValue) async throws {
        var obj = object
        obj[path: ["metadata", "ownerReferences"]] = [ownerReference]
        try reconciler.writer.fence()
        do {
            _ = try await reconciler.api.create(resource, namespace: namespace, obj)
        } catch let e as KubeAPIError where e.isAlreadyExists {}
    }

    func report(_ effect: ExperimentAction, failed error: any Error, input: ExperimentInput) async {
        let what = ExperimentReconciler.describe(effect)
        log.warning("action failed", metadata: ["action": "\(what)", "error": "\(error)"])
        await reconciler.events.record(json, type: .warning, reason: "SyncFailed",
                                       message: "\(what) failed for \(namespace)/\(json.name ?? ""): \(ReconcileFailure.short(error))")
    }
}

/// AnalysisRuns from an Experiment's analyses: the template's metrics with the experiment's
/// args, dryRun and measurementRetention, owned by the Experiment.
enum ExperimentAnalysisRuns {
    static func build(_ req: ExperimentAnalysisRequest, experiment: JSONValue, ownerReference: JSONValue,
                      api: any KubeAPI) async throws -> (run: JSONValue, failure: String?) {
        let ns = experiment.namespace ?? ""
        let spec = (try? experiment["spec"].decode(as: ExperimentSpec.self))
        let analysis = RolloutAnalysis(
            templates: [RolloutAnalysisTemplateRef(templateName: req.analysis.templateName, clusterScope: req.analysis.clusterScope)])
        let lookup = RolloutAnalysisRequest(name: req.runName, kind: .step, analysis: analysis, latestHash: "", stableHash: nil)
        var runSpec = AnalysisRunSpec(metrics: [])
        var failure: String?
        switch try await RolloutAnalysisRuns.templates(lookup, namespace: ns, api: api) {
        case .failure(let why):
            failure = why.description
        case .success(let templates):
            do {
                runSpec = try AnalysisArguments.runSpec(templates: templates, args: req.args)
                if let d = spec?.dryRun { runSpec.dryRun = (runSpec.dryRun ?? []) + d }
                if let r = spec?.measurementRetention { runSpec.measurementRetention = (runSpec.measurementRetention ?? []) + r }
            } catch {
                failure = error.message
            }
        }
        var run = try JSONValue(encoding: AnalysisRun(name: req.runName, namespace: ns, spec: runSpec))
        var labels = spec?.analysisRunMetadata?.labels ?? [:]
        labels["serin.dev/experiment"] = experiment.name ?? ""
        labels["serin.dev/experiment-analysis"] = req.analysis.name
        if let instance = experiment.labels[RolloutLabels.controllerInstance] { labels[RolloutLabels.controllerInstance] = instance }
        run[path: ["metadata", "labels"]] = .object(labels.mapValues { .string($0) })
        if let a = spec?.analysisRunMetadata?.annotations, !a.isEmpty {
            run[path: ["metadata", "annotations"]] = .object(a.mapValues { .string($0) })
        }
        run[path: ["metadata", "ownerReferences"]] = [ownerReference]
        return (run, failure)
    }
}
