import KubeCore
import Synchronization

/// A function that files an object under zero or more index values.
public typealias IndexFunction = @Sendable (JSONValue) -> [String]

/// Built-in index names and functions.
public enum StoreIndex {
    /// Objects by the `uid` of each of their ownerReferences.
    public static let ownerUID = "owner-uid"
    /// Objects by `key=value` for each of their labels.
    public static let label = "label"

    public static let ownerUIDFunction: IndexFunction = { obj in obj.ownerReferences.compactMap { $0["uid"].stringValue } }
    public static let labelFunction: IndexFunction = { obj in obj.labels.map { "\($0.key)=\($0.value)" } }

    public static let builtIn: [String: IndexFunction] = [ownerUID: ownerUIDFunction, label: labelFunction]
}

/// One cached object, kept as compact JSON text.
///
/// A parsed `JSONValue` tree costs five to eight times its JSON size (a dictionary per
/// object node, a boxed enum per value); 10,000 canaries' Deployments, Services and Canaries
/// would take hundreds of MiB that way. Reads parse again (tens of microseconds for a
/// Deployment), which reconciles can afford; the watch path hands out the parsed objects it
/// already has.
struct StoredObject: Sendable {
    let bytes: [UInt8]
    /// Kept apart so that freshness checks (re-lists, read-your-writes) need no parse.
    let resourceVersion: String?
    /// Which write of the store produced it (a parsed copy is cached only for the current one).
    var serial: UInt64 = 0

    init(_ object: JSONValue) {
        var out: [UInt8] = []
        out.reserveCapacity(1024)
        object.write(to: &out)
        // Exactly sized: the serializer's buffer grows by doubling.
        bytes = Array(unsafeUninitializedCapacity: out.count) { buf, n in
            n = buf.initialize(from: out).1
        }
        resourceVersion = object.resourceVersion
    }

    /// The object. Bytes written by the serializer always parse; `.null` is unreachable.
    var value: JSONValue { (try? JSONValue(parsing: bytes)) ?? .null }
}

/// An immutable view of a store at one moment. Taking one is O(1) (copy-on-write).
public struct StoreSnapshot: Sendable {
    let entries: [ObjectKey: StoredObject]
    let indexes: [String: [String: Set<ObjectKey>]]
    let parsed: ParsedCache

    /// Every object by key. Parses every object: prefer `get`, `list` or `keys`.
    public var objects: [ObjectKey: JSONValue] {
        var out: [ObjectKey: JSONValue] = [:]
        for (k, e) in entries { out[k] = parsedValue(e, k) }
        return out
    }
    public func get(_ key: ObjectKey) -> JSONValue? { entries[key].map { parsedValue($0, key) } }

    private func parsedValue(_ e: StoredObject, _ key: ObjectKey) -> JSONValue {
        parsed.lookup(key, serial: e.serial) ?? e.value
    }

    public var count: Int { entries.count }
    public var keys: [ObjectKey] { entries.keys.sorted() }

    /// Every object, or those in `namespace`, sorted by key.
    public func list(namespace: String? = nil) -> [JSONValue] {
        entries.lazy.filter { namespace == nil || $0.key.namespace == namespace }.sorted { $0.key < $1.key }
            .map { parsedValue($0.value, $0.key) }
    }

    /// Objects filed under `value` in the index `name`, sorted by key.
    public func byIndex(_ name: String, _ value: String) -> [JSONValue] {
        keys(byIndex: name, value).compactMap { k in entries[k].map { parsedValue($0, k) } }
    }

    /// Keys filed under `value` in the index `name`, sorted (no object is parsed).
    public func keys(byIndex name: String, _ value: String) -> [ObjectKey] {
        guard let keys = indexes[name]?[value] else { return [] }
        return keys.sorted()
    }
}

/// Parsed copies of the objects most recently written or read, so that a reconcile reading
/// the object whose event woke it (or polling for its own write) does not parse it again.
/// Two generations approximate least-recently-used at O(1): when the young one is full it
/// becomes the old one, and the old one is dropped. At most `2 × capacity` trees are kept.
struct ParsedCache: Sendable {
    static let capacity = 16
    private var young: [ObjectKey: (serial: UInt64, value: JSONValue)] = [:]
    private var old: [ObjectKey: (serial: UInt64, value: JSONValue)] = [:]

    func lookup(_ key: ObjectKey, serial: UInt64) -> JSONValue? {
        if let hit = young[key], hit.serial == serial { return hit.value }
        if let hit = old[key], hit.serial == serial { return hit.value }
        return nil
    }

    mutating func insert(_ key: ObjectKey, serial: UInt64, _ value: JSONValue) {
        if young.count >= Self.capacity, young[key] == nil {
            old = young
            young = [:]
            young.reserveCapacity(Self.capacity)
        }
        young[key] = (serial, value)
        old.removeValue(forKey: key)
    }

    mutating func remove(_ key: ObjectKey) {
        young.removeValue(forKey: key)
        old.removeValue(forKey: key)
    }
}

