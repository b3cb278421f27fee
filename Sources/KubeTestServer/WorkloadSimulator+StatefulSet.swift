import Foundation
import KubeCore

/// The StatefulSet controller and kubelet, simulated with real Pod objects (`<name>-<ordinal>`,
/// labelled `controller-revision-hash`, owned by the StatefulSet): pods are made and replaced
/// one at a time once every pod is ready (OrderedReady), from the highest ordinal down; pods
/// at or above `updateStrategy.rollingUpdate.partition` are replaced with `updateRevision`,
/// those below it are left alone, and one deleted comes back at the revision its ordinal
/// calls for. `currentRevision` becomes `updateRevision` once every pod runs it. A pod is
/// ready `readyDelay` after it is made (never, at updateRevision, under `neverReady`).
extension WorkloadSimulator {
    static let revisionLabel = "controller-revision-hash"

    /// `<name>-<hash>`: the ControllerRevision name for a template (FNV-1a, as the simulator
    /// names ReplicaSets).
    static func revisionName(_ sts: JSONValue) -> String {
        var hash: UInt32 = 2_166_136_261
        for b in sts[path: ["spec", "template"]].serializedBytes() {
            hash ^= UInt32(b)
            hash = hash &* 16_777_619
        }
        return "\(sts.name ?? "")-\(String(hash, radix: 36))"
    }

    func reconcileStatefulSet(_ sts: JSONValue) async {
        guard let name = sts.name, let ns = sts.namespace else { return }
        let key = sts.objectKey
        let replicas = max(0, sts[path: ["spec", "replicas"]].intValue ?? 1)
        let partition = max(0, sts[path: ["spec", "updateStrategy", "rollingUpdate", "partition"]].intValue ?? 0)
        let onDelete = sts[path: ["spec", "updateStrategy", "type"]].stringValue == "OnDelete"
        let update = Self.revisionName(sts)
        let current = sts[path: ["status", "currentRevision"]].stringValue ?? update
        let broken = state.withLock { $0.overrides[key] == .neverReady }

        guard let list = try? await api.list(.pods, namespace: ns, options: ListOptions()) else { return }
        var pods: [Int: JSONValue] = [:]
        for p in list.items where p.deletionTimestamp == nil && p.ownerReferences.contains(where: { $0["uid"].stringValue == sts.uid }) {
            if let o = Int((p.name ?? "").dropFirst(name.count + 1)) { pods[o] = p }
        }
        let now = Date()
        func ready(_ p: JSONValue) -> Bool {
            let rev = p.labels[Self.revisionLabel] ?? ""
            if broken && rev == update && update != current { return false }
            let made = state.withLock { $0.podMade["\(ns)/\(p.name ?? "")"] }
                ?? KubeTime.parse(p[path: ["metadata", "creationTimestamp"]].stringValue) ?? now
            return now.timeIntervalSince(made) >= Double(readyDelay.components.seconds) + Double(readyDelay.components.attoseconds) / 1e18
        }
        let allReady = pods.values.allSatisfy(ready)

        // One pod action per pass, as OrderedReady does: scale down, make, then replace.
        if let extra = pods.keys.filter({ $0 >= replicas }).max() {
            _ = try? await api.delete(.pods, namespace: ns, name: "\(name)-\(extra)")
        } else if let missing = (0..<replicas).first(where: { pods[$0] == nil }), allReady {
            let rev = missing >= partition && !onDelete ? update : current
            var labels = sts[path: ["spec", "template", "metadata", "labels"]]
            labels[Self.revisionLabel] = .string(rev)
            labels["statefulset.kubernetes.io/pod-name"] = .string("\(name)-\(missing)")
            let owner: JSONValue = ["apiVersion": "apps/v1", "kind": "StatefulSet", "name": .string(name),
                                    "uid": .string(sts.uid ?? ""), "controller": true, "blockOwnerDeletion": true]
            let pod: JSONValue = ["apiVersion": "v1", "kind": "Pod",
                                  "metadata": ["name": .string("\(name)-\(missing)"), "namespace": .string(ns),
                                               "labels": labels, "ownerReferences": [owner]],
                                  "spec": sts[path: ["spec", "template", "spec"]]]
            state.withLock { $0.podMade["\(ns)/\(name)-\(missing)"] = Date() }
            if (try? await api.create(.pods, namespace: ns, pod)) != nil { scheduleRecheck(sts) }
        } else if allReady, !onDelete,
            let stale = (partition..<max(partition, replicas)).reversed().first(where: { pods[$0]?.labels[Self.revisionLabel] != update }) {
            _ = try? await api.delete(.pods, namespace: ns, name: "\(name)-\(stale)")
        }

        // Status from the pods as they were at the start of this pass.
        let revs = pods.values.map { $0.labels[Self.revisionLabel] ?? "" }
        let updated = revs.filter { $0 == update }.count
        let readyCount = pods.values.filter(ready).count
        let done = updated == replicas && readyCount == replicas && pods.count == replicas
        var st: JSONValue = ["observedGeneration": .int(Int64(sts.generation ?? 1)), "replicas": .int(Int64(pods.count)),
                             "currentRevision": .string(done ? update : current), "updateRevision": .string(update),
                             "collisionCount": 0]
        if readyCount > 0 {
            st["readyReplicas"] = .int(Int64(readyCount))
            st["availableReplicas"] = .int(Int64(readyCount))
        }
        let currentCount = revs.filter { $0 == (done ? update : current) }.count
        if currentCount > 0 { st["currentReplicas"] = .int(Int64(currentCount)) }
        if updated > 0 { st["updatedReplicas"] = .int(Int64(updated)) }
        if !allReady || pods.count != replicas { scheduleRecheck(sts) }
        guard st != sts["status"] else { return }
        var obj = sts
        obj["status"] = st
        _ = try? await api.updateStatus(.statefulSets, namespace: ns, obj)
    }

    /// Looks at the StatefulSet again after `readyDelay` (pods become ready with time, not events).
    private func scheduleRecheck(_ sts: JSONValue) {
        let ns = sts.namespace ?? ""
        let name = sts.name ?? ""
        let key = sts.objectKey
        state.withLock { s in
            guard s.statefulSetTimers[key] == nil else { return }
            s.statefulSetTimers[key] = Task { [self] in
                do { try await Task.sleep(for: readyDelay) } catch { return }
                state.withLock { $0.statefulSetTimers[key] = nil }
                await refresh(.statefulSets, namespace: ns, name: name)
            }
        }
    }

    /// A pod of a StatefulSet changed or went away: look at its StatefulSet.
    func podChanged(_ pod: JSONValue) async {
        guard let owner = pod.ownerReferences.first(where: { $0["kind"].stringValue == "StatefulSet" }),
            let name = owner["name"].stringValue else { return }
        await refresh(.statefulSets, namespace: pod.namespace ?? "", name: name)
    }
}
