import KubeCore
import KubeRuntime

/// Idempotent writes: create when absent, update (carrying `resourceVersion`) only when the
/// content differs, so that a reconcile that changes nothing writes nothing. Every write is
/// fenced first: a replica that lost the lease must not write.
struct ObjectWriter: Sendable {
    let api: any KubeAPI
    let fence: @Sendable () throws -> Void

    /// The object, or nil when it does not exist.
    func get(_ resource: ResourceType, namespace: String, name: String) async throws -> JSONValue? {
        do {
            return try await api.get(resource, namespace: namespace, name: name)
        } catch let e as KubeAPIError where e.isNotFound {
            return nil
        }
    }

    /// Creates `desired` (when `existing` is nil) or updates it when its content changed.
    /// Returns whether anything was written.
    @discardableResult
    func apply(_ resource: ResourceType, _ desired: JSONValue, existing: JSONValue?) async throws -> Bool {
        let namespace = desired.namespace
        guard let existing else {
            try fence()
            var obj = desired
            obj["status"] = .null
            _ = try await api.create(resource, namespace: namespace, obj)
            return true
        }
        if Self.sameContent(desired, existing) { return false }
        try fence()
        _ = try await api.update(resource, namespace: namespace, desired)
        return true
    }

    func mergePatch(_ resource: ResourceType, namespace: String, name: String, _ patch: JSONValue) async throws {
        try fence()
        _ = try await api.patch(resource, namespace: namespace, name: name, type: .merge, patch)
    }

    func delete(_ resource: ResourceType, namespace: String, name: String) async throws {
        try fence()
        do {
            try await api.delete(resource, namespace: namespace, name: name)
        } catch let e as KubeAPIError where e.isNotFound {}
    }

    /// Adds or removes finalizer `name` on `json` (the object as read). The resourceVersion in
    /// the merge patch makes it conditional: a concurrent change is a 409, decided again.
    func setFinalizer(_ name: String, present: Bool, on json: JSONValue, resource: ResourceType) async throws {
        var list = json.finalizers
        if list.contains(name) == present { return }
        if present { list.append(name) } else { list.removeAll { $0 == name } }
        try await mergePatch(
            resource, namespace: json.namespace ?? "", name: json.name ?? "",
            ["metadata": ["finalizers": .array(list.map { .string($0) }), "resourceVersion": .string(json.resourceVersion ?? "")]])
    }

    /// Equal once server-maintained fields (status, resourceVersion, generation …) are set aside.
    static func sameContent(_ a: JSONValue, _ b: JSONValue) -> Bool {
        normalized(a) == normalized(b)
    }

    static func normalized(_ obj: JSONValue) -> JSONValue {
        var o = obj
        o["status"] = .null
        for k in ["resourceVersion", "generation", "managedFields", "creationTimestamp", "uid", "selfLink"] {
            o[path: ["metadata", k]] = .null
        }
        for k in ["labels", "annotations"] where o[path: ["metadata", k]].objectValue?.isEmpty == true {
            o[path: ["metadata", k]] = .null
        }
        return o
    }

    /// Whether `obj` names the Canary with `uid` among its owners.
    static func isOwned(_ obj: JSONValue, by uid: String?) -> Bool {
        guard let uid else { return false }
        return obj.ownerReferences.contains { $0["uid"].stringValue == uid }
    }

    /// Replaces the status through the status subresource, then waits (bounded, in real time)
    /// until `cache` holds what was written, so the next reconcile starts from it and does not
    /// act twice on the state before. Returns the object as written.
    @discardableResult
    func writeStatus(
        _ resource: ResourceType, _ json: JSONValue, status: JSONValue, cache: ObjectStore, catchUp: Duration
    ) async throws -> JSONValue {
        var obj = json
        obj["status"] = status
        try fence()
        let written = try await api.updateStatus(resource, namespace: json.namespace, obj)
        let key = ObjectKey(json)
        let deadline = ContinuousClock.now + catchUp
        while ContinuousClock.now < deadline {
            guard let cached = cache.get(key) else { return written }
            if cached.resourceVersion == written.resourceVersion || cached.resourceVersion != json.resourceVersion { return written }
            try? await Task.sleep(for: .milliseconds(2))
        }
        return written
    }
}
