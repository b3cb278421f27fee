import Foundation
import KubeCore

/// The DaemonSet controller and kubelet, simulated on `nodeCount` nodes labelled
/// `nodeLabels`: a DaemonSet schedules one pod on each node its template's nodeSelector
/// matches (none when a key no node carries is set, as Flagger and Serin do to scale a
/// DaemonSet to zero). A new generation's pods become ready `readyDelay` later; until then
/// the pods of the previous template still count as available.
extension WorkloadSimulator {
    /// Nodes every simulated cluster has, and their labels.
    public static let nodeCount = 3
    public static let nodeLabels = ["kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64"]

    /// Nodes a pod template may run on.
    static func scheduledNodes(_ ds: JSONValue) -> Int {
        let selector = ds[path: ["spec", "template", "spec", "nodeSelector"]].objectValue ?? [:]
        let fits = selector.allSatisfy { k, v in nodeLabels[k] == v.stringValue }
        return fits ? nodeCount : 0
    }

    func decideDaemonSet(_ ds: JSONValue) -> JSONValue? {
        let key = ds.objectKey
        let generation = ds.generation ?? 1
        let desired = Self.scheduledNodes(ds)
        let previouslyAvailable = ds[path: ["status", "numberAvailable"]].intValue ?? 0
        let (updated, available): (Int, Int) = state.withLock { s in
            var t = s.daemonSets[key].flatMap { $0.uid == ds.uid ? $0 : nil }
                ?? Tracked(uid: ds.uid ?? "", generation: generation, readyGeneration: nil, failedGeneration: nil,
                           carriedAvailable: previouslyAvailable, readyTemplate: nil, readyCount: 0, timer: nil)
            defer { s.daemonSets[key] = t }
            if t.generation != generation {
                t.timer?.cancel()
                t.timer = nil
                t.carriedAvailable = t.readyGeneration != nil ? t.readyCount : previouslyAvailable
                t.generation = generation
            }
            // A status already complete for this generation (a simulator restart) stays so.
            if t.readyGeneration == nil, ds[path: ["status", "observedGeneration"]].intValue == generation,
                ds[path: ["status", "updatedNumberScheduled"]].intValue ?? 0 == desired, previouslyAvailable == desired {
                t.readyGeneration = generation
                t.readyCount = desired
            }
            if t.readyGeneration == generation { return (desired, desired) }
            if desired == 0 {
                t.readyGeneration = generation
                t.readyCount = 0
                return (0, 0)
            }
            if t.timer == nil, s.overrides[key] == nil {
                t.timer = scheduleDaemonSet(ds, generation: generation, desired: desired)
            }
            // Old pods keep serving on their nodes until replaced.
            return (0, min(t.carriedAvailable, desired))
        }
        let unavailable = max(0, desired - available)
        var st: JSONValue = ["observedGeneration": .int(Int64(generation)),
                             "desiredNumberScheduled": .int(Int64(desired)),
                             "currentNumberScheduled": .int(Int64(desired)),
                             "numberMisscheduled": 0,
                             "numberReady": .int(Int64(available))]
        // omitempty, as the DaemonSet controller writes them.
        if updated > 0 { st["updatedNumberScheduled"] = .int(Int64(updated)) }
        if available > 0 { st["numberAvailable"] = .int(Int64(available)) }
        if unavailable > 0 { st["numberUnavailable"] = .int(Int64(unavailable)) }
        return st
    }

    private func scheduleDaemonSet(_ ds: JSONValue, generation: Int, desired: Int) -> Task<Void, Never> {
        let key = ds.objectKey
        let namespace = ds.namespace ?? ""
        let name = ds.name ?? ""
        return Task { [self] in
            do { try await Task.sleep(for: readyDelay) } catch { return }
            let proceed = state.withLock { s -> Bool in
                guard var t = s.daemonSets[key], t.generation == generation, !Task.isCancelled else { return false }
                t.timer = nil
                t.readyGeneration = generation
                t.readyCount = desired
                s.daemonSets[key] = t
                return true
            }
            if proceed { await refresh(.daemonSets, namespace: namespace, name: name) }
        }
    }
}
