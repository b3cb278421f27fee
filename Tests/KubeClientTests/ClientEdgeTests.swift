import Foundation
import KubeClient
import KubeCore
import Logging
import Synchronization
import Testing
import SerinTestSupport

@Suite("KubeClient timeouts, in-cluster wiring and log hygiene over HTTPS")
struct ClientEdgeTests {
    @Test func timedOutGetIsRetriedButTimedOutCreateIsNot() async throws {
        var opts = Harness.fastOptions()
        opts.requestTimeout = .milliseconds(800)
        try await withHarness(options: opts) { h, client in
            h.server.faults.resetCounts()
            h.server.faults.delayNext(1, by: .seconds(3), verb: "get", resource: "namespaces")
            let ns = try await client.get(.namespaces, namespace: nil, name: "default")
            #expect(ns.name == "default")
            // At least one retry (a loaded machine may time out the second attempt too).
            #expect(h.server.faults.requestCount(verb: "get", resource: "namespaces") >= 2)

            // The create may have been applied before the answer was lost: not repeated.
            h.server.faults.delayNext(1, by: .seconds(3), verb: "create", resource: "configmaps")
            let e = await caught(KubeAPIError.self) {
                try await client.create(.configMaps, namespace: "default", configMap("slow", namespace: "default"))
            }
            #expect(e != nil, "expected KubeAPIError to be thrown")
            guard case .transport(let m)? = e else { Issue.record("expected transport error, got \(String(describing: e))"); return }
            #expect(m.contains("timed out"))
            #expect(h.server.faults.requestCount(verb: "create", resource: "configmaps") == 1)
        }
    }

    @Test func serviceUnavailableRetryAfterIsHonoured() async throws {
        try await withHarness { h, client in
            h.server.faults.resetCounts()
            h.server.faults.failNext(1, status: 503, verb: "list", resource: "namespaces", retryAfterSeconds: 1)
            let start = ContinuousClock.now
            _ = try await client.list(.namespaces, namespace: nil)
            #expect(ContinuousClock.now - start >= .milliseconds(950))
            #expect(h.server.faults.requestCount(verb: "list", resource: "namespaces") == 2)
        }
    }

    @Test func idleWatchFailsAfterTheIdleTimeout() async throws {
        var opts = Harness.fastOptions()
        opts.watchIdleTimeout = .milliseconds(500)
        try await withHarness(options: opts) { _, client in
            let list = try await client.list(.configMaps, namespace: "default")
            let stream = try await client.watch(
                .configMaps, namespace: "default", options: WatchOptions(resourceVersion: list.resourceVersion, allowWatchBookmarks: false))
            let started = ContinuousClock.now
            let e = await caught(KubeAPIError.self) { _ = try await collect(stream, count: 1, within: 10) }
            #expect(e != nil, "expected KubeAPIError to be thrown")
            guard case .transport? = e else { Issue.record("expected transport error, got \(String(describing: e))"); return }
            #expect(ContinuousClock.now - started >= .milliseconds(400))
        }
    }

    @Test func inClusterConfigurationAgainstTheServer() async throws {
        try await withHarness { h, _ in
            let port = try #require(URLComponents(string: h.server.url)?.port)
            try h.dir.write("sa/token", h.server.token)
            try h.dir.write("sa/ca.crt", h.server.caCertificatePEM)
            try h.dir.write("sa/namespace", "kube-system")
            let cfg = try KubeConfig.inCluster(
                environment: ["KUBERNETES_SERVICE_HOST": "127.0.0.1", "KUBERNETES_SERVICE_PORT": String(port)],
                paths: InClusterPaths(directory: h.dir.path + "/sa"))
            let client = try h.client(config: cfg)
            #expect(client.config.namespace == "kube-system")
            #expect(try await client.get(.namespaces, namespace: nil, name: "default").name == "default")
            try await client.shutdown()
        }
    }

