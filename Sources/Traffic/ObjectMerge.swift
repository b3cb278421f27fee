import KubeCore

/// Helpers to write only the fields Serin owns into an object someone else may also edit.
package enum ObjectMerge {
    /// Server-managed metadata that must not be carried from one object into a new one.
    package static let serverMetadata = ["uid", "resourceVersion", "creationTimestamp", "generation", "managedFields",
                                 "selfLink", "deletionTimestamp", "deletionGracePeriodSeconds", "ownerReferences"]

    /// `existing` (or a fresh object) with apiVersion/kind/name/namespace set and the given
    /// labels and annotations added; every other field of `existing` is kept.
    package static func base(existing: JSONValue?, apiVersion: String, kind: String, name: String, namespace: String,
                     labels: [String: String] = [:], annotations: [String: String] = [:],
                     ownerReference: JSONValue? = nil) -> JSONValue {
        var obj = existing ?? .object([:])
        obj["apiVersion"] = .string(apiVersion)
        obj["kind"] = .string(kind)
        obj[path: ["metadata", "name"]] = .string(name)
        obj[path: ["metadata", "namespace"]] = .string(namespace)
        for (k, v) in labels { obj[path: ["metadata", "labels", k]] = .string(v) }
        for (k, v) in annotations { obj[path: ["metadata", "annotations", k]] = .string(v) }
        if let owner = ownerReference { obj = withOwner(obj, owner) }
        return obj
    }

    /// Adds an ownerReference unless one with the same uid is there already.
    package static func withOwner(_ obj: JSONValue, _ owner: JSONValue) -> JSONValue {
        var refs = obj["metadata"]["ownerReferences"].arrayValue ?? []
        if !refs.contains(where: { $0["uid"] == owner["uid"] && $0["kind"] == owner["kind"] }) { refs.append(owner) }
        var out = obj
        out[path: ["metadata", "ownerReferences"]] = .array(refs)
        return out
    }

    package static func strings(_ list: [String]?) -> JSONValue? {
        guard let list, !list.isEmpty else { return nil }
        return .array(list.map { .string($0) })
    }
}
