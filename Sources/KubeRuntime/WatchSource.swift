import KubeCore

/// An informer whose events enqueue keys of a controller's primary resource.
public struct WatchSource: Sendable {
    public let informer: Informer
    /// Which events count (nil: all).
    public let predicate: (@Sendable (InformerEvent) -> Bool)?
    /// The primary keys an object maps to.
    public let map: @Sendable (JSONValue) -> [ObjectKey]

    public init(
        _ informer: Informer, predicate: (@Sendable (InformerEvent) -> Bool)? = nil,
        map: @escaping @Sendable (JSONValue) -> [ObjectKey]
    ) {
        self.informer = informer
        self.predicate = predicate
        self.map = map
    }

    /// Objects of the primary resource itself: each maps to its own key.
    public static func primary(_ informer: Informer, predicate: (@Sendable (InformerEvent) -> Bool)? = nil) -> WatchSource {
        WatchSource(informer, predicate: predicate) { [ObjectKey($0)] }
    }

    /// Objects owned by the primary resource: each maps to the owner named in its ownerReferences
    /// whose kind and API group match (any version). With `controllerOnly`, only the reference
    /// marked `controller: true` counts.
    public static func owned(
        _ informer: Informer, ownerKind: String, ownerAPIVersion: String, controllerOnly: Bool = true,
        predicate: (@Sendable (InformerEvent) -> Bool)? = nil
    ) -> WatchSource {
        let group = apiGroup(ownerAPIVersion)
        return WatchSource(informer, predicate: predicate) { obj in
            obj.ownerReferences.compactMap { ref in
                guard ref["kind"].stringValue == ownerKind, apiGroup(ref["apiVersion"].stringValue ?? "") == group,
                    !controllerOnly || ref["controller"].boolValue == true, let name = ref["name"].stringValue
                else { return nil }
                return ObjectKey(namespace: obj.namespace, name: name)
            }
        }
    }

    /// Objects mapped by an arbitrary function (e.g. a Deployment to the Canary whose `spec.targetRef` names it).
    public static func mapped(
        _ informer: Informer, predicate: (@Sendable (InformerEvent) -> Bool)? = nil,
        _ map: @escaping @Sendable (JSONValue) -> [ObjectKey]
    ) -> WatchSource {
        WatchSource(informer, predicate: predicate, map: map)
    }

    /// The keys an event enqueues (both the old and the new object's for updates).
    public func keys(for event: InformerEvent) -> [ObjectKey] {
        if let predicate, !predicate(event) { return [] }
        switch event {
        case .added(let o), .deleted(let o): return map(o)
        case .updated(let old, let new):
            var seen = Set<ObjectKey>()
            return (map(old) + map(new)).filter { seen.insert($0).inserted }
        }
    }

    static func apiGroup(_ apiVersion: String) -> String {
        guard let slash = apiVersion.lastIndex(of: "/") else { return "" }
        return String(apiVersion[..<slash])
    }
}

/// Common event filters.
public enum Predicates {
    /// Updates only when `metadata.generation` changed (spec edits, not status writes);
    /// adds and deletes always. Objects without a generation always pass.
    public static let generationChanged: @Sendable (InformerEvent) -> Bool = { event in
        guard case .updated(let old, let new) = event else { return true }
        guard let g1 = old.generation, let g2 = new.generation else { return true }
        return g1 != g2
    }

    /// Updates where anything but `metadata.resourceVersion` / `managedFields` changed.
    public static let contentChanged: @Sendable (InformerEvent) -> Bool = { event in
        guard case .updated(var old, var new) = event else { return true }
        for p in [["metadata", "resourceVersion"], ["metadata", "managedFields"]] {
            old[path: p] = .null
            new[path: p] = .null
        }
        return old != new
    }
}
