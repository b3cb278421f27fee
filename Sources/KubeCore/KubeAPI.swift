/// The verbs Serin uses on an API server. `KubeClient` implements it over HTTP; wrappers
/// (lease fencing, request accounting) compose over it.
public protocol KubeAPI: Sendable {
    func get(_ resource: ResourceType, namespace: String?, name: String, subresource: String?) async throws -> JSONValue
    func list(_ resource: ResourceType, namespace: String?, options: ListOptions) async throws -> ObjectList
    /// Opens a watch. The stream ends when the server closes it (or timeoutSeconds passes);
    /// an `ERROR` event (e.g. 410 Gone) is delivered as an event, transport failures as a thrown error.
    func watch(_ resource: ResourceType, namespace: String?, options: WatchOptions) async throws
        -> AsyncThrowingStream<WatchEvent, any Error>
    func create(_ resource: ResourceType, namespace: String?, _ object: JSONValue) async throws -> JSONValue
    /// PUT of the whole object (name from `metadata.name`); carries `metadata.resourceVersion` for optimistic concurrency.
    func update(_ resource: ResourceType, namespace: String?, _ object: JSONValue, subresource: String?) async throws -> JSONValue
    func patch(
        _ resource: ResourceType, namespace: String?, name: String, type: PatchType, _ patch: JSONValue,
        subresource: String?
    ) async throws -> JSONValue
    /// Returns the object as the server answered (the deleted object, or the object with
    /// deletionTimestamp set when finalizers hold it).
    @discardableResult
    func delete(_ resource: ResourceType, namespace: String?, name: String, options: DeleteOptions) async throws -> JSONValue
}

extension KubeAPI {
    public func get(_ resource: ResourceType, namespace: String?, name: String) async throws -> JSONValue {
        try await get(resource, namespace: namespace, name: name, subresource: nil)
    }
    public func list(_ resource: ResourceType, namespace: String?) async throws -> ObjectList {
        try await list(resource, namespace: namespace, options: ListOptions())
    }
    public func update(_ resource: ResourceType, namespace: String?, _ object: JSONValue) async throws -> JSONValue {
        try await update(resource, namespace: namespace, object, subresource: nil)
    }
    public func updateStatus(_ resource: ResourceType, namespace: String?, _ object: JSONValue) async throws -> JSONValue {
        try await update(resource, namespace: namespace, object, subresource: "status")
    }
    public func patch(_ resource: ResourceType, namespace: String?, name: String, type: PatchType, _ patch: JSONValue)
        async throws -> JSONValue
    {
        try await self.patch(resource, namespace: namespace, name: name, type: type, patch, subresource: nil)
    }
    @discardableResult
    public func delete(_ resource: ResourceType, namespace: String?, name: String) async throws -> JSONValue {
        try await delete(resource, namespace: namespace, name: name, options: DeleteOptions())
    }
}

public struct ListOptions: Sendable, Hashable {
    public var labelSelector: String?
    public var fieldSelector: String?
    public var limit: Int?
    public var continueToken: String?
    public var resourceVersion: String?

    public init(
        labelSelector: String? = nil, fieldSelector: String? = nil, limit: Int? = nil,
        continueToken: String? = nil, resourceVersion: String? = nil
    ) {
        self.labelSelector = labelSelector
        self.fieldSelector = fieldSelector
        self.limit = limit
        self.continueToken = continueToken
        self.resourceVersion = resourceVersion
    }
}

public struct WatchOptions: Sendable, Hashable {
    public var resourceVersion: String?
    public var labelSelector: String?
    public var fieldSelector: String?
    public var allowWatchBookmarks: Bool
    public var timeoutSeconds: Int?

    public init(
        resourceVersion: String? = nil, labelSelector: String? = nil, fieldSelector: String? = nil,
        allowWatchBookmarks: Bool = true, timeoutSeconds: Int? = nil
    ) {
        self.resourceVersion = resourceVersion
        self.labelSelector = labelSelector
        self.fieldSelector = fieldSelector
        self.allowWatchBookmarks = allowWatchBookmarks
        self.timeoutSeconds = timeoutSeconds
    }
}

public struct ObjectList: Sendable {
    public var items: [JSONValue]
    public var resourceVersion: String
    public var continueToken: String?
    public init(items: [JSONValue], resourceVersion: String, continueToken: String? = nil) {
        self.items = items
        self.resourceVersion = resourceVersion
        self.continueToken = continueToken
    }
}

public enum WatchEventType: String, Sendable, Hashable {
    case added = "ADDED"
    case modified = "MODIFIED"
    case deleted = "DELETED"
    case bookmark = "BOOKMARK"
    case error = "ERROR"
}

public struct WatchEvent: Sendable {
    public var type: WatchEventType
    /// The object; for `ERROR` a `Status`.
    public var object: JSONValue
    public init(type: WatchEventType, object: JSONValue) {
        self.type = type
        self.object = object
    }
}

public enum PatchType: String, Sendable, Hashable {
    case merge = "application/merge-patch+json"
    case json = "application/json-patch+json"
    case strategicMerge = "application/strategic-merge-patch+json"

    public var contentType: String { rawValue }
}

public struct DeleteOptions: Sendable, Hashable {
    public enum PropagationPolicy: String, Sendable { case orphan = "Orphan", background = "Background", foreground = "Foreground" }
    public var propagationPolicy: PropagationPolicy?
    public var preconditionUID: String?
    public var preconditionResourceVersion: String?
    public var gracePeriodSeconds: Int?

    public init(
        propagationPolicy: PropagationPolicy? = nil, preconditionUID: String? = nil,
        preconditionResourceVersion: String? = nil, gracePeriodSeconds: Int? = nil
    ) {
        self.propagationPolicy = propagationPolicy
        self.preconditionUID = preconditionUID
        self.preconditionResourceVersion = preconditionResourceVersion
        self.gracePeriodSeconds = gracePeriodSeconds
    }

    /// The `DeleteOptions` body kube-apiserver takes.
    public var body: JSONValue {
        var o: JSONValue = ["kind": "DeleteOptions", "apiVersion": "v1"]
        if let p = propagationPolicy { o["propagationPolicy"] = .string(p.rawValue) }
        if let g = gracePeriodSeconds { o["gracePeriodSeconds"] = .int(Int64(g)) }
        if preconditionUID != nil || preconditionResourceVersion != nil {
            var pre: JSONValue = [:]
            if let u = preconditionUID { pre["uid"] = .string(u) }
            if let r = preconditionResourceVersion { pre["resourceVersion"] = .string(r) }
            o["preconditions"] = pre
        }
        return o
    }
}
