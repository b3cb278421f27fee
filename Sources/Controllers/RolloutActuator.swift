import Delivery
import Foundation
import KubeCore
import KubeRuntime
import Logging
import SerinAPI
import Traffic

/// Carries out the decision core's actions for one Rollout. Every action is idempotent: an
/// object that already exists, a scale already made, a selector already set are successes.
struct RolloutActuator {
    let writer: ObjectWriter
    let api: any KubeAPI
    let logger: Logger

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Carries out `action`; `rollout` is the Rollout as last written (after the status write),
    /// so an update of its spec (undo) carries the current resourceVersion. Returns the Rollout
    /// as written when the action updated it.
    @discardableResult
    func perform(_ action: RolloutAction, _ o: RolloutObservation, rollout: JSONValue) async throws -> JSONValue? {
        let ns = o.namespace
        switch action {
        case .createReplicaSet(let rs):
            var obj = rs
            obj[path: ["metadata", "ownerReferences"]] = [o.ownerReference]
            try writer.fence()
            do {
                _ = try await api.create(.replicaSets, namespace: ns, obj)
            } catch let e as KubeAPIError where e.isAlreadyExists {
                // Created by an earlier attempt whose status write was lost.
            }

        case .scaleReplicaSet(let name, let replicas):
            try await writer.mergePatch(.replicaSets, namespace: ns, name: name, ["spec": ["replicas": .int(Int64(replicas))]])

        case .annotateReplicaSet(let name, let annotations):
            let patch: JSONValue = ["metadata": ["annotations": .object(annotations.mapValues { $0.map(JSONValue.string) ?? .null })]]
            try await writer.mergePatch(.replicaSets, namespace: ns, name: name, patch)

        case .deleteReplicaSet(let name):
            try await writer.delete(.replicaSets, namespace: ns, name: name)

        case .setServiceSelector(let service, let hash):
            // One update carrying resourceVersion: the selector changes at once, every other field kept.
            guard var svc = try await writer.get(.services, namespace: ns, name: service) else {
                throw Failure(description: "Service \(service) not found in \(ns)")
            }
            svc[path: ["spec", "selector", RolloutLabels.podTemplateHash]] = .string(hash)
            svc[path: ["metadata", "annotations", RolloutLabels.managedBy]] = .string(o.rollout.name)
            try writer.fence()
            _ = try await api.update(.services, namespace: ns, svc)

        case .setTraffic(let traffic):
            try await setTraffic(traffic, o)

        case .createAnalysisRun(let req):
            let (run, failure) = try await RolloutAnalysisRuns.build(req, rollout: o.json, ownerReference: o.ownerReference, api: api)
            try writer.fence()
            let created: JSONValue
            do {
                created = try await api.create(.analysisRuns, namespace: ns, run)
            } catch let e as KubeAPIError where e.isAlreadyExists {
                return nil
            }
            if let failure {
                // The run cannot measure: it ends in Error at once, with the reason.
                var failed = created
                failed["status"] = ["phase": "Error", "message": .string(failure),
                                    "startedAt": .string(KubeTime.format(Date()))]
                _ = try await api.updateStatus(.analysisRuns, namespace: ns, failed)
            }

        case .terminateAnalysisRun(let name):
            do {
                try await writer.mergePatch(.analysisRuns, namespace: ns, name: name, ["spec": ["terminate": true]])
            } catch let e as KubeAPIError where e.isNotFound {}

        case .deleteAnalysisRun(let name):
            try await writer.delete(.analysisRuns, namespace: ns, name: name)

        case .scaleWorkload(let name, let replicas):
            let resource: ResourceType = o.rollout.spec.workloadRef?.isStatefulSet == true ? .statefulSets : .deployments
            try await writer.mergePatch(resource, namespace: ns, name: name, ["spec": ["replicas": .int(Int64(replicas))]])

        case .setPartition(let name, let partition):
            // A merge patch: the user's maxUnavailable and every other field stay.
            try await writer.mergePatch(.statefulSets, namespace: ns, name: name, [
                "spec": ["updateStrategy": ["type": "RollingUpdate", "rollingUpdate": ["partition": .int(Int64(partition))]]],
            ])

        case .revertStatefulSetPod(let name, let revision):
            try await revertPod(statefulSet: name, revision: revision, namespace: ns)

        case .setPodTemplate(let template):
            // Undo, as `kubectl argo rollouts undo` does: the old template goes into the spec.
            var obj = rollout
            obj[path: ["spec", "template"]] = template
            try writer.fence()
            return try await api.update(.rollouts, namespace: ns, obj)

        case .createExperiment(let e):
            var obj = e
            obj[path: ["metadata", "ownerReferences"]] = [o.ownerReference]
            // The Experiment belongs to the operator instance that runs its Rollout (sharding).
            if let instance = rollout.labels[RolloutLabels.controllerInstance] {
                obj[path: ["metadata", "labels", RolloutLabels.controllerInstance]] = .string(instance)
            }
            try writer.fence()
            do {
                _ = try await api.create(.experiments, namespace: ns, obj)
            } catch let e as KubeAPIError where e.isAlreadyExists {}

        case .terminateExperiment(let name):
            do {
                try await writer.mergePatch(.experiments, namespace: ns, name: name, ["spec": ["terminate": true]])
            } catch let e as KubeAPIError where e.isNotFound {}

        case .restartPods(let before, let count):
            guard let at = KubeTime.parse(before) else { return nil }
            let pods = try await RolloutObserver.pods(before: at, rollout: o.rollout, replicaSets: o.world.replicaSets, api: api)
            for p in pods.prefix(count) {
                try await writer.delete(.pods, namespace: ns, name: p.name ?? "")
            }
        }
        return nil
    }

