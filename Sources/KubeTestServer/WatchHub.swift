import KubeCore

struct HistoryEvent: Sendable {
    var rv: Int64
    var storageKey: String
    var type: WatchEventType
    var object: JSONValue
    /// The state before a MODIFIED, so that selector watches can see objects enter or leave.
    var old: JSONValue?
}

/// The bounded event log that watches resume from.
struct WatchHistory: Sendable {
    let limit: Int
    private var ring: [HistoryEvent] = []
    private var head = 0  // index of the oldest event once the ring is full
    /// Events with resourceVersion at or below this are no longer kept.
    private(set) var compactedThrough: Int64 = 0

    init(limit: Int) { self.limit = max(1, limit) }

    mutating func append(_ e: HistoryEvent) {
        if ring.count < limit {
            ring.append(e)
        } else {
            compactedThrough = ring[head].rv
            ring[head] = e
            head = (head + 1) % limit
        }
    }

    /// Events after `rv`, oldest first; nil when some of them are gone.
    func events(after rv: Int64) -> [HistoryEvent]? {
        if rv < compactedThrough { return nil }
        var out: [HistoryEvent] = []
        for i in 0..<ring.count {
            let e = ring[(head + i) % ring.count]
            if e.rv > rv { out.append(e) }
        }
        return out
    }

    var oldestAvailable: Int64 { compactedThrough + 1 }

    mutating func forget(through rv: Int64) {
        ring.removeAll()
        head = 0
        compactedThrough = rv
    }
}

/// What a list or watch selects: label selector plus field equalities.
struct ObjectFilter: Sendable {
    struct FieldTerm: Sendable {
        var path: [String]
        var equals: Bool
        var value: String
    }
    var label: LabelSelector?
    var fields: [FieldTerm] = []

    func matches(_ obj: JSONValue) -> Bool {
        if let l = label, !l.matches(obj.labels) { return false }
        for f in fields {
            let actual = obj[path: f.path].stringValue ?? obj[path: f.path].intValue.map(String.init) ?? ""
            if (actual == f.value) != f.equals { return false }
        }
        return true
    }
}

struct Watcher: Sendable {
    var resource: ServedResource
    var namespace: String?
    var filter: ObjectFilter
    var bookmarks: Bool
    var continuation: AsyncStream<WatchEvent>.Continuation
}

extension StoreState {
    /// An object as served at `r`'s version (CRD versions share storage, no conversion).
    static func present(_ obj: JSONValue, as r: ServedResource) -> JSONValue {
        var o = r.isEventsV1 ? EventConversion.toEventsV1(obj) : obj
        o["apiVersion"] = .string(r.type.apiVersion)
        o["kind"] = .string(r.type.kind)
        return o
    }

    mutating func notify(_ e: HistoryEvent) {
        guard let ws = watchers[e.storageKey] else { return }
        for w in ws.values { Self.deliver(e, to: w) }
    }

    static func deliver(_ e: HistoryEvent, to w: Watcher) {
        if let ns = w.namespace, (e.object.namespace ?? "") != ns { return }
        let type: WatchEventType
        switch e.type {
        case .added:
            guard w.filter.matches(e.object) else { return }
            type = .added
        case .modified:
            let now = w.filter.matches(e.object)
            let before = e.old.map(w.filter.matches) ?? false
            switch (before, now) {
            case (true, true): type = .modified
            case (false, true): type = .added
            case (true, false): type = .deleted
            case (false, false): return
            }
        case .deleted:
            guard w.filter.matches(e.object) else { return }
            type = .deleted
        default:
            return
        }
        w.continuation.yield(WatchEvent(type: type, object: present(e.object, as: w.resource)))
    }

    /// Registers a watcher after replaying what it asked for: synthetic ADDED events for the
    /// current state when `resourceVersion` is unset or "0", history after it otherwise.
    mutating func addWatcher(_ w: Watcher, resourceVersion: String?) throws -> Int {
        if let s = resourceVersion, !s.isEmpty, s != "0" {
            guard let from = Int64(s) else { throw APIErrors.badRequest("invalid resource version \"\(s)\"") }
            guard let events = history.events(after: from) else {
                throw APIErrors.gone("too old resource version: \(from) (\(history.oldestAvailable))")
            }
            for e in events where e.storageKey == w.resource.storageKey { Self.deliver(e, to: w) }
        } else {
            for entry in sortedObjects(w.resource.storageKey, namespace: w.resource.type.namespaced ? w.namespace : nil)
            where w.filter.matches(entry.object) {
                w.continuation.yield(WatchEvent(type: .added, object: Self.present(entry.object, as: w.resource)))
            }
        }
        nextWatcherID += 1
        watchers[w.resource.storageKey, default: [:]][nextWatcherID] = w
        return nextWatcherID
    }

    mutating func removeWatcher(_ storageKey: String, _ id: Int) {
        watchers[storageKey]?[id] = nil
    }

    mutating func sendBookmarks() {
        for ws in watchers.values {
            for w in ws.values where w.bookmarks {
                let obj: JSONValue = [
                    "kind": .string(w.resource.type.kind), "apiVersion": .string(w.resource.type.apiVersion),
                    "metadata": ["resourceVersion": .string(String(rv))],
                ]
                w.continuation.yield(WatchEvent(type: .bookmark, object: obj))
            }
        }
    }

    mutating func closeWatches(storageKey: String? = nil) {
        for (key, ws) in watchers where storageKey == nil || storageKey == key {
            for w in ws.values { w.continuation.finish() }
            watchers[key] = nil
        }
    }
}
