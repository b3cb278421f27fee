import Foundation
import KubeCore

/// What the dashboard knows: the latest Canaries and Rollouts from its watches, each one's
/// weight over time (as seen since the dashboard started: nothing older is kept anywhere),
/// and the browsers listening for changes.
actor DashboardStore {
    struct Key: Hashable, Sendable, Comparable {
        var kind: ResourceKind
        var namespace: String
        var name: String
        static func < (a: Key, b: Key) -> Bool {
            (a.namespace, a.kind.rawValue, a.name) < (b.namespace, b.kind.rawValue, b.name)
        }
    }

    struct Sample: Sendable {
        var time: Date
        var weight: Int
    }

    private(set) var objects: [Key: JSONValue] = [:]
    private var history: [Key: [Sample]] = [:]
    private var listeners: [UUID: AsyncStream<String>.Continuation] = [:]
    /// Kinds whose CRD is not installed (or that the user may not list), with why.
    private(set) var unavailable: [ResourceKind: String] = [:]
    static let historyLimit = 500

    func replaceAll(_ kind: ResourceKind, _ items: [JSONValue], now: Date) {
        unavailable[kind] = nil
        let keys = Set(items.map { Self.key(kind, $0) })
        for k in objects.keys where k.kind == kind && !keys.contains(k) { objects[k] = nil }
        for item in items { record(kind, item, now: now) }
        broadcast(["kind": .string(kind.kindName), "reset": true])
    }

    func apply(_ kind: ResourceKind, _ event: WatchEvent, now: Date) {
        let key = Self.key(kind, event.object)
        switch event.type {
        case .added, .modified: record(kind, event.object, now: now)
        case .deleted: objects[key] = nil
        case .bookmark, .error: return
        }
        broadcast(["kind": .string(kind.kindName), "namespace": .string(key.namespace), "name": .string(key.name)])
    }

    func markUnavailable(_ kind: ResourceKind, _ why: String) { unavailable[kind] = why }

    func object(_ key: Key) -> JSONValue? { objects[key] }
    func samples(_ key: Key) -> [Sample] { history[key] ?? [] }

    /// A stream of SSE frames (`event: change`), with a comment at once so the browser knows
    /// it is connected.
    func listen() -> AsyncStream<String> {
        let id = UUID()
        let (stream, continuation) = AsyncStream.makeStream(of: String.self, bufferingPolicy: .bufferingNewest(100))
        continuation.yield(": connected\n\n")
        listeners[id] = continuation
        continuation.onTermination = { _ in Task { await self.drop(id) } }
        return stream
    }

    private func drop(_ id: UUID) { listeners[id] = nil }

    private func record(_ kind: ResourceKind, _ object: JSONValue, now: Date) {
        let key = Self.key(kind, object)
        objects[key] = object
        let weight = Self.weight(kind, object)
        var samples = history[key] ?? []
        if samples.last?.weight != weight {
            samples.append(Sample(time: now, weight: weight))
            if samples.count > Self.historyLimit { samples.removeFirst(samples.count - Self.historyLimit) }
            history[key] = samples
        }
    }

    private func broadcast(_ change: JSONValue) {
        let frame = "event: change\ndata: \(change.serialized())\n\n"
        for l in listeners.values { l.yield(frame) }
    }

    static func key(_ kind: ResourceKind, _ o: JSONValue) -> Key {
        Key(kind: kind, namespace: o["metadata"]["namespace"].stringValue ?? "", name: o["metadata"]["name"].stringValue ?? "")
    }

    /// The canary's share of traffic now (0 when there is none).
    static func weight(_ kind: ResourceKind, _ o: JSONValue) -> Int {
        switch kind {
        case .canary: return o["status"]["canaryWeight"].intValue ?? 0
        case .rollout: return RolloutView.canaryWeight(o) ?? 0
        }
    }
}

/// Lists then watches one kind into the store, again after a watch ends; a kind whose CRD is
/// missing is retried every few seconds.
struct DashboardWatcher: Sendable {
    let api: any KubeAPI
    let namespace: String?
    let store: DashboardStore

    func run(_ kind: ResourceKind) async {
        while !Task.isCancelled {
            do {
                let list = try await api.list(kind.resource, namespace: namespace)
                await store.replaceAll(kind, list.items, now: Date())
                var version = list.resourceVersion
                watching: while !Task.isCancelled {
                    let stream = try await api.watch(kind.resource, namespace: namespace,
                                                     options: WatchOptions(resourceVersion: version, timeoutSeconds: 300))
                    for try await event in stream {
                        if event.type == .error { break watching }  // 410 Gone: list again
                        if let rv = event.object["metadata"]["resourceVersion"].stringValue { version = rv }
                        await store.apply(kind, event, now: Date())
                    }
                }
            } catch let e as KubeAPIError where e.isNotFound || e.code == 403 {
                await store.markUnavailable(kind, e.isNotFound ? "the \(kind.kindName) CRD is not installed"
                                                                : "not allowed to list \(kind.resource.plural)")
                try? await Task.sleep(for: .seconds(5))
            } catch {
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }
}
