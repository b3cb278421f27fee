import Foundation
import KubeCore
import SerinAPI
import Testing
@testable import Analysis

/// Manifests written for Flagger and Argo Rollouts decode with only the apiVersion changed.
@Suite struct ResourceShapeTests {
    @Test func flaggerMetricTemplate() throws {
        let json = #"""
        {"apiVersion":"serin.dev/v1alpha1","kind":"MetricTemplate","metadata":{"name":"not-found-percentage","namespace":"istio-system"},
         "spec":{"provider":{"type":"prometheus","address":"http://prometheus.istio-system:9090","secretRef":{"name":"prom-auth"},
                 "insecureSkipVerify":true,"headers":{"X-Scope-OrgID":"team-a"}},
                 "query":"100 - sum(rate(istio_requests_total{destination_workload=\"{{ target }}\",response_code!=\"404\"}[{{ interval }}]))"}}
        """#
        let t = try JSONValue(parsing: json).decode(as: MetricTemplate.self)
        #expect(t.spec.provider.secretRef?.name == "prom-auth" && t.spec.provider.insecureSkipVerify == true)
        #expect(t.metadata["name"].stringValue == "not-found-percentage")
        let q = try CanaryMetricEvaluator.query(
            for: CanaryMetric(name: "404s", templateRef: TemplateRef(name: "not-found-percentage", namespace: "istio-system")),
            context: CanaryMetricContext(name: "podinfo", namespace: "test", target: "podinfo"), template: t)
        #expect(q.contains(#"destination_workload="podinfo""#) && q.contains("[1m]"))
    }

    @Test func argoAnalysisRunStatusRoundTrips() throws {
        let json = #"""
        {"apiVersion":"serin.dev/v1alpha1","kind":"AnalysisRun","metadata":{"name":"r","namespace":"ns"},
         "spec":{"args":[{"name":"svc","value":"a"},{"name":"tok","valueFrom":{"secretKeyRef":{"name":"s","key":"k"}}}],
                 "metrics":[{"name":"m","interval":"1m","count":"{{args.n}}","failureLimit":2,"consecutiveErrorLimit":"3",
                   "successCondition":"result[0] > 1","provider":{"prometheus":{"address":"http://p","query":"up","timeout":5,
                   "headers":[{"key":"X","value":"y"}],"authentication":{"sigv4":{"region":"eu"}}}}}],
                 "dryRun":[{"metricName":"m"}],"measurementRetention":[{"metricName":".*","limit":3}],"terminate":false},
         "status":{"phase":"Running","startedAt":"2026-01-01T00:00:00Z",
                   "metricResults":[{"name":"m","phase":"Running","count":1,"successful":1,"consecutiveError":0,
                     "measurements":[{"phase":"Successful","value":"[2]","startedAt":"2026-01-01T00:00:00Z","finishedAt":"2026-01-01T00:00:01Z"}]}],
                   "runSummary":{"count":1,"successful":0,"failed":0,"inconclusive":0,"error":0}}}
        """#
        let original = try JSONValue(parsing: json)
        let run = try original.decode(as: AnalysisRun.self)
        #expect(run.spec.metrics[0].count == .string("{{args.n}}"))
        #expect(run.spec.metrics[0].failureLimit?.intValue == 2 && run.spec.metrics[0].consecutiveErrorLimit?.intValue == 3)
        #expect(run.status?.metricResults?[0].measurements?[0].value == "[2]")
        #expect(try JSONValue(encoding: run) == original, "no field lost or renamed")
        #expect(AnalysisRunEvaluator.retention("m", run.spec) == 3)
        #expect(AnalysisRunEvaluator.isDryRun("m", run.spec))
    }

    @Test func unsupportedAuthenticationIsAClearError() async throws {
        let client = PrometheusClient()
        var measurer = AnalysisMeasurer(client: client)
        measurer.environment = [:]
        let role = AnalysisMetric(name: "m", provider: AnalysisMetricProvider(prometheus: PrometheusProviderSpec(
            address: "http://127.0.0.1:1", query: "up",
            authentication: PrometheusAuthentication(sigv4: ["region": "eu-west-1", "roleArn": "arn:aws:iam::1:role/amp"]))))
        let r = await measurer.measure(role)
        #expect(r.phase == .error && r.message?.contains("authentication.sigv4.roleArn is not supported by Serin yet") == true)
        #expect(r.startedAt != nil && r.finishedAt != nil)
        let keyless = AnalysisMetric(name: "m", provider: AnalysisMetricProvider(prometheus: PrometheusProviderSpec(
            address: "http://127.0.0.1:1", query: "up", authentication: PrometheusAuthentication(sigv4: ["region": "eu-west-1"]))))
        let k = await measurer.measure(keyless)
        #expect(k.phase == .error && k.message?.contains("no AWS credentials") == true, "\(k.message ?? "")")
        try await client.shutdown()
    }
}