/// The informer's cache: objects keyed by namespace/name, with indexes. Readable from any
/// task without awaiting (a mutex guards it); written only by its informer.
public final class ObjectStore: Sendable {
    private struct State {
        var objects: [ObjectKey: StoredObject] = [:]
        var indexes: [String: [String: Set<ObjectKey>]] = [:]
        var parsed = ParsedCache()
        var serial: UInt64 = 0
    }
    private let state = Mutex(State())
    private let indexFunctions: [String: IndexFunction]

    /// - Parameter indexers: extra index functions; the built-in ones (`StoreIndex`) are always present.
    public init(indexers: [String: IndexFunction] = [:]) {
        indexFunctions = StoreIndex.builtIn.merging(indexers) { _, custom in custom }
    }

    /// The object at `key`: a recent parsed copy, or parsed now (outside the lock) and remembered.
    public func get(_ key: ObjectKey) -> JSONValue? {
        let found = state.withLock { s -> (StoredObject, JSONValue?)? in
            guard let e = s.objects[key] else { return nil }
            return (e, s.parsed.lookup(key, serial: e.serial))
        }
        guard let (entry, cached) = found else { return nil }
        if let cached { return cached }
        let value = entry.value
        state.withLock { s in
            if s.objects[key]?.serial == entry.serial { s.parsed.insert(key, serial: entry.serial, value) }
        }
        return value
    }
    public func get(namespace: String?, name: String) -> JSONValue? { get(ObjectKey(namespace: namespace, name: name)) }
    public func contains(_ key: ObjectKey) -> Bool { state.withLock { $0.objects[key] != nil } }
    /// The cached object's `metadata.resourceVersion`, without parsing it (read-your-writes polls).
    public func resourceVersion(_ key: ObjectKey) -> String? { state.withLock { $0.objects[key]?.resourceVersion } }
    public var count: Int { state.withLock { $0.objects.count } }
    public var keys: [ObjectKey] { state.withLock { Array($0.objects.keys) }.sorted() }

    public func snapshot() -> StoreSnapshot {
        state.withLock { StoreSnapshot(entries: $0.objects, indexes: $0.indexes, parsed: $0.parsed) }
    }

    public func list(namespace: String? = nil) -> [JSONValue] { snapshot().list(namespace: namespace) }
    public func byIndex(_ name: String, _ value: String) -> [JSONValue] { snapshot().byIndex(name, value) }
    /// Keys filed under `value` in the index `name`, sorted (no object is parsed).
    public func keys(byIndex name: String, _ value: String) -> [ObjectKey] {
        state.withLock { $0.indexes[name]?[value] }.map { $0.sorted() } ?? []
    }
    /// Objects with an ownerReference to `uid`.
    public func owned(by uid: String) -> [JSONValue] { byIndex(StoreIndex.ownerUID, uid) }
    /// Objects labelled `key=value`.
    public func labelled(_ key: String, _ value: String) -> [JSONValue] { byIndex(StoreIndex.label, "\(key)=\(value)") }

    // MARK: Writes (the informer's)

    /// The stored entry at `key` (no parse).
    func entry(_ key: ObjectKey) -> StoredObject? { state.withLock { $0.objects[key] } }

    /// Stores `object`, returning the previous version. Only the informer writes, so the
    /// entry read first is still the current one when the change is made (in one lock, so
    /// readers never see the object and its index entries disagree).
    @discardableResult
    func upsert(_ object: JSONValue, entry: StoredObject? = nil) -> JSONValue? {
        let key = ObjectKey(object)
        var entry = entry ?? StoredObject(object)
        let newValues = indexFunctions.mapValues { Set($0(object)) }
        let previous = state.withLock { s -> (StoredObject, JSONValue?)? in
            s.objects[key].map { ($0, s.parsed.lookup(key, serial: $0.serial)) }
        }
        let old = previous.map { $0.1 ?? $0.0.value }
        let oldValues = old.map { o in indexFunctions.mapValues { Set($0(o)) } } ?? [:]
        state.withLock { s in
            s.serial += 1
            entry.serial = s.serial
            s.objects[key] = entry
            // The reconcile this change wakes will most likely read it.
            s.parsed.insert(key, serial: entry.serial, object)
            for (name, values) in newValues {
                let before = oldValues[name] ?? []
                if before == values { continue }
                for v in before.subtracting(values) { Self.unindex(&s, name, v, key) }
                for v in values.subtracting(before) { s.indexes[name, default: [:]][v, default: []].insert(key) }
            }
        }
        return old
    }

    /// Removes the object at `key`, returning it.
    @discardableResult
    func remove(_ key: ObjectKey) -> JSONValue? {
        let previous = state.withLock { s -> (StoredObject, JSONValue?)? in
            s.objects[key].map { ($0, s.parsed.lookup(key, serial: $0.serial)) }
        }
        guard let previous else { return nil }
        let old = previous.1 ?? previous.0.value
        let values = indexFunctions.mapValues { Set($0(old)) }
        state.withLock { s in
            s.objects.removeValue(forKey: key)
            s.parsed.remove(key)
            for (name, set) in values {
                for v in set { Self.unindex(&s, name, v, key) }
            }
        }
        return old
    }

    private static func unindex(_ s: inout State, _ name: String, _ value: String, _ key: ObjectKey) {
        s.indexes[name]?[value]?.remove(key)
        if s.indexes[name]?[value]?.isEmpty == true { s.indexes[name]?.removeValue(forKey: value) }
    }
}
