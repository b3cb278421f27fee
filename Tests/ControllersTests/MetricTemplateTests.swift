import Controllers
import Foundation
import KubeCore
import SerinAPI
import Testing

/// A metric with templateRef: the query comes from a MetricTemplate and goes to the
/// Prometheus the template names, not the operator's --metrics-server.
@Suite("Canary controller: MetricTemplate", .serialized, .timeLimit(.minutes(2)))
struct MetricTemplateTests {
    @Test("templateRef queries the template's Prometheus with the rendered query")
    func templateAddress() async throws {
        try await CanaryEnvironment.with { env in
            let ns = env.namespace
            let other = try await FakePrometheus.start()
            defer { Task { await other.stop() } }
            other.set { $0.errorRate = 0.25 }
            env.prometheus.set { $0.errorRate = 50 }  // would fail the check if asked
            _ = try await env.client.create(.metricTemplates, namespace: ns, [
                "apiVersion": "serin.dev/v1alpha1", "kind": "MetricTemplate",
                "metadata": ["name": "errors", "namespace": .string(ns)],
                "spec": [
                    "provider": ["type": "prometheus", "address": .string(other.address)],
                    "query": #"100 * sum(rate(http_requests_total{app="{{ target }}",code=~"5.."}[{{ interval }}])) / sum(rate(http_requests_total{app="{{ target }}"}[{{ interval }}]))"#,
                ],
            ])
            try await env.createDeployment("pay", image: "pay:1")
            await env.startOperator(provider: "istio")
            try await env.createCanary("pay", metrics: [["name": "http-errors", "interval": "2m", "templateRef": ["name": "errors"],
                                                         "thresholdRange": ["max": 1]]])
            #expect(await env.waitPhase("pay", "Initialized"))
            try await env.setImage("pay", "pay:2")
            #expect(await env.waitPhase("pay", "Succeeded"))
            let result = try #require(await env.status("pay")["metricResults"].arrayValue?.first)
            #expect(result["name"] == "http-errors")
            #expect(result["value"].doubleValue == 0.25)
            #expect(result["verdict"] == "Pass")
            let query = result["query"].stringValue ?? ""
            #expect(query.contains(#"app="pay""#))
            #expect(query.contains("[2m]"))
            #expect(other.queries.contains(query))
            #expect(env.prometheus.queries.isEmpty)
        }
    }
    @Test("Flagger's spec.metricsServer: builtin metrics go to the Canary's Prometheus, not --metrics-server")
    func canaryMetricsServer() async throws {
        try await CanaryEnvironment.with { env in
            let own = try await FakePrometheus.start()
            defer { Task { await own.stop() } }
            own.set { $0.successRate = 99.5 }
            env.prometheus.set { $0.successRate = 10 }  // would fail the check if asked
            try await env.createDeployment("shop", image: "shop:1")
            await env.startOperator(provider: "istio")
            try await env.createCanary("shop", metrics: [["name": "request-success-rate", "interval": "1m", "thresholdRange": ["min": 99]]],
                                       spec: ["metricsServer": .string(own.address)])
            #expect(await env.waitPhase("shop", "Initialized"))
            try await env.setImage("shop", "shop:2")
            #expect(await env.waitPhase("shop", "Succeeded"))
            let result = try #require(await env.status("shop")["metricResults"].arrayValue?.first)
            #expect(result["value"].doubleValue == 99.5)
            #expect(!own.queries.isEmpty)
            #expect(env.prometheus.queries.isEmpty)
        }
    }

    @Test("a MetricTemplate of a provider type outside Flagger's list is refused by the API server, naming the field and the types")
    func unknownTemplateType() async throws {
        try await CanaryEnvironment.with { env in
            let ns = env.namespace
            let create = {
                _ = try await env.client.create(.metricTemplates, namespace: ns, [
                    "apiVersion": "serin.dev/v1alpha1", "kind": "MetricTemplate",
                    "metadata": ["name": "sz-errors", "namespace": .string(ns)],
                    "spec": ["provider": ["type": "signoz"], "query": "errors"],
                ])
            }
            var message = ""
            do { try await create() } catch { message = "\(error)" }
            #expect(message.contains("spec.provider.type: Unsupported value: \"signoz\""), "\(message)")
            #expect(message.contains("\"graphite\""), "\(message)")
        }
    }

    static func specValid(_ status: JSONValue) -> JSONValue? {
        (status["conditions"].arrayValue ?? []).first { $0["type"] == "SpecValid" }
    }
}
