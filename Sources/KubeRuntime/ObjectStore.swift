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

/// One cached object in the store's compact encoding (`CompactJSON`).
///
/// A parsed `JSONValue` tree costs five to eight times its JSON text (a dictionary per
/// object node, a boxed enum per value); 10,000 canaries' Deployments, Services and Canaries
/// would take hundreds of MiB that way. The compact form is less than half the JSON text;
/// reads decode it again (about 15 µs for a Deployment), which reconciles can afford, and the
/// watch path hands out the parsed objects it already has.
struct StoredObject: Sendable {
    let bytes: [UInt8]
    /// Kept apart so that freshness checks (re-lists, read-your-writes) need no decoding.
    let resourceVersion: String?
    /// Which write of the store produced it (a parsed copy is cached only for the current one).
    var serial: UInt64 = 0

    func value(_ strings: [String]) -> JSONValue { CompactJSON.decode(bytes, strings: strings) }
}

/// Strings a store's objects share, each kept once: the compact encoding refers to one by
/// its number. Object keys are numbered when first seen; short string values when seen in a
/// second object (so that names and uids, unique to one object, stay inline). Append-only,
/// so a copy of `names` taken with an entry decodes it. Bounded: past `limit` strings
/// (ConfigMap data keys can be anything), the rest is written inline.
struct StringTable: Sendable {
    static let limit = 8192
    static let longestValue = 48
    static let pendingLimit = 1024
    var names: [String] = []
    var ids: [String: Int] = [:]
    /// Values seen once, with the number of the encoding that saw them.
    var pending: [String: UInt32] = [:]
    var encodings: UInt32 = 0

    /// The number of `s`, numbering it now when `intern` says so and there is room.
    mutating func id(_ s: String, intern: Bool) -> Int? {
        if let id = ids[s] { return id }
        guard intern, names.count < Self.limit else { return nil }
        let id = names.count
        names.append(s)
        ids[s] = id
        return id
    }

    /// Whether the value `s` has now been seen in two encodings (it is numbered then).
    mutating func seenBefore(_ s: String) -> Bool {
        if let first = pending[s] {
            if first == encodings { return false }
            pending.removeValue(forKey: s)
            return true
        }
        if pending.count >= Self.pendingLimit { pending.removeAll(keepingCapacity: true) }
        pending[s] = encodings
        return false
    }
}

/// A binary form of `JSONValue` that decodes to an equal value: a tag byte per value,
/// zigzag varint integers, doubles as their 8 bytes, and strings (object keys and values)
/// either as a number into the store's `StringTable` or inline (length, then UTF-8). Keys are
/// about half of a Kubernetes object's JSON text and most short values repeat across objects
/// (`apps/v1`, `True`, `IfNotPresent`, condition reasons): a Deployment takes a fifth of its
/// JSON text.
enum CompactJSON {
    private enum Tag: UInt8 { case null, `false`, `true`, int, double, string, array, object }

