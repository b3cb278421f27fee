import KubeCore

/// `namespace/name` of an object; `namespace` is nil for cluster-scoped objects.
public struct ObjectKey: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var namespace: String?
    public var name: String

    public init(namespace: String?, name: String) {
        self.namespace = (namespace?.isEmpty ?? true) ? nil : namespace
        self.name = name
    }

    /// The key of an object (from its metadata).
    public init(_ object: JSONValue) {
        self.init(namespace: object.namespace, name: object.name ?? "")
    }

    /// Parses `namespace/name` or `name`.
    public init(parsing text: String) {
        if let slash = text.firstIndex(of: "/") {
            self.init(namespace: String(text[..<slash]), name: String(text[text.index(after: slash)...]))
        } else {
            self.init(namespace: nil, name: text)
        }
    }

    public var description: String { namespace.map { "\($0)/\(name)" } ?? name }

    public static func < (a: ObjectKey, b: ObjectKey) -> Bool { a.description < b.description }
}