    @Test func clientCertificateAndHTTP1OnlyOptionsWork() async throws {
        try await withHarness { h, _ in
            var cfg = h.config
            cfg.clientCertificatePEM = Array(Fixture.certPEM.utf8)
            cfg.clientKeyPEM = Array(Fixture.keyPEM.utf8)
            var opts = Harness.fastOptions()
            opts.http1Only = true
            let client = try h.client(opts, config: cfg)
            #expect(try await client.list(.namespaces, namespace: nil).items.isEmpty == false)
            try await client.shutdown()

            var broken = cfg
            broken.clientKeyPEM = Array("not a key".utf8)
            let operation1 = { _ = try KubeClient(config: broken) }
            #expect(throws: KubeConfigError.self, performing: operation1)
        }
    }

    @Test func kubeconfigConvenienceInitializer() async throws {
        try await withHarness { h, _ in
            let client = try KubeClient(kubeconfigPath: h.kubeconfigPath, context: "test", options: Harness.fastOptions())
            #expect(client.config.contextName == "test")
            #expect(try await client.getPath("/version")["gitVersion"].stringValue != nil)
            try await client.shutdown()
        }
    }

    @Test func droppingAClientWithoutShutdownIsSafe() async throws {
        try await withHarness { h, _ in
            do {
                let client = try h.client()
                _ = try await client.list(.namespaces, namespace: nil)
                let stream = try await client.watch(.configMaps, namespace: "default", options: WatchOptions())
                _ = stream
            }
            // AsyncHTTPClient traps when a client is freed without shutdown; KubeClient's deinit
            // shuts its clients down in the background instead.
            try await Task.sleep(for: .milliseconds(200))
            let again = try h.client()
            #expect(try await again.get(.namespaces, namespace: nil, name: "default").name == "default")
            try await again.shutdown()
        }
    }

    @Test func logsNeverCarryTheTokenOrSecretData() async throws {
        let lines = LogCapture()
        let logger = Logger(label: "test") { _ in lines.handler() }
        try await withHarness { h, _ in
            var opts = Harness.fastOptions()
            opts.tokenRefreshInterval = .seconds(3600)
            let tokenPath = try h.dir.write("token", "stale-secret-token")
            var cfg = h.config
            cfg.credentials = .bearerTokenFile(tokenPath)
            var l = logger
            l.logLevel = .trace
            let client = try KubeClient(config: cfg, options: opts, logger: l)
            _ = try? await client.list(.namespaces, namespace: nil)
            try h.dir.write("token", h.server.token)
            let secret: JSONValue = [
                "apiVersion": "v1", "kind": "Secret", "metadata": ["name": "s", "namespace": "default"],
                "stringData": ["password": "hunter2-very-secret"],
            ]
            _ = try await client.create(.secrets, namespace: "default", secret)
            h.server.faults.failNext(2, status: 500, verb: "get", resource: "secrets")
            _ = try await client.get(.secrets, namespace: "default", name: "s")
            try await client.shutdown()
            let all = lines.text
            #expect(all.contains("retrying"))  // the capture works: retries were logged
            #expect(!all.contains(h.server.token))
            #expect(!all.contains("stale-secret-token"))
            #expect(!all.contains("hunter2"))
            #expect(!all.contains(Data("hunter2-very-secret".utf8).base64EncodedString()))
        }
    }
}

/// Collects every log line (message and metadata) as text.
final class LogCapture: Sendable {
    private let lines = Mutex<[String]>([])
    var text: String { lines.withLock { $0.joined(separator: "\n") } }
    func append(_ s: String) { lines.withLock { $0.append(s) } }
    func handler() -> Handler { Handler(capture: self) }

    struct Handler: LogHandler {
        let capture: LogCapture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            capture.append("\(event.level) \(event.message) \(metadata.merging(event.metadata ?? [:]) { $1 }) \(event.error.map { "\($0)" } ?? "")")
        }
    }
}
