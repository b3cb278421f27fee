import Foundation
import KubeCore
import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A change seen by an informer, after it was applied to the store.
public enum InformerEvent: Sendable {
    case added(JSONValue)
    case updated(old: JSONValue, new: JSONValue)
    case deleted(JSONValue)

    /// The object as it is now (for `deleted`, its last known state).
    public var object: JSONValue {
        switch self {
        case .added(let o), .deleted(let o): return o
        case .updated(_, let n): return n
        }
    }
}

public struct InformerOptions: Sendable {
    /// Namespaces to watch; nil watches all (ignored for cluster-scoped resources).
    public var namespaces: [String]?
    public var labelSelector: String?
    public var fieldSelector: String?
    /// Items per list page (`limit`); nil lists in one request.
    public var pageSize: Int?
    /// Applied to every object before it is stored and delivered (e.g. `Informer.stripNoise`).
    public var transform: (@Sendable (JSONValue) -> JSONValue)?
    /// Extra store indexes, by name.
    public var indexers: [String: IndexFunction]
    /// Delay between failed list/watch attempts.
    public var backoff: Backoff
    /// Server-side watch timeout, picked at random in this range so that watches do not all reconnect together.
    public var watchTimeoutSeconds: ClosedRange<Int>

    public init(
        namespaces: [String]? = nil, labelSelector: String? = nil, fieldSelector: String? = nil, pageSize: Int? = 500,
        transform: (@Sendable (JSONValue) -> JSONValue)? = Informer.stripNoise, indexers: [String: IndexFunction] = [:],
        backoff: Backoff = .reflectorDefault, watchTimeoutSeconds: ClosedRange<Int> = 300...600
    ) {
        self.namespaces = namespaces
        self.labelSelector = labelSelector
        self.fieldSelector = fieldSelector
        self.pageSize = pageSize
        self.transform = transform
        self.indexers = indexers
        self.backoff = backoff
        self.watchTimeoutSeconds = watchTimeoutSeconds
    }
}

/// Counters for observing an informer (tests, debugging).
public struct InformerStats: Sendable, Hashable {
    /// Complete lists (all pages) performed.
    public var lists = 0
    /// List requests (pages) sent.
    public var listPages = 0
    /// Watches opened.
    public var watches = 0
    /// Re-lists caused by 410 Gone.
    public var goneRelists = 0
    /// Failed list/watch attempts.
    public var failures = 0
}

