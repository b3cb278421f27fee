import Foundation
import KubeClient
import KubeCore
import Metrics
import Synchronization
import Testing
import SerinTestSupport

@Suite("KubeClient retries, rate limit and metrics over HTTPS")
struct ClientRetryTests {
    @Test func tooManyRequestsHonoursRetryAfter() async throws {
        try await withHarness { h, client in
            h.server.faults.resetCounts()
            h.server.faults.failNext(1, status: 429, verb: "get", resource: "namespaces", retryAfterSeconds: 1)
            let start = ContinuousClock.now
            let ns = try await client.get(.namespaces, namespace: nil, name: "default")
            #expect(ns.name == "default")
            #expect(ContinuousClock.now - start >= .milliseconds(950))
            #expect(h.server.faults.requestCount(verb: "get", resource: "namespaces") == 2)
        }
    }

    @Test func tooManyRequestsIsRetriedEvenForCreate() async throws {
        try await withHarness { h, client in
            h.server.faults.resetCounts()
            h.server.faults.failNext(2, status: 429, verb: "create", resource: "configmaps", retryAfterSeconds: 0)
            let cm = try await client.create(.configMaps, namespace: "default", configMap("after-429", namespace: "default"))
            #expect(cm.name == "after-429")
            #expect(h.server.faults.requestCount(verb: "create", resource: "configmaps") == 3)
        }
    }

    @Test func serverErrorsAreRetriedForIdempotentVerbsOnly() async throws {
        try await withHarness { h, client in
            h.server.faults.resetCounts()
            h.server.faults.failNext(2, status: 500, verb: "list", resource: "configmaps")
            _ = try await client.list(.configMaps, namespace: "default")
            #expect(h.server.faults.requestCount(verb: "list", resource: "configmaps") == 3)

            // POST is not repeated after a 500: it may have been applied.
            h.server.faults.failNext(1, status: 500, verb: "create", resource: "configmaps")
            let e = await caught(KubeAPIError.self) {
                try await client.create(.configMaps, namespace: "default", configMap("once", namespace: "default"))
            }
            #expect(e != nil, "expected KubeAPIError to be thrown")
            guard case .serverError(let s)? = e else { Issue.record("expected 500, got \(String(describing: e))"); return }
            #expect(s.code == 500)
            #expect(h.server.faults.requestCount(verb: "create", resource: "configmaps") == 1)

            // A PUT carrying resourceVersion is retried; merge patch too; JSON patch is not.
            let cm = try await client.create(.configMaps, namespace: "default", configMap("put", namespace: "default"))
            h.server.faults.resetCounts()
            h.server.faults.failNext(1, status: 503, verb: "update", resource: "configmaps")
            _ = try await client.update(.configMaps, namespace: "default", cm)
            #expect(h.server.faults.requestCount(verb: "update") == 2)
            h.server.faults.failNext(1, status: 502, verb: "patch", resource: "configmaps")
            _ = try await client.patch(.configMaps, namespace: "default", name: "put", type: .merge, ["data": ["x": "1"]])
            #expect(h.server.faults.requestCount(verb: "patch") == 2)
            h.server.faults.failNext(1, status: 502, verb: "patch", resource: "configmaps")
            let thrown2 = await caught(KubeAPIError.self) {
                try await client.patch(
                    .configMaps, namespace: "default", name: "put", type: .json, [["op": "add", "path": "/data/y", "value": "2"]])
            }
            #expect(thrown2 != nil, "expected KubeAPIError to be thrown")
            #expect(h.server.faults.requestCount(verb: "patch") == 3)
        }
    }

    @Test func attemptsAreBounded() async throws {
        var opts = Harness.fastOptions()
        opts.retry = RetryPolicy(maxAttempts: 3, baseDelay: .milliseconds(5), maxDelay: .milliseconds(10), maxTotal: .seconds(10))
        try await withHarness(options: opts) { h, client in
            h.server.faults.resetCounts()
            h.server.faults.failNext(10, status: 500, verb: "get", resource: "namespaces")
            let e = await caught(KubeAPIError.self) { _ = try await client.get(.namespaces, namespace: nil, name: "default") }
            #expect(e != nil, "expected KubeAPIError to be thrown")
            #expect(e?.code == 500)
            #expect(h.server.faults.requestCount(verb: "get", resource: "namespaces") == 3)
            h.server.faults.clear()

            // A Retry-After beyond the total budget is not waited for.
            var tight = Harness.fastOptions()
            tight.retry = RetryPolicy(maxAttempts: 5, baseDelay: .milliseconds(5), maxDelay: .milliseconds(10), maxTotal: .seconds(1))
            let c2 = try h.client(tight)
            h.server.faults.resetCounts()
            h.server.faults.failNext(1, status: 429, verb: "get", resource: "namespaces", retryAfterSeconds: 30)
            let start = ContinuousClock.now
            let e2 = await caught(KubeAPIError.self) { _ = try await c2.get(.namespaces, namespace: nil, name: "default") }
            #expect(e2 != nil, "expected KubeAPIError to be thrown")
            guard case .tooManyRequests(_, let after)? = e2 else { Issue.record("expected 429, got \(String(describing: e2))"); return }
            #expect(after == 30)
            #expect(ContinuousClock.now - start < .seconds(5))
            try await c2.shutdown()
        }
    }

