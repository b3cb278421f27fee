import Foundation
import KubeCore
import Synchronization

/// Plays the Deployment, ReplicaSet and DaemonSet controllers and the kubelet, through the
/// API only: it watches Deployments, ReplicaSets and DaemonSets and, `readyDelay` after a new generation, reports
/// its pods ready through the status subresource.
///
/// What a reader of status sees matches the real controllers closely enough for
/// `kubectl rollout status` and Flagger-style readiness checks: `observedGeneration` catches
/// up at once, the counts and the `Available` / `Progressing` conditions move from
/// "ReplicaSetUpdated" to "NewReplicaSetAvailable", and a failed rollout shows
/// `ProgressDeadlineExceeded`. It creates no ReplicaSets or Pods for Deployments.
/// It writes only when the computed status differs from the stored one, so its own writes
/// never trigger further writes.
public final class WorkloadSimulator: Sendable {
    enum Override: Sendable { case neverReady, failProgressDeadline }

    /// What the simulator remembers about one object (keyed by namespace/name).
    struct Tracked: Sendable {
        var uid: String
        /// The generation whose rollout is under way or done.
        var generation: Int
        var readyGeneration: Int?
        var failedGeneration: Int?
        /// Pods from before this rollout that still serve while it progresses.
        var carriedAvailable: Int
        /// The pod template that last became ready (a paused Deployment keeps serving it).
        var readyTemplate: JSONValue?
        var readyCount: Int
        var timer: Task<Void, Never>?
    }

    struct State: Sendable {
        var running = false
        var loops: [Task<Void, Never>] = []
        var overrides: [String: Override] = [:]
        var deployments: [String: Tracked] = [:]
        var replicaSets: [String: Tracked] = [:]
        var daemonSets: [String: Tracked] = [:]
        /// A pending second look at a StatefulSet, by key (pods get ready with time).
        var statefulSetTimers: [String: Task<Void, Never>] = [:]
        /// When the simulator made each StatefulSet pod (creationTimestamp has whole seconds only).
        var podMade: [String: Date] = [:]
    }

    let api: any KubeAPI
    let readyDelay: Duration
    let state = Mutex(State())

    public init(api: any KubeAPI, readyDelay: Duration = .milliseconds(200)) {
        self.api = api
        self.readyDelay = readyDelay
    }

    public func start() {
        state.withLock { s in
            guard !s.running else { return }
            s.running = true
            s.loops = [
                Task { [self] in await self.run(.deployments) },
                Task { [self] in await self.run(.replicaSets) },
                Task { [self] in await self.run(.daemonSets) },
                Task { [self] in await self.run(.statefulSets) },
                Task { [self] in await self.run(.pods) },
            ]
        }
    }

    public func stop() async {
        let tasks = state.withLock { s -> [Task<Void, Never>] in
            s.running = false
            var all = s.loops
            all += s.deployments.values.compactMap(\.timer)
            all += s.replicaSets.values.compactMap(\.timer)
            all += s.daemonSets.values.compactMap(\.timer)
            all += s.statefulSetTimers.values
            s.statefulSetTimers = [:]
            s.loops = []
            s.deployments = [:]
            s.replicaSets = [:]
            s.daemonSets = [:]
            return all
        }
        for t in tasks { t.cancel() }
        for t in tasks { await t.value }
    }

    /// The Deployment (or ReplicaSet) `namespace/name` never gets ready pods. Applies to the
    /// rollout under way and to later ones; `spec.progressDeadlineSeconds` still runs out.
    public func neverReady(namespace: String, name: String) { setOverride(.neverReady, "\(namespace)/\(name)") }

    /// The next readiness of `namespace/name` is replaced by a `ProgressDeadlineExceeded` failure.
    public func failProgressDeadline(namespace: String, name: String) {
        setOverride(.failProgressDeadline, "\(namespace)/\(name)")
    }

    public func clearOverrides(namespace: String, name: String) { setOverride(nil, "\(namespace)/\(name)") }

