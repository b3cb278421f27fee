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
            _ = try await env.client.create(.canaries, namespace: ns, [
                "apiVersion": "serin.dev/v1alpha1", "kind": "Canary",
                "metadata": ["name": "pay", "namespace": .string(ns)],
                "spec": [
                    "targetRef": ["apiVersion": "apps/v1", "kind": "Deployment", "name": "pay"],
                    "service": ["port": 80],
                    "analysis": ["interval": "1m", "threshold": 1, "maxWeight": 10, "stepWeight": 10,
                                 "metrics": [["name": "http-errors", "interval": "2m", "templateRef": ["name": "errors"],
                                              "thresholdRange": ["max": 1]]]],
                ],
            ])
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
}