    static func encode(_ value: JSONValue, strings: inout StringTable) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(1024)
        strings.encodings &+= 1
        write(value, strings: &strings, to: &out)
        // Exactly sized: the buffer grew by doubling.
        return Array(unsafeUninitializedCapacity: out.count) { buf, n in n = buf.initialize(from: out).1 }
    }

    private static func write(_ v: JSONValue, strings: inout StringTable, to out: inout [UInt8]) {
        switch v {
        case .null: out.append(Tag.null.rawValue)
        case .bool(let b): out.append(b ? Tag.true.rawValue : Tag.false.rawValue)
        case .int(let i):
            out.append(Tag.int.rawValue)
            varint(UInt64(bitPattern: (i << 1) ^ (i >> 63)), &out)
        case .double(let d):
            out.append(Tag.double.rawValue)
            var bits = d.bitPattern
            for _ in 0..<8 {
                out.append(UInt8(truncatingIfNeeded: bits))
                bits >>= 8
            }
        case .string(let s):
            out.append(Tag.string.rawValue)
            let intern = s.utf8.count <= StringTable.longestValue && strings.ids[s] == nil && strings.seenBefore(s)
            string(s, id: strings.id(s, intern: intern), &out)
        case .array(let a):
            out.append(Tag.array.rawValue)
            varint(UInt64(a.count), &out)
            for e in a { write(e, strings: &strings, to: &out) }
        case .object(let o):
            out.append(Tag.object.rawValue)
            varint(UInt64(o.count), &out)
            for (k, e) in o {
                string(k, id: strings.id(k, intern: true), &out)
                write(e, strings: &strings, to: &out)
            }
        }
    }

    /// A numbered string as its number shifted left; an inline one as its length shifted
    /// left with the low bit set, then its UTF-8.
    private static func string(_ s: String, id: Int?, _ out: inout [UInt8]) {
        if let id {
            varint(UInt64(id) << 1, &out)
            return
        }
        var s = s
        s.withUTF8 { u in
            varint(UInt64(u.count) << 1 | 1, &out)
            out.append(contentsOf: u)
        }
    }

    private static func varint(_ value: UInt64, _ out: inout [UInt8]) {
        var v = value
        while v >= 0x80 {
            out.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        out.append(UInt8(v))
    }

    /// Decodes bytes written by `encode` with (a later copy of) the same string table's names.
    static func decode(_ bytes: [UInt8], strings: [String]) -> JSONValue {
        bytes.withUnsafeBufferPointer { buf in
            var r = Reader(buf: buf, strings: strings)
            return r.value()
        }
    }

    private struct Reader {
        let buf: UnsafeBufferPointer<UInt8>
        let strings: [String]
        var pos = 0

        mutating func varint() -> UInt64 {
            var result: UInt64 = 0
            var shift: UInt64 = 0
            while true {
                let b = buf[pos]
                pos += 1
                result |= UInt64(b & 0x7F) << shift
                if b < 0x80 { return result }
                shift += 7
            }
        }

        mutating func string() -> String {
            let k = varint()
            if k & 1 == 0 { return strings[Int(k >> 1)] }
            let n = Int(k >> 1)
            let s = String(decoding: UnsafeBufferPointer(rebasing: buf[pos..<pos + n]), as: UTF8.self)
            pos += n
            return s
        }

        mutating func value() -> JSONValue {
            let tag = Tag(rawValue: buf[pos]) ?? .null
            pos += 1
            switch tag {
            case .null: return .null
            case .false: return .bool(false)
            case .true: return .bool(true)
            case .int:
                let z = varint()
                return .int(Int64(bitPattern: (z >> 1) ^ (0 &- (z & 1))))
            case .double:
                var bits: UInt64 = 0
                for i in 0..<8 { bits |= UInt64(buf[pos + i]) << (8 * UInt64(i)) }
                pos += 8
                return .double(Double(bitPattern: bits))
            case .string: return .string(string())
            case .array:
                let n = Int(varint())
                var a: [JSONValue] = []
                a.reserveCapacity(n)
                for _ in 0..<n { a.append(value()) }
                return .array(a)
            case .object:
                let n = Int(varint())
                var o = [String: JSONValue](minimumCapacity: n)
                for _ in 0..<n {
                    let key = string()
                    o[key] = value()
                }
                return .object(o)
            }
        }
    }
}

/// An immutable view of a store at one moment. Taking one is O(1) (copy-on-write).
public struct StoreSnapshot: Sendable {
    let entries: [ObjectKey: StoredObject]
    let indexes: [String: [String: Set<ObjectKey>]]
    let indexFunctions: [String: IndexFunction]
    let parsed: ParsedCache
    let keyNames: [String]

    /// Every object by key. Decodes every object: prefer `get`, `list` or `keys`.
    public var objects: [ObjectKey: JSONValue] {
        var out: [ObjectKey: JSONValue] = [:]
        for (k, e) in entries { out[k] = value(e, k) }
        return out
    }

