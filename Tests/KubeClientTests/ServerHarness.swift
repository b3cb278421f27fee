import Foundation
import KubeClient
import KubeCore
import KubeTestServer
import Testing

/// A fresh test API server over HTTPS, a kubeconfig for it, and a client built from that kubeconfig.
struct Harness {
    let server: TestAPIServer
    let dir: TempDir
    let kubeconfigPath: String
    let config: KubeConfig

    static func start(_ serverOptions: TestAPIServer.Options = fastServerOptions()) async throws -> Harness {
        let server = try await TestAPIServer.start(serverOptions)
        let dir = try TempDir()
        let path = dir.path + "/kubeconfig"
        try server.writeKubeconfig(to: path, context: "test")
        return Harness(server: server, dir: dir, kubeconfigPath: path, config: try KubeConfig.load(kubeconfigPath: path))
    }

    static func fastServerOptions() -> TestAPIServer.Options {
        var o = TestAPIServer.Options()
        o.simulateWorkloads = false
        return o
    }

    /// Client options for tests: quick retries, no rate limit unless a test sets one.
    static func fastOptions() -> KubeClient.Options {
        var o = KubeClient.Options()
        o.qps = 0
        o.retry = RetryPolicy(maxAttempts: 5, baseDelay: .milliseconds(10), maxDelay: .milliseconds(50), maxTotal: .seconds(10))
        o.requestTimeout = .seconds(10)
        return o
    }

    func client(_ options: KubeClient.Options = Harness.fastOptions(), config: KubeConfig? = nil) throws -> KubeClient {
        try KubeClient(config: config ?? self.config, options: options)
    }

    func stop() async {
        try? await server.stop()
        dir.cleanup()
    }
}

/// Runs `body` with a started server and a client; always stops both.
func withHarness(
    options: KubeClient.Options = Harness.fastOptions(), serverOptions: TestAPIServer.Options = Harness.fastServerOptions(),
    _ body: (Harness, KubeClient) async throws -> Void
) async throws {
    let h = try await Harness.start(serverOptions)
    let client: KubeClient
    do {
        client = try h.client(options)
    } catch {
        await h.stop()
        throw error
    }
    do {
        try await body(h, client)
    } catch {
        try? await client.shutdown()
        await h.stop()
        throw error
    }
    try? await client.shutdown()
    await h.stop()
}

/// Fails the test instead of hanging when `operation` takes longer than `seconds`.
func withDeadline<T: Sendable>(_ seconds: Double, _ operation: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await operation() }
        group.addTask {
            try await Task.sleep(for: .seconds(seconds))
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let value = first else {
            throw DeadlineExceeded(seconds: seconds)
        }
        return value
    }
}

struct DeadlineExceeded: Error, CustomStringConvertible {
    var seconds: Double
    var description: String { "did not finish within \(seconds) s" }
}

func configMap(_ name: String, namespace: String, data: [String: String] = [:], labels: [String: String] = [:]) -> JSONValue {
    var meta: JSONValue = ["name": .string(name), "namespace": .string(namespace)]
    if !labels.isEmpty { meta["labels"] = .object(labels.mapValues { .string($0) }) }
    return [
        "apiVersion": "v1", "kind": "ConfigMap", "metadata": meta,
        "data": .object(data.mapValues { .string($0) }),
    ]
}

func createNamespace(_ client: KubeClient, _ name: String) async throws {
    _ = try await client.create(.namespaces, namespace: nil, ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": .string(name)]])
}
