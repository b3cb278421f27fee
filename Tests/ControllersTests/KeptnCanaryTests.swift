import Controllers
import Foundation
import KubeCore
import SerinAPI
import Synchronization
import Testing
import SerinTestSupport

/// Flagger's `type: keptn` MetricTemplates through the Canary controller: a KeptnMetric's
/// `status.value`, and a Keptn Analysis that Serin creates, a stand-in for Keptn's operator
/// completes, and Serin deletes.
@Suite("Canary controller: Keptn MetricTemplates", .serialized, .timeLimit(.minutes(3)))
struct KeptnCanaryTests {
    @Test("a KeptnMetric value and a passed Analysis promote; a high value rolls back")
    func promotesAndRollsBack() async throws {
        try await CanaryEnvironment.with { env in
            let ns = env.namespace
            _ = try await env.client.create(.customResourceDefinitions, namespace: nil, KubeMetricCRDs.crd(KubeMetricCRDs.keptnMetrics, singular: "keptnmetric"))
            _ = try await env.client.create(.customResourceDefinitions, namespace: nil, KubeMetricCRDs.crd(KubeMetricCRDs.keptnAnalyses, singular: "analysis"))
            let served = await eventually(timeout: .seconds(5)) {
                let analyses = (try? await env.client.list(KubeMetricCRDs.keptnAnalyses, namespace: ns)) != nil
                let metrics = (try? await env.client.list(KubeMetricCRDs.keptnMetrics, namespace: ns)) != nil
                return analyses && metrics
            }
            try #require(served)
            _ = try await env.client.create(KubeMetricCRDs.keptnMetrics, namespace: ns, [
                "apiVersion": "metrics.keptn.sh/v1beta1", "kind": "KeptnMetric", "metadata": ["name": "response-time"],
                "spec": ["provider": ["name": "my-prometheus"], "query": "histogram_quantile(0.95, …)", "fetchIntervalSeconds": 10],
                "status": ["value": "98.5", "rawValue": "OTguNQ==", "lastUpdated": "2026-12-02T06:00:00Z"],
            ])
            // Keptn's part: every Analysis gets evaluated (passed) and completed.
            let evaluated = Mutex<[String: JSONValue]>([:])
            let keptn = Task {
                while !Task.isCancelled {
                    for a in (try? await env.client.list(KubeMetricCRDs.keptnAnalyses, namespace: ns))?.items ?? []
                    where a["status"]["state"].stringValue == nil {
                        var done = a
                        done["status"] = ["state": "Completed", "pass": true, "raw": "{}"]
                        if (try? await env.client.update(KubeMetricCRDs.keptnAnalyses, namespace: ns, done)) != nil {
                            evaluated.withLock { $0[a.name ?? ""] = a["spec"] }
                        }
                    }
                    try? await Task.sleep(for: .milliseconds(100))
                }
            }
            defer { keptn.cancel() }
            for (name, query) in [("keptn-latency", "keptnmetric/{{ namespace }}/response-time/2m/reporter=destination"),
                                  ("keptn-budget", "analysis/{{ namespace }}/error-budget/5m/service={{ target }}")] {
                _ = try await env.client.create(.metricTemplates, namespace: ns, [
                    "apiVersion": "serin.dev/v1alpha1", "kind": "MetricTemplate", "metadata": ["name": .string(name), "namespace": .string(ns)],
                    "spec": ["provider": ["type": "keptn"], "query": .string(query)],
                ])
            }
            try await env.createDeployment("web", image: "web:1")
            await env.startOperator(provider: "istio")
            try await env.createCanary("web", metrics: [
                ["name": "latency", "interval": "1m", "templateRef": ["name": "keptn-latency"], "thresholdRange": ["max": 200]],
                ["name": "budget", "interval": "1m", "templateRef": ["name": "keptn-budget"], "thresholdRange": ["min": 1]],
            ], maxWeight: 10)
            #expect(await env.waitPhase("web", "Initialized"))
            try await env.setImage("web", "web:2")
            #expect(await env.waitPhase("web", "Succeeded", timeout: .seconds(90)))
            let results = await env.status("web")["metricResults"].arrayValue ?? []
            let latency = results.first { $0["name"] == "latency" }?["value"].doubleValue
            let budget = results.first { $0["name"] == "budget" }?["value"].doubleValue
            #expect(latency == 98.5)
            #expect(budget == 1)
            let firstSpec = evaluated.withLock { $0.values.first }
            let spec = try #require(firstSpec)
            #expect(spec == ["analysisDefinition": ["name": "error-budget"], "timeframe": ["recent": "5m"], "args": ["service": "web"]])
            // Serin's Analyses are deleted once read.
            let cleaned = await eventually(timeout: .seconds(5)) {
                ((try? await env.client.list(KubeMetricCRDs.keptnAnalyses, namespace: ns))?.items.isEmpty) == true
            }
            #expect(cleaned)

            var metric = try await env.client.get(KubeMetricCRDs.keptnMetrics, namespace: ns, name: "response-time")
            metric["status"]["value"] = "512.25"
            _ = try await env.client.update(KubeMetricCRDs.keptnMetrics, namespace: ns, metric)
            try await env.setImage("web", "web:3")
            #expect(await env.waitPhase("web", "Failed", timeout: .seconds(90)))
            let failed = await env.status("web")["metricResults"].arrayValue ?? []
            let high = failed.first { $0["name"] == "latency" }?["value"].doubleValue
            #expect(high == 512.25)
        }
    }
}
