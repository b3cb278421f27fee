import Foundation
import Metrics
import Prometheus
import Synchronization
import Testing
@testable import SerinOperator

@Suite struct OpsServerTests {
    /// Fetches a URL with curl so the test exercises a real HTTP client.
    static func curl(_ url: String) throws -> (code: Int, body: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        p.arguments = ["-s", "-m", "5", "-w", "\n%{http_code}", url]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        p.waitUntilExit()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let parts = text.split(separator: "\n", omittingEmptySubsequences: false)
        return (Int(parts.last ?? "") ?? 0, parts.dropLast().joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines))
    }

    @Test func healthReadinessAndMetrics() async throws {
        let registry = PrometheusCollectorRegistry()
        Counter(
            label: "serin_reconcile_total", dimensions: [("controller", "canary"), ("result", "success")],
            factory: PrometheusMetricsFactory(registry: registry)
        ).increment(by: 3)
        let ready = Mutex(false)
        let server = try await OpsServer.start(
            host: "127.0.0.1", port: 0, registry: registry,
            live: { (true, "") }, ready: { ready.withLock { ($0, $0 ? "" : "caches not synced") } })
        let base = "http://127.0.0.1:\(server.port)"
        let health = try Self.curl(base + "/healthz")
        #expect(health.code == 200 && health.body == "ok")
        let notReady = try Self.curl(base + "/readyz")
        #expect(notReady.code == 503)
        #expect(notReady.body.contains("caches not synced"))
        ready.withLock { $0 = true }
        let nowReady = try Self.curl(base + "/readyz")
        #expect(nowReady.code == 200)
        let metrics = try Self.curl(base + "/metrics")
        #expect(metrics.code == 200)
        #expect(metrics.body.contains(#"serin_reconcile_total{controller="canary",result="success"} 3"#))
        let missing = try Self.curl(base + "/nope")
        #expect(missing.code == 404)
        await server.stop()
    }
}
