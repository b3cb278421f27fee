import KubeCore

/// `KubeAPI` straight over the store: the semantics of the REST path without HTTP, for the
/// workload simulator and tests. Its requests are not counted by the fault injector.
struct InProcessAPI: KubeAPI {
    let core: ServerCore

    private func served(_ t: ResourceType) throws -> ServedResource {
        guard let r = core.store.resource(t) else {
            throw APIErrors.pathNotFound(t.collectionPath(namespace: nil))
        }
        return r
    }

    func get(_ resource: ResourceType, namespace: String?, name: String, subresource: String?) async throws -> JSONValue {
        try core.store.get(try served(resource), namespace: namespace, name: name, subresource: subresource)
    }

    func list(_ resource: ResourceType, namespace: String?, options: ListOptions) async throws -> ObjectList {
        let r = try core.store.list(try served(resource), namespace: namespace, options: options)
        return ObjectList(items: r.items, resourceVersion: r.resourceVersion, continueToken: r.continueToken)
    }

    func watch(_ resource: ResourceType, namespace: String?, options: WatchOptions) async throws
        -> AsyncThrowingStream<WatchEvent, any Error>
    {
        let events = try core.store.watch(try served(resource), namespace: namespace, options: options)
        let (stream, continuation) = AsyncThrowingStream<WatchEvent, any Error>.makeStream()
        let pump = Task {
            for await e in events { continuation.yield(e) }
            continuation.finish()
        }
        var timer: Task<Void, Never>?
        if let t = options.timeoutSeconds, t > 0 {
            timer = Task {
                try? await Task.sleep(for: .seconds(t))
                if !Task.isCancelled { pump.cancel() }
            }
        }
        continuation.onTermination = { [timer] _ in
            pump.cancel()
            timer?.cancel()
        }
        return stream
    }

    func create(_ resource: ResourceType, namespace: String?, _ object: JSONValue) async throws -> JSONValue {
        try core.store.create(try served(resource), namespace: namespace, object, dryRun: false)
    }

    func update(_ resource: ResourceType, namespace: String?, _ object: JSONValue, subresource: String?) async throws -> JSONValue {
        guard let name = object.name else { throw APIErrors.badRequest("name is required") }
        return try core.store.update(try served(resource), namespace: namespace ?? object.namespace, name: name, object, subresource: subresource, dryRun: false)
    }

    func patch(
        _ resource: ResourceType, namespace: String?, name: String, type: PatchType, _ patch: JSONValue, subresource: String?
    ) async throws -> JSONValue {
        try core.store.patch(try served(resource), namespace: namespace, name: name, type: type, patch, subresource: subresource, dryRun: false)
    }

    func delete(_ resource: ResourceType, namespace: String?, name: String, options: DeleteOptions) async throws -> JSONValue {
        try core.store.delete(try served(resource), namespace: namespace, name: name, options: options, dryRun: false)
    }
}
