import Delivery
import Foundation
import KubeCore
import KubeRuntime
import SerinAPI

/// Readers of the informer caches the Rollout controller shares with the manager.
struct RolloutCaches: Sendable {
    let rollouts: ObjectStore
    let replicaSets: ObjectStore
    let services: ObjectStore
    let runs: ObjectStore
    let deployments: ObjectStore
    let experiments: ObjectStore
    let statefulSets: ObjectStore
}

/// What one reconcile read about a Rollout.
struct RolloutObservation: Sendable {
    var json: JSONValue
    var rollout: Rollout
    var world: RolloutWorld
    /// The owner reference Serin puts on what it creates.
    var ownerReference: JSONValue

    var namespace: String { rollout.namespace }
}

enum RolloutObserver {
    /// The Services a Rollout's strategy names.
    static func serviceNames(_ obj: JSONValue) -> [String] {
        let strategy = obj[path: ["spec", "strategy"]]
        let keys: [[String]] = [["blueGreen", "activeService"], ["blueGreen", "previewService"],
                                ["canary", "canaryService"], ["canary", "stableService"],
                                ["canary", "pingPong", "pingService"], ["canary", "pingPong", "pongService"]]
        return keys.compactMap { strategy[path: $0].stringValue }.filter { !$0.isEmpty }
    }

    /// A ReplicaSet as the decision core sees it.
    static func replicaSet(_ rs: JSONValue) -> RolloutReplicaSetState? {
        guard let name = rs.name, let hash = rs.labels[RolloutLabels.podTemplateHash] else { return nil }
        let st = rs["status"]
        let annotations = rs.annotations
        return RolloutReplicaSetState(
            name: name, podHash: hash, revision: Int(annotations[RolloutLabels.revision] ?? "") ?? 0,
            replicas: rs[path: ["spec", "replicas"]].intValue ?? 1, statusReplicas: st["replicas"].intValue ?? 0,
            readyReplicas: st["readyReplicas"].intValue ?? 0, availableReplicas: st["availableReplicas"].intValue ?? 0,
            observed: (st["observedGeneration"].intValue ?? 0) >= (rs.generation ?? 1),
            scaleDownDeadline: annotations[RolloutLabels.scaleDownDeadline],
            wasStable: annotations[RolloutLabels.wasStable] == "true", template: rs[path: ["spec", "template"]])
    }

    /// A StatefulSet as the decision core sees it. Revisions come from status; until the
    /// StatefulSet controller has written them, both are the empty string (nothing to roll out).
    static func statefulSet(_ sts: JSONValue) -> RolloutStatefulSetState {
        let st = sts["status"]
        let current = st["currentRevision"].stringValue ?? ""
        return RolloutStatefulSetState(
            name: sts.name ?? "", replicas: sts[path: ["spec", "replicas"]].intValue ?? 1,
            partition: sts[path: ["spec", "updateStrategy", "rollingUpdate", "partition"]].intValue ?? 0,
            onDelete: sts[path: ["spec", "updateStrategy", "type"]].stringValue == "OnDelete",
            currentRevision: current, updateRevision: st["updateRevision"].stringValue ?? current,
            updatedReplicas: st["updatedReplicas"].intValue ?? 0, readyReplicas: st["readyReplicas"].intValue ?? 0,
            availableReplicas: st["availableReplicas"].intValue ?? 0, generation: sts.generation ?? 1,
            observed: (st["observedGeneration"].intValue ?? 0) >= (sts.generation ?? 1))
    }

    /// An AnalysisRun as the decision core sees it.
    static func run(_ r: JSONValue) -> RolloutRunState? {
        guard let name = r.name else { return nil }
        return RolloutRunState(
            name: name, phase: r[path: ["status", "phase"]].stringValue.flatMap(AnalysisPhase.init(rawValue:)),
            message: r[path: ["status", "message"]].stringValue, created: r[path: ["metadata", "creationTimestamp"]].stringValue,
            terminating: r[path: ["spec", "terminate"]].boolValue == true)
    }