    public func get(_ key: ObjectKey) -> JSONValue? { entries[key].map { value($0, key) } }
    public var count: Int { entries.count }
    public var keys: [ObjectKey] { entries.keys.sorted() }

    private func value(_ e: StoredObject, _ key: ObjectKey) -> JSONValue {
        parsed.lookup(key, serial: e.serial) ?? e.value(keyNames)
    }

    /// Every object, or those in `namespace`, sorted by key.
    public func list(namespace: String? = nil) -> [JSONValue] {
        entries.lazy.filter { namespace == nil || $0.key.namespace == namespace }.sorted { $0.key < $1.key }
            .map { value($0.value, $0.key) }
    }

    /// Objects filed under `value` in the index `name`, sorted by key.
    public func byIndex(_ name: String, _ value: String) -> [JSONValue] {
        keys(byIndex: name, value).compactMap { k in entries[k].map { self.value($0, k) } }
    }

    /// Keys filed under `value` in the index `name`, sorted. An index nobody had asked the
    /// store for when the snapshot was taken is computed from the snapshot's objects.
    public func keys(byIndex name: String, _ value: String) -> [ObjectKey] {
        if let index = indexes[name] { return (index[value] ?? []).sorted() }
        guard let fn = indexFunctions[name] else { return [] }
        return entries.filter { fn(self.value($0.value, $0.key)).contains(value) }.keys.sorted()
    }
}

/// Parsed copies of the objects most recently written or read, so that a reconcile reading
/// the object whose event woke it (or polling for its own write) does not decode it again.
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
///
/// An index is built the first time it is read and kept up to date from then on, so indexes
/// nobody uses (most stores never ask for labels or owners) cost neither memory nor time.
public final class ObjectStore: Sendable {
    private struct State {
        var objects: [ObjectKey: StoredObject] = [:]
        /// Active indexes only (by name).
        var indexes: [String: [String: Set<ObjectKey>]] = [:]
        var parsed = ParsedCache()
        var strings = StringTable()
        var serial: UInt64 = 0
    }
    private let state = Mutex(State())
    private let indexFunctions: [String: IndexFunction]

    /// - Parameter indexers: extra index functions; the built-in ones (`StoreIndex`) are always present.
    public init(indexers: [String: IndexFunction] = [:]) {
        indexFunctions = StoreIndex.builtIn.merging(indexers) { _, custom in custom }
    }

    /// The object at `key`: a recent parsed copy, or decoded now (outside the lock) and remembered.
    public func get(_ key: ObjectKey) -> JSONValue? {
        let found = state.withLock { s -> (StoredObject, JSONValue?, [String])? in
            guard let e = s.objects[key] else { return nil }
            return (e, s.parsed.lookup(key, serial: e.serial), s.strings.names)
        }
        guard let (entry, cached, names) = found else { return nil }
        if let cached { return cached }
        let value = entry.value(names)
        state.withLock { s in
            if s.objects[key]?.serial == entry.serial { s.parsed.insert(key, serial: entry.serial, value) }
        }
        return value
    }

    public func get(namespace: String?, name: String) -> JSONValue? { get(ObjectKey(namespace: namespace, name: name)) }
    public func contains(_ key: ObjectKey) -> Bool { state.withLock { $0.objects[key] != nil } }
    /// The cached object's `metadata.resourceVersion`, without decoding it (read-your-writes polls).
    public func resourceVersion(_ key: ObjectKey) -> String? { state.withLock { $0.objects[key]?.resourceVersion } }
    public var count: Int { state.withLock { $0.objects.count } }
    public var keys: [ObjectKey] { state.withLock { Array($0.objects.keys) }.sorted() }

    public func snapshot() -> StoreSnapshot {
        state.withLock {
            StoreSnapshot(entries: $0.objects, indexes: $0.indexes, indexFunctions: indexFunctions, parsed: $0.parsed,
                          keyNames: $0.strings.names)
        }
    }

    public func list(namespace: String? = nil) -> [JSONValue] { snapshot().list(namespace: namespace) }