    private func setOverride(_ o: Override?, _ key: String) {
        let running = state.withLock { s in
            s.overrides[key] = o
            // A rollout already waiting on a timer is re-decided with the new override.
            s.deployments[key]?.timer?.cancel()
            s.deployments[key]?.timer = nil
            s.replicaSets[key]?.timer?.cancel()
            s.replicaSets[key]?.timer = nil
            s.daemonSets[key]?.timer?.cancel()
            s.daemonSets[key]?.timer = nil
            if o == nil { s.deployments[key]?.failedGeneration = nil }
            return s.running
        }
        guard running else { return }
        let parts = key.split(separator: "/", maxSplits: 1).map(String.init)
        Task { [self] in
            await self.refresh(.deployments, namespace: parts[0], name: parts[1])
            await self.refresh(.replicaSets, namespace: parts[0], name: parts[1])
            await self.refresh(.daemonSets, namespace: parts[0], name: parts[1])
            await self.refresh(.statefulSets, namespace: parts[0], name: parts[1])
        }
    }

    // MARK: - Watch loop

    /// List, then watch from the list's resourceVersion; resume after a closed stream,
    /// re-list after 410 Gone or an error.
    func run(_ resource: ResourceType) async {
        while !Task.isCancelled {
            do {
                let list = try await api.list(resource, namespace: nil)
                forgetMissing(resource, present: Set(list.items.map(\.objectKey)))
                for item in list.items { await reconcile(resource, item) }
                var rv = list.resourceVersion
                var relist = false
                while !relist && !Task.isCancelled {
                    let stream = try await api.watch(
                        resource, namespace: nil, options: WatchOptions(resourceVersion: rv, allowWatchBookmarks: true, timeoutSeconds: 600))
                    for try await event in stream {
                        if let v = event.object.resourceVersion, event.type != .error { rv = v }
                        switch event.type {
                        case .added, .modified: await reconcile(resource, event.object)
                        case .deleted:
                            if resource == .pods { await podChanged(event.object) }
                            forget(resource, event.object.objectKey)
                        case .bookmark: break
                        case .error: relist = true
                        }
                        if relist { break }
                    }
                }
            } catch {
                if Task.isCancelled { return }
                try? await Task.sleep(for: .milliseconds(100))
            }
        }
    }

    func forget(_ resource: ResourceType, _ key: String) {
        state.withLock { s in
            if resource == .pods {
                return
            } else if resource == .statefulSets {
                s.statefulSetTimers.removeValue(forKey: key)?.cancel()
            } else if resource == .daemonSets {
                s.daemonSets.removeValue(forKey: key)?.timer?.cancel()
            } else if resource == .deployments {
                s.deployments.removeValue(forKey: key)?.timer?.cancel()
            } else {
                s.replicaSets.removeValue(forKey: key)?.timer?.cancel()
            }
        }
    }

    func forgetMissing(_ resource: ResourceType, present: Set<String>) {
        state.withLock { s in
            guard resource != .pods, resource != .statefulSets else { return }
            let keys = resource == .daemonSets ? Array(s.daemonSets.keys)
                : resource == .deployments ? Array(s.deployments.keys) : Array(s.replicaSets.keys)
            for k in keys where !present.contains(k) {
                if resource == .daemonSets {
                    s.daemonSets.removeValue(forKey: k)?.timer?.cancel()
                } else if resource == .deployments {
                    s.deployments.removeValue(forKey: k)?.timer?.cancel()
                } else {
                    s.replicaSets.removeValue(forKey: k)?.timer?.cancel()
                }
            }
        }
    }

    /// Re-reads one object and reconciles it (after a timer or an override change).
    func refresh(_ resource: ResourceType, namespace: String, name: String) async {
        guard let obj = try? await api.get(resource, namespace: namespace, name: name) else { return }
        await reconcile(resource, obj)
    }

    // MARK: - Reconcile

