import Foundation
import KubeCore

/// Identity of one stored object.
struct ObjectRef: Hashable, Sendable {
    var storageKey: String
    var namespace: String  // "" for cluster-scoped
    var name: String
}

/// Everything the store holds, mutated only under the store's lock.
struct StoreState: Sendable {
    /// The last resourceVersion handed out; global and strictly increasing.
    var rv: Int64 = 1
    /// storageKey → namespace ("" for cluster-scoped) → name → object.
    var objects: [String: [String: [String: JSONValue]]] = [:]
    var uidIndex: [String: ObjectRef] = [:]
    /// owner uid → objects naming it in ownerReferences.
    var dependents: [String: Set<ObjectRef>] = [:]
    /// "group/version/plural" → resource (built-ins and CRD-served).
    var served: [String: ServedResource] = [:]
    var history: WatchHistory
    var watchers: [String: [Int: Watcher]] = [:]
    var nextWatcherID = 0

    init(historyLimit: Int) {
        history = WatchHistory(limit: historyLimit)
        for r in ServedResource.builtins { served[Self.servedKey(r.type.group, r.type.version, r.type.plural)] = r }
    }

    static func servedKey(_ group: String, _ version: String, _ plural: String) -> String { "\(group)/\(version)/\(plural)" }

    func lookup(_ ref: ObjectRef) -> JSONValue? { objects[ref.storageKey]?[ref.namespace]?[ref.name] }

    func namespaceExists(_ ns: String) -> Bool { objects["/namespaces"]?[""]?[ns] != nil }

    static func ref(_ r: ServedResource, _ obj: JSONValue) -> ObjectRef {
        ObjectRef(storageKey: r.storageKey, namespace: r.type.namespaced ? (obj.namespace ?? "") : "", name: obj.name ?? "")
    }

    static func now() -> String { Date().formatted(.iso8601) }

    /// Writes `object` (or removes it for `.deleted`) with a fresh resourceVersion, records the
    /// event in history and tells the watchers. Returns the object as stored.
    @discardableResult
    mutating func commit(_ type: WatchEventType, _ ref: ObjectRef, _ object: JSONValue, old: JSONValue?) -> JSONValue {
        rv += 1
        var obj = object
        obj["metadata"]["resourceVersion"] = .string(String(rv))
        if type == .deleted {
            objects[ref.storageKey]?[ref.namespace]?[ref.name] = nil
            if objects[ref.storageKey]?[ref.namespace]?.isEmpty == true { objects[ref.storageKey]?[ref.namespace] = nil }
        } else {
            objects[ref.storageKey, default: [:]][ref.namespace, default: [:]][ref.name] = obj
        }
        reindex(ref, old: old, new: type == .deleted ? nil : obj)
        let event = HistoryEvent(rv: rv, storageKey: ref.storageKey, type: type, object: obj, old: old)
        history.append(event)
        notify(event)
        return obj
    }

    private mutating func reindex(_ ref: ObjectRef, old: JSONValue?, new: JSONValue?) {
        if let o = old {
            if let u = o.uid { uidIndex[u] = nil }
            for owner in o.ownerReferences {
                if let u = owner["uid"].stringValue {
                    dependents[u]?.remove(ref)
                    if dependents[u]?.isEmpty == true { dependents[u] = nil }
                }
            }
        }
        if let n = new {
            if let u = n.uid { uidIndex[u] = ref }
            for owner in n.ownerReferences {
                if let u = owner["uid"].stringValue { dependents[u, default: []].insert(ref) }
            }
        }
    }

    /// All objects of a storage key, optionally in one namespace, sorted by namespace then name
    /// (etcd key order, which list pagination follows).
    func sortedObjects(_ storageKey: String, namespace: String?) -> [(ns: String, name: String, object: JSONValue)] {
        guard let byNS = objects[storageKey] else { return [] }
        var out: [(ns: String, name: String, object: JSONValue)] = []
        let namespaces = namespace.map { [$0] } ?? byNS.keys.sorted()
        for ns in namespaces {
            guard let names = byNS[ns] else { continue }
            for name in names.keys.sorted() { out.append((ns, name, names[name]!)) }
        }
        return out
    }
}