/// List-then-watch cache of one resource (kube-rs' reflector, client-go's shared informer).
///
/// Lists (paged), then watches from the list's resourceVersion with bookmarks. A closed watch
/// resumes from the last resourceVersion seen; 410 Gone re-lists and delivers the differences
/// as synthesised added/updated/deleted events. Failures back off with jitter.
public actor Informer {
    public nonisolated let resource: ResourceType
    public nonisolated let options: InformerOptions
    public nonisolated let store: ObjectStore

    private let api: any KubeAPI
    private let clock: any RuntimeClock
    private let logger: Logger
    private var subscribers: [Int: AsyncStream<InformerEvent>.Continuation] = [:]
    private var nextSubscriberID = 0
    private var syncedScopes: Set<String> = []
    private let syncedFlag = Mutex(false)
    private var syncWaiters: [CheckedContinuation<Void, Never>] = []
    private var lastResourceVersions: [String: String] = [:]
    public private(set) var stats = InformerStats()
    private var runTask: Task<Void, Never>?

    public init(
        api: any KubeAPI, resource: ResourceType, options: InformerOptions = InformerOptions(),
        clock: any RuntimeClock = SystemClock(), logger: Logger = Logger(label: "serin.informer")
    ) {
        self.api = api
        self.resource = resource
        self.options = options
        self.clock = clock
        var logger = logger
        logger[metadataKey: "resource"] = "\(resource)"
        self.logger = logger
        self.store = ObjectStore(indexers: options.indexers)
    }

    /// Drops what controllers never read but that takes much memory: `metadata.managedFields`
    /// and the `kubectl.kubernetes.io/last-applied-configuration` annotation.
    public static let stripNoise: @Sendable (JSONValue) -> JSONValue = { obj in
        var o = obj
        if !o[path: ["metadata", "managedFields"]].isNull { o[path: ["metadata", "managedFields"]] = .null }
        if !o[path: ["metadata", "annotations", "kubectl.kubernetes.io/last-applied-configuration"]].isNull {
            o[path: ["metadata", "annotations", "kubectl.kubernetes.io/last-applied-configuration"]] = .null
            if o[path: ["metadata", "annotations"]].objectValue?.isEmpty == true { o[path: ["metadata", "annotations"]] = .null }
        }
        return o
    }

    /// The scopes this informer lists and watches: one per namespace, or one for everything.
    private nonisolated var scopes: [String?] {
        guard resource.namespaced, let ns = options.namespaces, !ns.isEmpty else { return [nil] }
        return Array(Set(ns)).sorted()
    }

    // MARK: Lifecycle

    /// True once every scope has been listed at least once.
    public nonisolated var hasSynced: Bool { syncedFlag.withLock { $0 } }

    /// Starts list/watch in a background task (idempotent).
    public func start() {
        guard runTask == nil else { return }
        runTask = Task { await self.run() }
    }

    /// Stops the background task started by `start()` and ends every subscriber's stream.
    public func stop() async {
        runTask?.cancel()
        await runTask?.value
        runTask = nil
    }

    /// Lists and watches until the calling task is cancelled, then ends every subscriber's stream.
    public func run() async {
        await withTaskGroup(of: Void.self) { group in
            for scope in scopes {
                group.addTask { await self.reflect(namespace: scope) }
            }
        }
        for (_, c) in subscribers { c.finish() }
        subscribers.removeAll()
        for w in syncWaiters { w.resume() }
        syncWaiters.removeAll()
    }

    /// Waits until `hasSynced` (true) or `timeout` passes on the system clock (false).
    public func waitForSync(timeout: Duration = .seconds(30)) async -> Bool {
        if hasSynced { return true }
        let waiter = Task { await self.awaitSynced() }
        let timer = Task {
            try? await Task.sleep(for: timeout)
            self.releaseSyncWaiters()
        }
        await waiter.value
        timer.cancel()
        return hasSynced
    }

    private func awaitSynced() async {
        if hasSynced { return }
        await withCheckedContinuation { syncWaiters.append($0) }
    }

    private func releaseSyncWaiters() {
        for w in syncWaiters { w.resume() }
        syncWaiters.removeAll()
    }

    /// The resourceVersion the watch of `namespace` (nil: all) would resume from.
    public func lastResourceVersion(namespace: String? = nil) -> String? { lastResourceVersions[namespace ?? ""] }

    // MARK: Subscribing

    /// A stream of changes. It starts with an `added` event for every object already cached,
    /// so a late subscriber sees the same world as an early one. It ends when the informer stops.
    public func subscribe() -> AsyncStream<InformerEvent> {
        nextSubscriberID += 1
        let id = nextSubscriberID
        let (stream, continuation) = AsyncStream<InformerEvent>.makeStream()
        for obj in store.list() { continuation.yield(.added(obj)) }
        subscribers[id] = continuation
        continuation.onTermination = { _ in Task { await self.unsubscribe(id) } }
        return stream
    }

    /// Calls the handlers, in order, for every event of `subscribe()` until the informer stops
    /// or the returned task is cancelled.
    @discardableResult
    public func addHandler(
        added: @escaping @Sendable (JSONValue) async -> Void = { _ in },
        updated: @escaping @Sendable (_ old: JSONValue, _ new: JSONValue) async -> Void = { _, _ in },
        deleted: @escaping @Sendable (JSONValue) async -> Void = { _ in }
    ) -> Task<Void, Never> {
        let events = subscribe()
        return Task {
            for await event in events {
                switch event {
                case .added(let o): await added(o)
                case .updated(let old, let new): await updated(old, new)
                case .deleted(let o): await deleted(o)
                }
            }
        }
    }

    private func unsubscribe(_ id: Int) { subscribers.removeValue(forKey: id) }

    private func deliver(_ event: InformerEvent) {
        for (_, c) in subscribers { c.yield(event) }
    }

    // MARK: The reflector loop

    private func reflect(namespace: String?) async {
        let scope = namespace ?? ""
        var log = logger
        if let namespace { log[metadataKey: "namespace"] = "\(namespace)" }
        var resourceVersion: String? = nil
        var consecutiveFailures = 0

        while !Task.isCancelled {
            if resourceVersion == nil {
                do {
                    let list = try await listAndApply(namespace: namespace)
                    resourceVersion = list.resourceVersion
                    lastResourceVersions[scope] = list.resourceVersion
                    markSynced(scope)
                    log.debug("listed", metadata: ["count": "\(list.count)", "resourceVersion": "\(list.resourceVersion)"])
                } catch {
                    if Task.isCancelled { break }
                    if let api = error as? KubeAPIError, api.isNotFound {
                        // The resource is not served: most often its CRD is not installed yet.
                        log.warning("list failed: \(resource) is not served by the API server; is its CRD installed? (kubectl apply -k crds/)",
                                    metadata: ["error": "\(error)"])
                    } else {
                        log.warning("list failed", metadata: ["error": "\(error)"])
                    }
                    consecutiveFailures += 1
                    if await !backOff(attempt: consecutiveFailures) { break }
                    continue
                }
            }

            var sawEvents = false
            do {
                stats.watches += 1
                let timeout = Int.random(in: options.watchTimeoutSeconds)
                let stream = try await api.watch(
                    resource, namespace: namespace,
                    options: WatchOptions(
                        resourceVersion: resourceVersion, labelSelector: options.labelSelector,
                        fieldSelector: options.fieldSelector, allowWatchBookmarks: true, timeoutSeconds: timeout))
                var needsRelist = false
                var watchError: APIStatus? = nil
                for try await event in stream {
                    sawEvents = true
                    switch event.type {
                    case .added, .modified:
                        let obj = transformed(event.object)
                        applyUpsert(obj)
                        if let rv = event.object.resourceVersion { resourceVersion = rv }
                    case .deleted:
                        let obj = transformed(event.object)
                        applyDelete(obj)
                        if let rv = event.object.resourceVersion { resourceVersion = rv }
                    case .bookmark:
                        if let rv = event.object.resourceVersion { resourceVersion = rv }
                    case .error:
                        let status = APIStatus(json: event.object, httpCode: 500)
                        if status.code == 410 || status.reason == "Expired" || status.reason == "Gone" {
                            needsRelist = true
                        } else {
                            watchError = status
                        }
                    }
                    lastResourceVersions[scope] = resourceVersion
                    if needsRelist || watchError != nil { break }
                }
                if needsRelist {
                    log.info("watch expired (410 Gone); re-listing", metadata: ["resourceVersion": "\(resourceVersion ?? "")"])
                    stats.goneRelists += 1
                    resourceVersion = nil
                    consecutiveFailures = 0
                    continue
                }
                if let watchError {
                    log.warning("watch error event", metadata: ["code": "\(watchError.code)", "message": "\(watchError.message)"])
                    consecutiveFailures += 1
                    if await !backOff(attempt: consecutiveFailures) { break }
                    continue
                }
                // A clean close (server timeout, restart): resume from the last version seen.
                if sawEvents {
                    consecutiveFailures = 0
                } else if !Task.isCancelled {
                    // An empty watch that closed at once: do not spin.
                    consecutiveFailures += 1
                    if await !backOff(attempt: consecutiveFailures) { break }
                }
            } catch let error as KubeAPIError where error.isGone {
                log.info("watch resourceVersion gone; re-listing")
                stats.goneRelists += 1
                resourceVersion = nil
                consecutiveFailures = 0
            } catch {
                if Task.isCancelled { break }
                log.warning("watch failed", metadata: ["error": "\(error)"])
                if sawEvents { consecutiveFailures = 0 }
                consecutiveFailures += 1
                if await !backOff(attempt: consecutiveFailures) { break }
            }
        }
    }

    /// Sleeps before the next attempt; false when cancelled.
    private func backOff(attempt: Int) async -> Bool {
        stats.failures += 1
        do { try await clock.sleep(for: options.backoff.delay(attempt: attempt)) } catch { return false }
        return true
    }

    /// Lists the scope page by page and applies each page as it arrives, so that only one
    /// page of parsed objects is held at a time (the store keeps compact JSON); objects of the
    /// scope the list no longer has are deleted once the last page is in. Returns the list's
    /// resourceVersion and how many objects it had.
    private func listAndApply(namespace: String?) async throws -> (resourceVersion: String, count: Int) {
        var seen = Set<ObjectKey>()
        var token: String? = nil
        var pageSize = options.pageSize
        while true {
            let page: ObjectList
            do {
                stats.listPages += 1
                page = try await api.list(
                    resource, namespace: namespace,
                    options: ListOptions(
                        labelSelector: options.labelSelector, fieldSelector: options.fieldSelector, limit: pageSize,
                        continueToken: token))
            } catch let error as KubeAPIError where error.isGone && token != nil {
                // The continue token expired mid-way: start over in one request (what was
                // applied stays; the deletions below count only the new pass).
                seen.removeAll()
                token = nil
                pageSize = nil
                continue
            }
            seen.reserveCapacity(seen.count + page.items.count)
            for item in page.items {
                let obj = transformed(item)
                seen.insert(ObjectKey(obj))
                applyListed(obj)
            }
            if let next = page.continueToken, !next.isEmpty, pageSize != nil {
                token = next
                continue
            }
            for key in store.keys where (namespace == nil || key.namespace == namespace) && !seen.contains(key) {
                if let old = store.remove(key) { deliver(.deleted(old)) }
            }
            stats.lists += 1
            HeapTrim.afterBulkLoad()
            return (page.resourceVersion, seen.count)
        }
    }

    private func transformed(_ obj: JSONValue) -> JSONValue {
        options.transform.map { $0(obj) } ?? obj
    }

    // MARK: Applying changes

    /// Applies one listed object, delivering `added`, or `updated` when it changed: a new
    /// resourceVersion (or uid) when both versions carry one, else different content.
    private func applyListed(_ item: JSONValue) {
        let key = ObjectKey(item)
        guard let cached = store.entry(key) else {
            store.upsert(item)
            deliver(.added(item))
            return
        }
        if let a = cached.resourceVersion, let b = item.resourceVersion, a != b {
            if let old = store.upsert(item) { deliver(.updated(old: old, new: item)) }
            return
        }
        let old = store.value(of: cached, at: key)
        // Same version: unchanged unless another object took the name (a new uid).
        let changed = cached.resourceVersion != nil && item.resourceVersion != nil ? old.uid != item.uid : old != item
        guard changed else { return }
        store.upsert(item)
        deliver(.updated(old: old, new: item))
    }

    private func applyUpsert(_ obj: JSONValue) {
        if let old = store.upsert(obj) {
            deliver(.updated(old: old, new: obj))
        } else {
            deliver(.added(obj))
        }
    }

    private func applyDelete(_ obj: JSONValue) {
        // The watch carries the object's final state; deliver that whether or not it was cached.
        store.remove(ObjectKey(obj))
        deliver(.deleted(obj))
    }

    private func markSynced(_ scope: String) {
        syncedScopes.insert(scope)
        let all = scopes.allSatisfy { syncedScopes.contains($0 ?? "") }
        if all, !hasSynced {
            syncedFlag.withLock { $0 = true }
            for w in syncWaiters { w.resume() }
            syncWaiters.removeAll()
        }
    }
}

/// Hands memory freed after a bulk load back to the system.
///
/// A list parses every object of a resource (pages of parsed trees, then compact copies in the
/// store); glibc keeps the freed chunks in its arenas, so without this the process stays at
/// the high-water mark of the list. `malloc_trim` returns whole free pages; it is looked up
/// at run time so that other C libraries (musl, Darwin) simply skip it.
private enum HeapTrim {
    private typealias Trim = @convention(c) (Int) -> Int32

    #if canImport(Glibc)
    private static let trim: Trim? = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim")
        .map { unsafeBitCast($0, to: Trim.self) }
    #else
    private static let trim: Trim? = nil
    #endif

    static func afterBulkLoad() {
        _ = trim?(0)
    }
}
