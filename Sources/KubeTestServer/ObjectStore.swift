import KubeCore
import Synchronization

/// The store: every object, the watch history and the watchers, behind one lock so that
/// resourceVersions, history and event delivery stay in one order.
final class ObjectStore: Sendable {
    let state: Mutex<StoreState>

    init(historyLimit: Int) {
        state = Mutex(StoreState(historyLimit: historyLimit))
        state.withLock { s in
            for ns in ["default", "kube-system", "kube-public", "kube-node-lease"] {
                _ = try? s.create(ServedResource.builtins[0], namespace: nil, ["metadata": ["name": .string(ns)]], dryRun: false)
            }
        }
    }

    func resource(group: String, version: String, plural: String) -> ServedResource? {
        state.withLock { $0.served[StoreState.servedKey(group, version, plural)] }
    }

    func resource(_ t: ResourceType) -> ServedResource? { resource(group: t.group, version: t.version, plural: t.plural) }

    var allServed: [ServedResource] { state.withLock { Array($0.served.values) } }

    func get(_ r: ServedResource, namespace: String?, name: String, subresource: String?) throws -> JSONValue {
        try state.withLock { s throws(KubeAPIError) -> JSONValue in
            let ref = ObjectRef(storageKey: r.storageKey, namespace: r.type.namespaced ? (namespace ?? "default") : "", name: name)
            guard let obj = s.lookup(ref) else { throw APIErrors.notFound(r, name) }
            switch subresource {
            case nil: return StoreState.present(obj, as: r)
            case "status" where r.hasStatus: return StoreState.present(obj, as: r)
            case "scale" where r.scale != nil: return ScaleView.make(r, obj)
            default: throw APIErrors.notFound(r, name)
            }
        }
    }

    func list(_ r: ServedResource, namespace: String?, options: ListOptions) throws -> StoreState.ListResult {
        try state.withLock { s in try s.list(r, namespace: namespace, options: options) }
    }

    func create(_ r: ServedResource, namespace: String?, _ body: JSONValue, dryRun: Bool) throws -> JSONValue {
        let created = try state.withLock { s in try s.create(r, namespace: namespace, body, dryRun: dryRun) }
        if !dryRun { checkOwners(r, created) }
        return created
    }

    func update(_ r: ServedResource, namespace: String?, name: String, _ body: JSONValue, subresource: String?, dryRun: Bool) throws
        -> JSONValue
    {
        let updated = try state.withLock { s in
            try s.update(r, namespace: namespace, name: name, body, subresource: subresource, dryRun: dryRun)
        }
        if !dryRun { checkOwners(r, updated) }
        return updated
    }

    /// The garbage collector's view of a new owner reference: an object whose owners (by uid)
    /// all do not exist is deleted shortly after, as kube's GC does with dangling references.
    private func checkOwners(_ r: ServedResource, _ obj: JSONValue) {
        let uids = obj.ownerReferences.compactMap { $0["uid"].stringValue }
        guard !uids.isEmpty, obj["kind"].stringValue == r.type.kind else { return }
        let dangling = state.withLock { s in uids.allSatisfy { s.uidIndex[$0] == nil } }
        guard dangling else { return }
        let ref = ObjectRef(storageKey: r.storageKey, namespace: r.type.namespaced ? (obj.namespace ?? "") : "", name: obj.name ?? "")
        let uid = obj.uid
        Task { [weak self] in
            try? await Task.sleep(for: .milliseconds(100))
            self?.state.withLock { s in
                guard let current = s.lookup(ref), current.uid == uid else { return }
                let owners = current.ownerReferences.compactMap { $0["uid"].stringValue }
                if !owners.isEmpty, owners.allSatisfy({ s.uidIndex[$0] == nil }) { s.deleteObject(ref, policy: .background) }
            }
        }
    }

    func patch(
        _ r: ServedResource, namespace: String?, name: String, type: PatchType, _ patch: JSONValue, subresource: String?, dryRun: Bool,
        inspect: ((JSONValue) throws -> Void)? = nil
    ) throws -> JSONValue {
        let patched = try state.withLock { s in
            try s.patch(r, namespace: namespace, name: name, type: type, patch, subresource: subresource, dryRun: dryRun, inspect: inspect)
        }
        if !dryRun { checkOwners(r, patched) }
        return patched
    }

    func delete(_ r: ServedResource, namespace: String?, name: String, options: DeleteOptions, dryRun: Bool) throws -> JSONValue {
        try state.withLock { s in try s.delete(r, namespace: namespace, name: name, options: options, dryRun: dryRun) }
    }

    func deleteCollection(_ r: ServedResource, namespace: String?, options: ListOptions, deleteOptions: DeleteOptions, dryRun: Bool) throws
        -> [JSONValue]
    {
        try state.withLock { s in
            let f = try StoreState.filter(r, labelSelector: options.labelSelector, fieldSelector: options.fieldSelector)
            return s.deleteCollection(r, namespace: namespace, filter: f, options: deleteOptions, dryRun: dryRun)
        }
    }

    /// Opens a watch. A resourceVersion older than the history yields one ERROR event (410)
    /// and the end of the stream, as kube-apiserver does.
    func watch(_ r: ServedResource, namespace: String?, options: WatchOptions) throws -> AsyncStream<WatchEvent> {
        let filter = try StoreState.filter(r, labelSelector: options.labelSelector, fieldSelector: options.fieldSelector)
        let (stream, continuation) = AsyncStream<WatchEvent>.makeStream(bufferingPolicy: .unbounded)
        let watcher = Watcher(
            resource: r, namespace: r.type.namespaced ? namespace : nil, filter: filter, bookmarks: options.allowWatchBookmarks,
            continuation: continuation)
        let id: Int? = state.withLock { s in
            do {
                return try s.addWatcher(watcher, resourceVersion: options.resourceVersion)
            } catch let e as KubeAPIError {
                continuation.yield(WatchEvent(type: .error, object: e.status?.json ?? .null))
                continuation.finish()
                return nil
            } catch {
                continuation.finish()
                return nil
            }
        }
        if let id {
            // Termination can be triggered under the lock (closeWatches finishes streams), so
            // the removal happens outside it.
            continuation.onTermination = { [weak self] _ in
                Task { self?.state.withLock { $0.removeWatcher(r.storageKey, id) } }
            }
        }
        return stream
    }

    func sendBookmarks() { state.withLock { $0.sendBookmarks() } }
    func closeAllWatches() { state.withLock { $0.closeWatches() } }
    func forgetHistory() { state.withLock { $0.history.forget(through: $0.rv) } }
    var currentResourceVersion: Int64 { state.withLock { $0.rv } }
}
