/// Read helpers for the `metadata` every object carries.
extension JSONValue {
    public var name: String? { self["metadata"]["name"].stringValue }
    public var namespace: String? { self["metadata"]["namespace"].stringValue }
    public var uid: String? { self["metadata"]["uid"].stringValue }
    public var resourceVersion: String? { self["metadata"]["resourceVersion"].stringValue }
    public var generation: Int? { self["metadata"]["generation"].intValue }
    public var labels: [String: String] { Self.stringMap(self["metadata"]["labels"]) }
    public var annotations: [String: String] { Self.stringMap(self["metadata"]["annotations"]) }
    public var deletionTimestamp: String? { self["metadata"]["deletionTimestamp"].stringValue }
    public var finalizers: [String] { (self["metadata"]["finalizers"].arrayValue ?? []).compactMap(\.stringValue) }
    public var ownerReferences: [JSONValue] { self["metadata"]["ownerReferences"].arrayValue ?? [] }

    /// `namespace/name`, or `name` for cluster-scoped objects.
    public var objectKey: String {
        let n = name ?? ""
        if let ns = namespace, !ns.isEmpty { return "\(ns)/\(n)" }
        return n
    }

    public static func stringMap(_ v: JSONValue) -> [String: String] {
        var out: [String: String] = [:]
        for (k, val) in v.objectValue ?? [:] { if let s = val.stringValue { out[k] = s } }
        return out
    }

    /// An ownerReference pointing at this object (controller: true, blockOwnerDeletion: true).
    public func ownerReference(apiVersion: String, kind: String) -> JSONValue {
        [
            "apiVersion": .string(apiVersion), "kind": .string(kind),
            "name": .string(name ?? ""), "uid": .string(uid ?? ""),
            "controller": true, "blockOwnerDeletion": true,
        ]
    }
}