    public func byIndex(_ name: String, _ value: String) -> [JSONValue] {
        activate(name)
        return snapshot().byIndex(name, value)
    }

    /// Keys filed under `value` in the index `name`, sorted (no object is decoded).
    public func keys(byIndex name: String, _ value: String) -> [ObjectKey] {
        activate(name)
        return state.withLock { $0.indexes[name]?[value] }.map { $0.sorted() } ?? []
    }

    /// Objects with an ownerReference to `uid`.
    public func owned(by uid: String) -> [JSONValue] { byIndex(StoreIndex.ownerUID, uid) }
    /// Objects labelled `key=value`.
    public func labelled(_ key: String, _ value: String) -> [JSONValue] { byIndex(StoreIndex.label, "\(key)=\(value)") }

    /// Builds index `name` from every stored object (once; in the lock, so that no write
    /// slips between the build and the upkeep that follows it).
    private func activate(_ name: String) {
        guard let fn = indexFunctions[name] else { return }
        state.withLock { s in
            guard s.indexes[name] == nil else { return }
            var index: [String: Set<ObjectKey>] = [:]
            for (key, entry) in s.objects {
                let obj = s.parsed.lookup(key, serial: entry.serial) ?? entry.value(s.strings.names)
                for v in Set(fn(obj)) { index[v, default: []].insert(key) }
            }
            s.indexes[name] = index
        }
    }

    // MARK: Writes (the informer's)

    /// The stored entry at `key` (not decoded).
    func entry(_ key: ObjectKey) -> StoredObject? { state.withLock { $0.objects[key] } }

    /// The entry's object (a recent parsed copy, or decoded).
    func value(of entry: StoredObject, at key: ObjectKey) -> JSONValue {
        let (cached, names) = state.withLock { ($0.parsed.lookup(key, serial: entry.serial), $0.strings.names) }
        return cached ?? entry.value(names)
    }

    /// Stores `object`, returning the previous version. Only the informer writes, so the
    /// entry read first is still the current one when the change is made; indexes change in
    /// the same lock as the object, so readers never see them disagree.
    @discardableResult
    func upsert(_ object: JSONValue) -> JSONValue? {
        let key = ObjectKey(object)
        let old = entry(key).map { value(of: $0, at: key) }
        state.withLock { s in
            // Encoded in the lock: the table changes in place (a copy of it per write would cost
            // more than the encoding, about 10 µs for a Deployment).
            let bytes = CompactJSON.encode(object, strings: &s.strings)
            s.serial += 1
            s.objects[key] = StoredObject(bytes: bytes, resourceVersion: object.resourceVersion, serial: s.serial)
            // The reconcile this change wakes will most likely read it.
            s.parsed.insert(key, serial: s.serial, object)
            for name in Array(s.indexes.keys) {
                guard let fn = indexFunctions[name] else { continue }
                let now = Set(fn(object))
                let was = old.map { Set(fn($0)) } ?? []
                if was == now { continue }
                for v in was.subtracting(now) { Self.unindex(&s, name, v, key) }
                for v in now.subtracting(was) { s.indexes[name, default: [:]][v, default: []].insert(key) }
            }
        }
        return old
    }

    /// Removes the object at `key`, returning it.
    @discardableResult
    func remove(_ key: ObjectKey) -> JSONValue? {
        guard let old = entry(key).map({ value(of: $0, at: key) }) else { return nil }
        state.withLock { s in
            s.objects.removeValue(forKey: key)
            s.parsed.remove(key)
            for name in Array(s.indexes.keys) {
                guard let fn = indexFunctions[name] else { continue }
                for v in Set(fn(old)) { Self.unindex(&s, name, v, key) }
            }
        }
        return old
    }

    private static func unindex(_ s: inout State, _ name: String, _ value: String, _ key: ObjectKey) {
        s.indexes[name]?[value]?.remove(key)
        if s.indexes[name]?[value]?.isEmpty == true { s.indexes[name]?.removeValue(forKey: value) }
    }
}
