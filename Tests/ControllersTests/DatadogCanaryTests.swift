import Controllers
import Foundation
import KubeCore
import SerinAPI
import Synchronization
import Testing

/// Flagger's `type: datadog` MetricTemplate through the Canary controller: a scripted
/// Datadog v1 query API on loopback, the keys from the template's secretRef Secret.
@Suite("Canary controller: Datadog MetricTemplate", .serialized, .timeLimit(.minutes(3)))
struct DatadogCanaryTests {
    /// A fake Datadog: `/api/v1/query` answers a series whose first point is the value set
    /// (nil: no series), only with the right keys.
    final class FakeDatadog: Sendable {
        let server: ScriptedHTTPServer
        let value = Mutex<Double?>(0.2)
        init(server: ScriptedHTTPServer) { self.server = server }

        static func start() async throws -> FakeDatadog {
            let fake = FakeDatadog(server: try await ScriptedHTTPServer.start())
            fake.server.script { [fake] req in
                guard req.method == "GET", req.path == "/api/v1/query" else { return (404, #"{"errors":["Not found"]}"#) }
                guard let v = fake.value.withLock({ $0 }) else { return (200, #"{"status":"ok","series":[]}"#) }
                return (200, #"{"status":"ok","res_type":"time_series","series":[{"metric":"requests.error.rate","pointlist":[[1575317847000,\#(v)],[1575317907000,99]],"scope":"service:web"}]}"#)
            }
            return fake
        }
    }

    func setUp(_ env: CanaryEnvironment, _ dd: FakeDatadog, name: String, onNoData: String? = nil) async throws {
        let ns = env.namespace
        _ = try await env.client.create(.secrets, namespace: ns, [
            "apiVersion": "v1", "kind": "Secret", "metadata": ["name": "datadog"],
            "stringData": ["datadog_api_key": "dd-api-51c0", "datadog_application_key": "dd-app-e29d"],
        ])
        _ = try await env.client.create(.metricTemplates, namespace: ns, [
            "apiVersion": "serin.dev/v1alpha1", "kind": "MetricTemplate",
            "metadata": ["name": "error-rate", "namespace": .string(ns)],
            "spec": ["provider": ["type": "datadog", "address": .string(dd.server.baseURL), "secretRef": ["name": "datadog"]],
                     "query": "sum:requests.error.rate{service:{{ target }},env:{{ namespace }}}"],
        ])
        try await env.createDeployment(name, image: "\(name):1")
        await env.startOperator(provider: "istio")
        var metric: JSONValue = ["name": "errors", "interval": "1m", "templateRef": ["name": "error-rate"], "thresholdRange": ["max": 1]]
        if let onNoData { metric["onNoData"] = .string(onNoData) }
        try await env.createCanary(name, metrics: [metric], maxWeight: 20)
    }

    @Test("low error rate: promoted with the rendered query in status; high: rolled back")
    func promotesAndRollsBack() async throws {
        let dd = try await FakeDatadog.start()
        defer { Task { await dd.server.stop() } }
        try await CanaryEnvironment.with { env in
            try await setUp(env, dd, name: "web")
            #expect(await env.waitPhase("web", "Initialized"))
            try await env.setImage("web", "web:2")
            #expect(await env.waitPhase("web", "Succeeded"))
            let result = try #require(await env.status("web")["metricResults"].arrayValue?.first)
            #expect(result["value"].doubleValue == 0.2)
            #expect(result["verdict"] == "Pass")
            #expect(result["query"] == .string("sum:requests.error.rate{service:web,env:\(env.namespace)}"))
            dd.value.withLock { $0 = 7.5 }
            try await env.setImage("web", "web:3")
            #expect(await env.waitPhase("web", "Failed"))
            let failed = try #require(await env.status("web")["metricResults"].arrayValue?.first)
            #expect(failed["verdict"] == "Fail")
            #expect(failed["value"].doubleValue == 7.5)
            let text = await env.status("web").serialized()
            #expect(!text.contains("dd-api-51c0") && !text.contains("dd-app-e29d"))
        }
    }

    @Test("no series with onNoData Hold: the canary holds its weight, then advances once data comes")
    func holdsOnNoData() async throws {
        let dd = try await FakeDatadog.start()
        defer { Task { await dd.server.stop() } }
        try await CanaryEnvironment.with { env in
            try await setUp(env, dd, name: "api", onNoData: "Hold")
            #expect(await env.waitPhase("api", "Initialized"))
            dd.value.withLock { $0 = nil }
            try await env.setImage("api", "api:2")
            let held = await env.drive(timeout: .seconds(20)) {
                (await env.status("api")["metricResults"].arrayValue?.first?["verdict"]) == "Hold"
            }
            #expect(held)
            #expect(await env.phase("api") == "Progressing")
            let noData = await env.status("api")["metricResults"][0]["noData"] == true
            #expect(noData)
            dd.value.withLock { $0 = 0.1 }
            #expect(await env.waitPhase("api", "Succeeded"))
        }
    }
}
