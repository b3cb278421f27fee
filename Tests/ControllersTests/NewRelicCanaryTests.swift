import Controllers
import Foundation
import KubeCore
import SerinAPI
import Synchronization
import Testing

/// Flagger's `type: newrelic` MetricTemplate through the Canary controller: a scripted
/// Insights query API on loopback, the account and query key from the template's Secret.
@Suite("Canary controller: New Relic MetricTemplate", .serialized, .timeLimit(.minutes(2)))
struct NewRelicCanaryTests {
    @Test("a low error percentage promotes with the NRQL as sent in status; a high one rolls back")
    func promotesAndRollsBack() async throws {
        let server = try await ScriptedHTTPServer.start()
        let value = Mutex<Double>(0.4)
        server.script { req in
            guard req.method == "GET", req.path == "/v1/accounts/2750/query" else { return (404, #"{"error":"not found"}"#) }
            return (200, #"{"results":[{"result":\#(value.withLock { $0 })}]}"#)
        }
        defer { Task { await server.stop() } }
        try await CanaryEnvironment.with { env in
            let ns = env.namespace
            _ = try await env.client.create(.secrets, namespace: ns, [
                "apiVersion": "v1", "kind": "Secret", "metadata": ["name": "newrelic"],
                "stringData": ["newrelic_account_id": "2750", "newrelic_query_key": "NRIQ-7b7b"],
            ])
            _ = try await env.client.create(.metricTemplates, namespace: ns, [
                "apiVersion": "serin.dev/v1alpha1", "kind": "MetricTemplate",
                "metadata": ["name": "newrelic-error-rate", "namespace": .string(ns)],
                "spec": ["provider": ["type": "newrelic", "address": .string(server.baseURL), "secretRef": ["name": "newrelic"]],
                         "query": "SELECT filter(sum(nginx_ingress_controller_requests), WHERE status >= '500') / sum(nginx_ingress_controller_requests) * 100 AS result FROM Metric WHERE metricName = 'nginx_ingress_controller_requests' AND ingress = '{{ ingress }}' AND namespace = '{{ namespace }}'"],
            ])
            try await env.createDeployment("shop", image: "shop:1")
            await env.startOperator(provider: "istio")
            try await env.createCanary("shop", metrics: [["name": "errors", "interval": "1m", "templateRef": ["name": "newrelic-error-rate"],
                                                          "thresholdRange": ["max": 1]]], maxWeight: 20)
            #expect(await env.waitPhase("shop", "Initialized"))
            try await env.setImage("shop", "shop:2")
            #expect(await env.waitPhase("shop", "Succeeded"))
            let result = try #require(await env.status("shop")["metricResults"].arrayValue?.first)
            #expect(result["value"].doubleValue == 0.4)
            #expect(result["query"].stringValue?.hasSuffix("AND ingress = 'shop' AND namespace = '\(ns)'") == true)
            value.withLock { $0 = 12 }
            try await env.setImage("shop", "shop:3")
            #expect(await env.waitPhase("shop", "Failed"))
            #expect(!(await env.status("shop").serialized().contains("NRIQ-7b7b")))
        }
    }
}