    /// Deletes the highest-ordinal pod of the StatefulSet still at `revision` (read fresh): the
    /// StatefulSet controller recreates it at the current revision, its partition being above it.
    func revertPod(statefulSet name: String, revision: String, namespace ns: String) async throws {
        guard let sts = try await writer.get(.statefulSets, namespace: ns, name: name) else { return }
        let labels = (sts[path: ["spec", "selector", "matchLabels"]].objectValue ?? [:]).compactMapValues(\.stringValue)
        var selector = labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        selector.append("controller-revision-hash=\(revision)")
        let pods = try await api.list(.pods, namespace: ns, options: ListOptions(labelSelector: selector.joined(separator: ",")))
        func ordinal(_ p: JSONValue) -> Int { Int((p.name ?? "").split(separator: "-").last ?? "") ?? -1 }
        let mine = pods.items.filter { p in
            p.deletionTimestamp == nil && (p.name ?? "").hasPrefix("\(name)-")
                && p.ownerReferences.contains { $0["uid"].stringValue == sts.uid }
        }
        guard let pod = mine.max(by: { ordinal($0) < ordinal($1) }) else { return }
        try await writer.delete(.pods, namespace: ns, name: pod.name ?? "")
        logger.info("reverted a StatefulSet pod", metadata: ["pod": "\(pod.name ?? "")", "revision": "\(revision)"])
    }

    /// Writes the weights (and managed routes) into every router object of the Rollout.
    func setTraffic(_ t: RolloutTraffic, _ o: RolloutObservation) async throws {
        guard let c = o.rollout.spec.strategy.canary, let routing = c.trafficRouting else { return }
        // The Services in force come with the traffic (pingPong swaps them); subset-level
        // splitting names none.
        let stableService = t.stableService ?? c.stableService ?? ""
        let canaryService = t.canaryService ?? c.canaryService ?? ""
        for router in TrafficRouters.all {
            for obj in router.rolloutObjects(routing, namespace: o.namespace) {
                let names = CanaryNames(rollout: o.rollout.name, namespace: obj.namespace, route: obj.name,
                                        stableService: stableService, canaryService: canaryService)
                guard let existing = try await writer.get(obj.resource, namespace: obj.namespace, name: obj.name) else {
                    throw Failure(description: "\(obj.resource.kind) \(obj.name) not found in \(obj.namespace)")
                }
                let desired = try router.rolloutRoute(existing, object: obj, names: names, traffic: t)
                try await writer.apply(obj.resource, desired, existing: existing)
                for d in router.rolloutDerivedObjects(obj, routing: routing, rollout: o.rollout.name) {
                    let current = try await writer.get(d.resource, namespace: d.namespace, name: d.name)
                    let built = try router.rolloutDerived(d, source: desired, existing: current, routing: routing, names: names,
                                                          traffic: t, owner: o.ownerReference)
                    // Null: the object must not exist now (Ambassador's canary Mapping at weight 0,
                    // an APISIX header route not in force); one that is not the Rollout's is left alone.
                    if built.isNull {
                        if let current, ObjectWriter.isOwned(current, by: o.ownerReference["uid"].stringValue) {
                            try await writer.delete(d.resource, namespace: d.namespace, name: d.name)
                        }
                        continue
                    }
                    try await writer.apply(d.resource, built, existing: current)
                }
            }
            for d in router.rolloutOwnedObjects(routing, namespace: o.namespace, rollout: o.rollout.name) {
                let names = CanaryNames(rollout: o.rollout.name, namespace: d.namespace, route: d.name,
                                        stableService: stableService, canaryService: canaryService)
                let current = try await writer.get(d.resource, namespace: d.namespace, name: d.name)
                let built = try router.rolloutDerived(d, source: nil, existing: current, routing: routing, names: names,
                                                      traffic: t, owner: o.ownerReference)
                try await writer.apply(d.resource, built, existing: current)
            }
        }
    }
}
