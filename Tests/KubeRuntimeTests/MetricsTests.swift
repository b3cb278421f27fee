import CoreMetrics
import Foundation
import KubeCore
import Synchronization
import Testing
import SerinTestSupport

@testable import KubeRuntime

/// A metrics backend that keeps the last value of every series, keyed `label{k=v,…}`.
final class RecordingMetrics: MetricsFactory {
    let values = Box<[String: Double]>([:])
    let counts = Box<[String: Int]>([:])

    static func key(_ label: String, _ dims: [(String, String)]) -> String {
        "\(label){\(dims.sorted { $0.0 < $1.0 }.map { "\($0.0)=\($0.1)" }.joined(separator: ","))}"
    }

    final class Handler: CounterHandler, RecorderHandler, TimerHandler, FloatingPointCounterHandler, MeterHandler {
        let key: String
        let owner: RecordingMetrics
        init(_ key: String, _ owner: RecordingMetrics) {
            self.key = key
            self.owner = owner
        }
        func store(_ v: Double, add: Bool) {
            owner.values.update { $0[key] = add ? ($0[key] ?? 0) + v : v }
            owner.counts.update { $0[key, default: 0] += 1 }
        }
        func increment(by: Int64) { store(Double(by), add: true) }
        func increment(by: Double) { store(by, add: true) }
        func decrement(by: Double) { store(-by, add: true) }
        func reset() { store(0, add: false) }
        func record(_ value: Int64) { store(Double(value), add: false) }
        func record(_ value: Double) { store(value, add: false) }
        func set(_ value: Int64) { store(Double(value), add: false) }
        func set(_ value: Double) { store(value, add: false) }
        func recordNanoseconds(_ duration: Int64) { store(Double(duration) / 1e9, add: false) }
    }

    func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler { Handler(Self.key(label, dimensions), self) }
    func makeFloatingPointCounter(label: String, dimensions: [(String, String)]) -> any FloatingPointCounterHandler {
        Handler(Self.key(label, dimensions), self)
    }
    func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler { Handler(Self.key(label, dimensions), self) }
    func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        Handler(Self.key(label, dimensions), self)
    }
    func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler { Handler(Self.key(label, dimensions), self) }
    func destroyCounter(_ handler: any CounterHandler) {}
    func destroyMeter(_ handler: any MeterHandler) {}
    func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) {}
    func destroyRecorder(_ handler: any RecorderHandler) {}
    func destroyTimer(_ handler: any TimerHandler) {}
}

@Suite("Controller metrics", .timeLimit(.minutes(1)))
struct MetricsTests {
    @Test func reconcileCountsDurationsAndQueueDepth() async throws {
        try await HTTPEnvironment.with { env in
            let metrics = RecordingMetrics()
            let a = ObjectKey(namespace: "default", name: "a")
            let reconciler = RecordingReconciler(script: [a: [.error(TestFailure()), .requeue(after: .milliseconds(10)), .done]])
            let informer = Informer(api: env.client, resource: .configMaps, options: InformerOptions(labelSelector: "t=metrics"))
            let controller = Controller(
                name: "canary", primary: informer, reconciler: reconciler,
                backoff: Backoff(initial: .milliseconds(5), maximum: .seconds(1)), metricsFactory: metrics)
            await informer.start()
            let run = Task { await controller.run() }
            _ = try await env.client.create(.configMaps, namespace: "default", configMap("a", labels: ["t": "metrics"]))
            let condition1 = await eventually { reconciler.probe.calls(a) == 3 }
            #expect(condition1)
            try await Task.sleep(for: .milliseconds(50))
            let v = metrics.values.value
            let condition2 = v["serin_reconcile_total{controller=canary,result=error}"] == 1
            #expect(condition2)
            let condition3 = v["serin_reconcile_total{controller=canary,result=requeue}"] == 1
            #expect(condition3)
            let condition4 = v["serin_reconcile_total{controller=canary,result=success}"] == 1
            #expect(condition4)
            let condition5 = metrics.counts.value["serin_reconcile_duration_seconds{controller=canary}"] == 3
            #expect(condition5)
            let condition6 = (v["serin_reconcile_duration_seconds{controller=canary}"] ?? -1) >= 0
            #expect(condition6)
            let condition7 = v["serin_workqueue_depth{controller=canary}"] == 0
            #expect(condition7)
            let condition8 = (metrics.counts.value["serin_workqueue_depth{controller=canary}"] ?? 0) > 1
            #expect(condition8)
            run.cancel()
            await informer.stop()
            await run.value
        }
    }
}