    func reconcile(_ resource: ResourceType, _ obj: JSONValue) async {
        // After stop() no late timer or override task may write.
        guard obj.deletionTimestamp == nil, state.withLock({ $0.running }) else { return }
        if resource == .pods {
            await podChanged(obj)
            return
        }
        if resource == .statefulSets {
            await reconcileStatefulSet(obj)
            return
        }
        let status: JSONValue?
        if resource == .deployments {
            status = decideDeployment(obj)
        } else if resource == .daemonSets {
            status = decideDaemonSet(obj)
        } else {
            status = decideReplicaSet(obj)
        }
        guard let status, status != obj["status"] else { return }
        var updated = obj
        updated["status"] = status
        do {
            _ = try await api.updateStatus(resource, namespace: obj.namespace, updated)
        } catch let e as KubeAPIError where e.isConflict {
            // Someone wrote in between; their event follows, or re-read now to be sure.
            if let fresh = try? await api.get(resource, namespace: obj.namespace, name: obj.name ?? ""),
                fresh.resourceVersion != obj.resourceVersion
            {
                await reconcile(resource, fresh)
            }
        } catch {
            // Gone or server stopping: the watch loop sees what happened next.
        }
    }

    static func now() -> String { Date().formatted(.iso8601) }

    /// Starts tracking a new generation (or a new object under the same name); returns the record.
    private static func track(
        _ tracked: Tracked?, uid: String, generation: Int, previouslyAvailable: Int
    ) -> Tracked {
        guard var t = tracked, t.uid == uid else {
            return Tracked(
                uid: uid, generation: generation, readyGeneration: nil, failedGeneration: nil,
                carriedAvailable: previouslyAvailable, readyTemplate: nil, readyCount: 0, timer: nil)
        }
        if t.generation != generation {
            t.timer?.cancel()
            t.timer = nil
            t.carriedAvailable = t.readyGeneration != nil ? t.readyCount : previouslyAvailable
            t.generation = generation
        }
        return t
    }

    func decideDeployment(_ d: JSONValue) -> JSONValue? {
        let key = d.objectKey
        let generation = d.generation ?? 1
        let desired = WorkloadStatus.desiredReplicas(d)
        let template = d[path: ["spec", "template"]]
        let paused = d[path: ["spec", "paused"]].boolValue ?? false
        let previouslyAvailable = d[path: ["status", "availableReplicas"]].intValue ?? 0
        let recreate = d[path: ["spec", "strategy", "type"]].stringValue == "Recreate"

        let phase: WorkloadStatus.Phase = state.withLock { s in
            var t = Self.track(s.deployments[key], uid: d.uid ?? "", generation: generation, previouslyAvailable: previouslyAvailable)
            defer { s.deployments[key] = t }
            let override = s.overrides[key]
            // A status already complete for this generation (e.g. after a simulator restart) stays so.
            if t.readyGeneration == nil, Self.looksComplete(d) {
                t.readyGeneration = generation
                t.readyTemplate = template
                t.readyCount = desired
            }
            if paused {
                if t.readyTemplate == template { return .paused(replicas: desired, updated: desired, available: desired) }
                let replicas = d[path: ["status", "replicas"]].intValue ?? 0
                return .paused(replicas: replicas, updated: 0, available: min(previouslyAvailable, replicas))
            }
            if t.readyGeneration == generation { return .ready }
            // With a new template the pods still serving are old ones (none left under Recreate);
            // with the same template (a scale-up) they are already updated pods.
            let templateChanged = t.readyTemplate != nil && t.readyTemplate != template
            let old = templateChanged && !recreate ? min(t.carriedAvailable, desired) : 0
            let available = templateChanged ? old : min(t.carriedAvailable, desired)
            if t.failedGeneration == generation { return .failed(available: available, oldReplicas: old) }
            // Nothing new to start: scaled down, resumed, or no pods at all.
            if desired == 0 || (t.readyTemplate == template && desired <= t.readyCount && override == nil) {
                t.readyGeneration = generation
                t.readyTemplate = template
                t.readyCount = desired
                return .ready
            }
            if t.timer == nil {
                t.timer = schedule(.deployments, d, override: override, generation: generation)
            }
            return .progressing(available: available, oldReplicas: old)
        }
        return WorkloadStatus.deploymentStatus(d, phase: phase, now: Self.now())
    }

