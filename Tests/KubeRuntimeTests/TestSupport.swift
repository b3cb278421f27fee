import Foundation
import KubeClient
import KubeCore
import KubeTestServer
import Synchronization
import Testing

@testable import KubeRuntime

/// A test API server and a real HTTP client talking to it.
struct HTTPEnvironment: Sendable {
    let server: TestAPIServer
    let client: KubeClient

    static func start(bookmarkInterval: Duration = .milliseconds(200)) async throws -> HTTPEnvironment {
        var options = TestAPIServer.Options()
        options.simulateWorkloads = false
        options.bookmarkInterval = bookmarkInterval
        let server = try await TestAPIServer.start(options)
        let config = KubeConfig(
            server: server.url, certificateAuthorityPEM: Array(server.caCertificatePEM.utf8),
            credentials: .bearerToken(server.token))
        var clientOptions = KubeClient.Options()
        clientOptions.qps = 0
        let client = try KubeClient(config: config, options: clientOptions)
        return HTTPEnvironment(server: server, client: client)
    }

    func stop() async {
        try? await client.shutdown()
        // Let the server see the closed watch connections before it stops.
        try? await Task.sleep(for: .milliseconds(200))
        try? await server.stop()
    }

    /// Runs `body` with a fresh environment, stopping it afterwards whatever happens.
    static func with(_ body: (HTTPEnvironment) async throws -> Void) async throws {
        let env = try await start()
        do {
            try await body(env)
        } catch {
            await env.stop()
            throw error
        }
        await env.stop()
    }
}

func configMap(_ name: String, namespace: String = "default", data: [String: String] = [:], labels: [String: String] = [:])
    -> JSONValue
{
    var obj: JSONValue = [
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": ["name": .string(name), "namespace": .string(namespace)],
        "data": .object(data.mapValues { .string($0) }),
    ]
    if !labels.isEmpty { obj[path: ["metadata", "labels"]] = .object(labels.mapValues { .string($0) }) }
    return obj
}

/// Collects an informer's events in order.
final class EventLog: Sendable {
    private let box = Box<[InformerEvent]>([])
    private let task = Mutex<Task<Void, Never>?>(nil)

    init(_ stream: AsyncStream<InformerEvent>) {
        let box = self.box
        let t = Task {
            for await e in stream { box.update { $0.append(e) } }
        }
        task.withLock { $0 = t }
    }

    var all: [InformerEvent] { box.value }
    func clear() { box.update { $0.removeAll() } }
    func stop() { task.withLock { $0?.cancel() } }

    /// Short descriptions like `added default/a`, `updated default/a`, `deleted default/a`.
    var summary: [String] {
        all.map { e in
            switch e {
            case .added(let o): return "added \(ObjectKey(o))"
            case .updated(_, let n): return "updated \(ObjectKey(n))"
            case .deleted(let o): return "deleted \(ObjectKey(o))"
            }
        }
    }
}

/// Counts concurrent and total calls per key, for reconcile tests.
final class ReconcileProbe: Sendable {
    private struct State {
        var running: [ObjectKey: Int] = [:]
        var maxConcurrentPerKey = 0
        var calls: [ObjectKey: Int] = [:]
        var order: [ObjectKey] = []
    }
    private let state = Mutex(State())

    func enter(_ key: ObjectKey) {
        state.withLock { s in
            s.running[key, default: 0] += 1
            s.maxConcurrentPerKey = max(s.maxConcurrentPerKey, s.running[key]!)
            s.calls[key, default: 0] += 1
            s.order.append(key)
        }
    }
    func leave(_ key: ObjectKey) { state.withLock { $0.running[key, default: 0] -= 1 } }
    func calls(_ key: ObjectKey) -> Int { state.withLock { $0.calls[key] ?? 0 } }
    var totalCalls: Int { state.withLock { $0.order.count } }
    var maxConcurrentPerKey: Int { state.withLock { $0.maxConcurrentPerKey } }
    var keys: Set<ObjectKey> { state.withLock { Set($0.order) } }
}

/// A mutex-guarded value that closures can share.
final class Box<T: Sendable>: Sendable {
    private let m: Mutex<T>
    init(_ v: T) { m = Mutex(v) }
    var value: T { m.withLock { $0 } }
    func update(_ f: (inout T) -> Void) { m.withLock { f(&$0) } }
}
