import Controllers
import Foundation
import KubeCore
import SerinAPI
import Testing
import SerinTestSupport

/// Flagger's `type: externalmetrics` MetricTemplate through the Canary controller, read through
/// the operator's own API connection: the test API server serves
/// `external.metrics.k8s.io/v1beta1/namespaces/NS/jobsuccessrate` as a metrics adapter would.
@Suite("Canary controller: external metrics MetricTemplate", .serialized, .timeLimit(.minutes(2)))
struct ExternalMetricsCanaryTests {
    @Test("the selected item's quantity promotes when high enough and rolls back when low")
    func promotesAndRollsBack() async throws {
        try await CanaryEnvironment.with { env in
            let ns = env.namespace
            let metric = KubeMetricCRDs.externalMetric("jobsuccessrate")
            _ = try await env.client.create(.customResourceDefinitions, namespace: nil, KubeMetricCRDs.crd(metric, singular: "jobsuccessratevalue"))
            let served = await eventually(timeout: .seconds(5)) { (try? await env.client.list(metric, namespace: ns)) != nil }
            try #require(served)
            for (name, env_, value) in [("production", "production", "987m"), ("staging", "staging", "100m")] {
                _ = try await env.client.create(metric, namespace: ns, [
                    "apiVersion": "external.metrics.k8s.io/v1beta1", "kind": "ExternalMetricValue",
                    "metadata": ["name": .string(name), "labels": ["env": .string(env_)]],
                    "metricName": "jobsuccessrate", "metricLabels": ["env": .string(env_)],
                    "timestamp": "2026-12-02T06:00:00Z", "value": .string(value),
                ])
            }
            _ = try await env.client.create(.metricTemplates, namespace: ns, [
                "apiVersion": "serin.dev/v1alpha1", "kind": "MetricTemplate", "metadata": ["name": "job-success-rate", "namespace": .string(ns)],
                "spec": ["provider": ["type": "externalmetrics"], "query": "{{ namespace }}/jobsuccessrate?labelSelector=env%3Dproduction"],
            ])
            try await env.createDeployment("jobs", image: "jobs:1")
            await env.startOperator(provider: "istio")
            try await env.createCanary("jobs", metrics: [["name": "success", "interval": "1m", "templateRef": ["name": "job-success-rate"],
                                                          "thresholdRange": ["min": 0.9]]], maxWeight: 10)
            #expect(await env.waitPhase("jobs", "Initialized"))
            try await env.setImage("jobs", "jobs:2")
            #expect(await env.waitPhase("jobs", "Succeeded"))
            let result = try #require(await env.status("jobs")["metricResults"].arrayValue?.first)
            #expect(result["value"].doubleValue == 0.987)
            #expect(result["query"] == .string("\(ns)/jobsuccessrate?labelSelector=env%3Dproduction"))

            var production = try await env.client.get(metric, namespace: ns, name: "production")
            production["value"] = "412m"
            _ = try await env.client.update(metric, namespace: ns, production)
            try await env.setImage("jobs", "jobs:3")
            #expect(await env.waitPhase("jobs", "Failed"))
            #expect(await env.status("jobs")["metricResults"][0]["value"].doubleValue == 0.412)
        }
    }
}