    /// observedGeneration current and the rollout reported finished.
    static func looksComplete(_ d: JSONValue) -> Bool {
        let st = d["status"]
        guard st["observedGeneration"].intValue == (d.generation ?? 1) else { return false }
        let progressing = (st["conditions"].arrayValue ?? []).first { $0["type"].stringValue == "Progressing" }
        let desired = WorkloadStatus.desiredReplicas(d)
        return progressing?["reason"].stringValue == "NewReplicaSetAvailable" && (st["availableReplicas"].intValue ?? 0) == desired
            && (st["updatedReplicas"].intValue ?? 0) == desired
    }

    /// The timer that ends the current rollout: ready after `readyDelay`, a failure for
    /// `failProgressDeadline`, or the progress deadline for `neverReady`.
    private func schedule(_ resource: ResourceType, _ obj: JSONValue, override: Override?, generation: Int) -> Task<Void, Never> {
        let key = obj.objectKey
        let namespace = obj.namespace ?? ""
        let name = obj.name ?? ""
        let template = obj[path: ["spec", "template"]]
        let desired = WorkloadStatus.desiredReplicas(obj)
        let delay: Duration
        switch override {
        case .neverReady:
            guard resource == .deployments else { return Task {} }
            delay = .seconds(obj[path: ["spec", "progressDeadlineSeconds"]].intValue ?? 600)
        default:
            delay = readyDelay
        }
        return Task { [self] in
            do { try await Task.sleep(for: delay) } catch { return }
            let proceed = state.withLock { s -> Bool in
                func finish(_ t: inout Tracked) -> Bool {
                    guard t.generation == generation, !Task.isCancelled else { return false }
                    t.timer = nil
                    if override == nil {
                        t.readyGeneration = generation
                        t.readyTemplate = template
                        t.readyCount = desired
                    } else {
                        t.failedGeneration = generation
                    }
                    return true
                }
                if resource == .deployments {
                    guard var t = s.deployments[key] else { return false }
                    defer { s.deployments[key] = t }
                    return finish(&t)
                } else {
                    guard var t = s.replicaSets[key] else { return false }
                    defer { s.replicaSets[key] = t }
                    return finish(&t)
                }
            }
            if proceed { await refresh(resource, namespace: namespace, name: name) }
        }
    }

    func decideReplicaSet(_ rs: JSONValue) -> JSONValue? {
        let key = rs.objectKey
        let generation = rs.generation ?? 1
        let desired = WorkloadStatus.desiredReplicas(rs)
        let previouslyReady = rs[path: ["status", "readyReplicas"]].intValue ?? 0
        let ready: Int = state.withLock { s in
            var t = Self.track(s.replicaSets[key], uid: rs.uid ?? "", generation: generation, previouslyAvailable: previouslyReady)
            defer { s.replicaSets[key] = t }
            let override = s.overrides[key]
            if t.readyGeneration == nil, rs[path: ["status", "observedGeneration"]].intValue == generation,
                previouslyReady == desired, (rs[path: ["status", "availableReplicas"]].intValue ?? 0) == desired
            {
                t.readyGeneration = generation
                t.readyCount = desired
            }
            if t.readyGeneration == generation { return desired }
            if desired <= t.carriedAvailable && override == nil {
                // Scaling down: the remaining pods are ready already.
                t.readyGeneration = generation
                t.readyCount = desired
                return desired
            }
            // A ReplicaSet has no progress deadline: either override keeps its new pods unready.
            if t.timer == nil && override == nil {
                t.timer = schedule(.replicaSets, rs, override: nil, generation: generation)
            }
            return min(t.carriedAvailable, desired)
        }
        return WorkloadStatus.replicaSetStatus(rs, ready: ready)
    }
}