    /// The world from the caches; pods are counted through the API only while a restart is pending.
    static func observe(_ json: JSONValue, _ rollout: Rollout, caches: RolloutCaches, api: any KubeAPI,
                        now: Date) async throws -> RolloutObservation {
        let ns = rollout.namespace
        let uid = rollout.uid ?? ""
        var world = RolloutWorld(name: rollout.name, namespace: ns, generation: rollout.generation,
                                 annotations: rollout.annotations, template: rollout.spec.template)
        if let ref = rollout.spec.workloadRef, ref.isStatefulSet {
            if let sts = caches.statefulSets.get(namespace: ns, name: ref.name) {
                world.template = sts[path: ["spec", "template"]]
                world.statefulSet = statefulSet(sts)
            } else {
                world.template = nil
            }
        } else if let ref = rollout.spec.workloadRef {
            if let d = caches.deployments.get(namespace: ns, name: ref.name) {
                world.template = d[path: ["spec", "template"]]
                world.workload = RolloutWorkloadState(name: ref.name, replicas: d[path: ["spec", "replicas"]].intValue ?? 1)
            } else {
                world.template = nil
            }
        }
        world.replicaSets = caches.replicaSets.owned(by: uid).compactMap(replicaSet)
        for svc in serviceNames(json) {
            guard let s = caches.services.get(namespace: ns, name: svc) else { continue }
            world.services[svc] = RolloutServiceState(
                name: svc, selectorHash: s[path: ["spec", "selector", RolloutLabels.podTemplateHash]].stringValue)
        }
        for r in caches.runs.owned(by: uid).compactMap(run) { world.runs[r.name] = r }
        for e in caches.experiments.owned(by: uid) {
            guard let n = e.name else { continue }
            world.experiments[n] = RolloutExperimentState(
                name: n, phase: e[path: ["status", "phase"]].stringValue.flatMap(AnalysisPhase.init(rawValue:)),
                message: e[path: ["status", "message"]].stringValue, terminate: e[path: ["spec", "terminate"]].boolValue == true)
        }
        if let at = restartTime(rollout, now: now) {
            world.podsToRestart = try await podsCreated(before: at, rollout: rollout, replicaSets: world.replicaSets, api: api)
        }
        return RolloutObservation(
            json: json, rollout: rollout, world: world,
            ownerReference: json.ownerReference(apiVersion: Rollout.apiVersionString, kind: Rollout.kindName))
    }

    /// The restart time still to carry out, if any (the decision core decides the same way).
    static func restartTime(_ rollout: Rollout, now: Date) -> Date? {
        let st = rollout.status
        var at = KubeTime.parse(st?.restartRequestedAt)
        if let t = KubeTime.parse(rollout.spec.restartAt), t <= now { at = max(at ?? t, t) }
        if rollout.annotations[ManualControlAnnotations.restart] != nil,
            st?.handledAnnotations?[ManualControlAnnotations.restart] != rollout.annotations[ManualControlAnnotations.restart] {
            at = now
        }
        guard let at, KubeTime.parse(st?.restartedAt).map({ $0 < at }) ?? true else { return nil }
        return at
    }

    /// Pods of the Rollout's ReplicaSets created before `at`.
    static func pods(before at: Date, rollout: Rollout, replicaSets: [RolloutReplicaSetState], api: any KubeAPI)
        async throws -> [JSONValue]
    {
        let hashes = Set(replicaSets.map(\.podHash))
        let selector = RolloutReplicaSets.selectorString(rollout.spec.selector)
        let list = try await api.list(.pods, namespace: rollout.namespace, options: ListOptions(labelSelector: selector))
        return list.items.filter { p in
            guard let h = p.labels[RolloutLabels.podTemplateHash], hashes.contains(h), p.deletionTimestamp == nil,
                let created = KubeTime.parse(p[path: ["metadata", "creationTimestamp"]].stringValue) else { return false }
            return created < at
        }
    }

    static func podsCreated(before at: Date, rollout: Rollout, replicaSets: [RolloutReplicaSetState], api: any KubeAPI)
        async throws -> Int
    {
        try await pods(before: at, rollout: rollout, replicaSets: replicaSets, api: api).count
    }
}
