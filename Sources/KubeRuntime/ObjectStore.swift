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

/// An immutable view of a store at one moment. Taking one is O(1) (copy-on-write).
public struct StoreSnapshot: Sendable {
    public let objects: [ObjectKey: JSONValue]
    let indexes: [String: [String: Set<ObjectKey>]]

    public func get(_ key: ObjectKey) -> JSONValue? { objects[key] }
    public var count: Int { objects.count }

    /// Every object, or those in `namespace`, sorted by key.
    public func list(namespace: String? = nil) -> [JSONValue] {
        objects.lazy.filter { namespace == nil || $0.key.namespace == namespace }.sorted { $0.key < $1.key }.map(\.value)
    }

    /// Objects filed under `value` in the index `name`, sorted by key.
    public func byIndex(_ name: String, _ value: String) -> [JSONValue] {
        guard let keys = indexes[name]?[value] else { return [] }
        return keys.sorted().compactMap { objects[$0] }
    }
}

/// The informer's cache: objects keyed by namespace/name, with indexes. Readable from any
/// task without awaiting (a mutex guards it); written only by its informer.
public final class ObjectStore: Sendable {
    private struct State {
        var objects: [ObjectKey: JSONValue] = [:]
        var indexes: [String: [String: Set<ObjectKey>]] = [:]
    }
    private let state = Mutex(State())
    private let indexFunctions: [String: IndexFunction]

    /// - Parameter indexers: extra index functions; the built-in ones (`StoreIndex`) are always present.
    public init(indexers: [String: IndexFunction] = [:]) {
        indexFunctions = StoreIndex.builtIn.merging(indexers) { _, custom in custom }
    }

    public func get(_ key: ObjectKey) -> JSONValue? { state.withLock { $0.objects[key] } }
    public func get(namespace: String?, name: String) -> JSONValue? { get(ObjectKey(namespace: namespace, name: name)) }
    public var count: Int { state.withLock { $0.objects.count } }
    public var keys: [ObjectKey] { state.withLock { Array($0.objects.keys) }.sorted() }

    public func snapshot() -> StoreSnapshot {
        state.withLock { StoreSnapshot(objects: $0.objects, indexes: $0.indexes) }
    }

    public func list(namespace: String? = nil) -> [JSONValue] { snapshot().list(namespace: namespace) }
    public func byIndex(_ name: String, _ value: String) -> [JSONValue] { snapshot().byIndex(name, value) }
    /// Objects with an ownerReference to `uid`.
    public func owned(by uid: String) -> [JSONValue] { byIndex(StoreIndex.ownerUID, uid) }
    /// Objects labelled `key=value`.
    public func labelled(_ key: String, _ value: String) -> [JSONValue] { byIndex(StoreIndex.label, "\(key)=\(value)") }

    // MARK: Writes (the informer's)

    /// Stores `object`, returning the previous version.
    @discardableResult
    func upsert(_ object: JSONValue) -> JSONValue? {
        let key = ObjectKey(object)
        let functions = indexFunctions
        return state.withLock { s in
            let old = s.objects.updateValue(object, forKey: key)
            for (name, fn) in functions {
                let oldValues = old.map { Set(fn($0)) } ?? []
                let newValues = Set(fn(object))
                if oldValues == newValues { continue }
                for v in oldValues.subtracting(newValues) { Self.unindex(&s, name, v, key) }
                for v in newValues.subtracting(oldValues) { s.indexes[name, default: [:]][v, default: []].insert(key) }
            }
            return old
        }
    }

    /// Removes the object at `key`, returning it.
    @discardableResult
    func remove(_ key: ObjectKey) -> JSONValue? {
        let functions = indexFunctions
        return state.withLock { s in
            guard let old = s.objects.removeValue(forKey: key) else { return nil }
            for (name, fn) in functions {
                for v in Set(fn(old)) { Self.unindex(&s, name, v, key) }
            }
            return old
        }
    }

    private static func unindex(_ s: inout State, _ name: String, _ value: String, _ key: ObjectKey) {
        s.indexes[name]?[value]?.remove(key)
        if s.indexes[name]?[value]?.isEmpty == true { s.indexes[name]?.removeValue(forKey: value) }
    }
}