    @Test func rateLimitPacesRequests() async throws {
        var opts = Harness.fastOptions()
        opts.qps = 10
        opts.burst = 1
        try await withHarness(options: opts) { _, client in
            let start = ContinuousClock.now
            for _ in 0..<11 { _ = try await client.get(.namespaces, namespace: nil, name: "default") }
            let elapsed = ContinuousClock.now - start
            #expect(elapsed >= .milliseconds(900))
            #expect(elapsed < .seconds(5))
            // Watches are not rate limited.
            let list = try await client.list(.configMaps, namespace: "default")
            let t0 = ContinuousClock.now
            for _ in 0..<3 {
                let s = try await client.watch(.configMaps, namespace: "default", options: WatchOptions(resourceVersion: list.resourceVersion))
                _ = s
            }
            #expect(ContinuousClock.now - t0 < .milliseconds(250))
        }
    }

    @Test func requestMetricsByVerbAndCode() async throws {
        let metrics = RecordingMetrics()
        var opts = Harness.fastOptions()
        opts.metricsFactory = metrics
        try await withHarness(options: opts) { h, client in
            _ = try await client.get(.namespaces, namespace: nil, name: "default")
            _ = try await client.get(.namespaces, namespace: nil, name: "default")
            _ = try? await client.get(.namespaces, namespace: nil, name: "missing")
            _ = try await client.list(.namespaces, namespace: nil)
            h.server.faults.failNext(1, status: 500, verb: "list", resource: "namespaces")
            _ = try await client.list(.namespaces, namespace: nil)
            #expect(metrics.counter("serin_api_requests_total", ["verb": "get", "code": "200"]) == 2)
            #expect(metrics.counter("serin_api_requests_total", ["verb": "get", "code": "404"]) == 1)
            #expect(metrics.counter("serin_api_requests_total", ["verb": "list", "code": "200"]) == 2)
            #expect(metrics.counter("serin_api_requests_total", ["verb": "list", "code": "500"]) == 1)
            #expect(metrics.timings("serin_api_request_duration_seconds", ["verb": "get"]) == 3)
        }
    }
}

/// A metrics backend that remembers counter values and timer samples, for assertions.
final class RecordingMetrics: MetricsFactory, Sendable {
    private let counters = Mutex<[String: Int64]>([:])
    private let timers = Mutex<[String: Int]>([:])

    static func key(_ label: String, _ dims: [(String, String)]) -> String {
        label + "{" + dims.sorted { $0.0 < $1.0 }.map { "\($0.0)=\($0.1)" }.joined(separator: ",") + "}"
    }

    func counter(_ label: String, _ dims: [String: String]) -> Int64 {
        counters.withLock { $0[Self.key(label, dims.map { ($0.key, $0.value) })] ?? 0 }
    }

    func timings(_ label: String, _ dims: [String: String]) -> Int {
        timers.withLock { $0[Self.key(label, dims.map { ($0.key, $0.value) })] ?? 0 }
    }

    final class C: CounterHandler, Sendable {
        let key: String
        let owner: RecordingMetrics
        init(_ key: String, _ owner: RecordingMetrics) { self.key = key; self.owner = owner }
        func increment(by amount: Int64) { owner.counters.withLock { $0[key, default: 0] += amount } }
        func reset() { owner.counters.withLock { $0[key] = 0 } }
    }

    final class T: TimerHandler, Sendable {
        let key: String
        let owner: RecordingMetrics
        init(_ key: String, _ owner: RecordingMetrics) { self.key = key; self.owner = owner }
        func recordNanoseconds(_ duration: Int64) { owner.timers.withLock { $0[key, default: 0] += 1 } }
    }

    final class Nop: RecorderHandler, FloatingPointCounterHandler, MeterHandler, Sendable {
        func record(_ value: Int64) {}
        func record(_ value: Double) {}
        func increment(by: Double) {}
        func reset() {}
        func set(_ value: Int64) {}
        func set(_ value: Double) {}
        func increment(by: Int64) {}
        func decrement(by: Double) {}
    }

    func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler { C(Self.key(label, dimensions), self) }
    func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler { T(Self.key(label, dimensions), self) }
    func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler { Nop() }
    func makeFloatingPointCounter(label: String, dimensions: [(String, String)]) -> any FloatingPointCounterHandler { Nop() }
    func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler { Nop() }
    func destroyCounter(_ handler: any CounterHandler) {}
    func destroyRecorder(_ handler: any RecorderHandler) {}
    func destroyTimer(_ handler: any TimerHandler) {}
    func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) {}
    func destroyMeter(_ handler: any MeterHandler) {}
}
