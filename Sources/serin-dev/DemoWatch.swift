import KubeCore

/// Follows every object of one resource in a namespace: a list, then a watch from its
/// resourceVersion, listing again whenever the watch ends or fails (e.g. 410 Gone). Runs
/// until its task is cancelled.
enum DemoWatch {
    static func follow(api: any KubeAPI, _ resource: ResourceType, namespace: String,
                       onObject: @Sendable (JSONValue) async -> Void) async {
        while !Task.isCancelled {
            do {
                let list = try await api.list(resource, namespace: namespace)
                for item in list.items { await onObject(item) }
                let events = try await api.watch(
                    resource, namespace: namespace,
                    options: WatchOptions(resourceVersion: list.resourceVersion, timeoutSeconds: 60))
                for try await e in events {
                    if e.type == .added || e.type == .modified { await onObject(e.object) }
                }
            } catch {
                // The resource may not be served yet (CRD being established), or the watch broke.
            }
            try? await Task.sleep(for: .milliseconds(200))
        }
    }
}
