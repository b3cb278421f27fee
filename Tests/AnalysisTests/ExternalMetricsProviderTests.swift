import Foundation
import KubeCore
import SerinTestApp
import Testing
@testable import Analysis

/// Flagger's `externalmetrics` queries against an address (a metrics adapter answering
/// `external.metrics.k8s.io/v1beta1` as kube-apiserver relays it), and the Keptn query form.
/// Reading through the operator's own API connection is tested through the Canary controller.
@Suite struct ExternalMetricsProviderTests {
    static let path = "/apis/external.metrics.k8s.io/v1beta1/namespaces/webapp-frontend/job-success-rate"
    static let list = #"""
        {"kind":"ExternalMetricValueList","apiVersion":"external.metrics.k8s.io/v1beta1","metadata":{},"items":[{"metricName":"job-success-rate","metricLabels":{"env":"production"},"timestamp":"2026-12-02T06:00:00Z","value":"987m"},{"metricName":"job-success-rate","metricLabels":{"env":"production","zone":"b"},"timestamp":"2026-12-02T06:00:00Z","value":"2"}]}
        """#
    static let query = "webapp-frontend/job-success-rate?labelSelector=env%3Dproduction"

    func run(_ response: SmallHTTPResponse, credentials: MetricCredentials = MetricCredentials(secretData: ["token": "eyJhbGciOi.adapter"]))
        async throws -> (Result<SingleValue, any Error>, [SmallHTTPRequest]) {
        let (o, r, _) = try await ProviderRun.query(ExternalMetricsProvider.init(clients:), routes: [Self.path: response],
                                                    query: Self.query, credentials: credentials)
        return (o, r)
    }

    @Test func theFirstItemsQuantityWithTheSecretsToken() async throws {
        let (outcome, requests) = try await run(ProviderRun.json(Self.list))
        guard case .success(.value(let v)) = outcome else { Issue.record("\(outcome)"); return }
        #expect(abs(v - 0.987) < 1e-12)
        let r = try #require(requests.first)
        #expect(r.method == "GET")
        #expect(r.query["labelSelector"] == "env=production")
        #expect(r.header("Authorization") == "Bearer eyJhbGciOi.adapter")
    }

    @Test func noItemsIsNoDataAndAStatusIsNamed() async throws {
        let (empty, _) = try await run(ProviderRun.json(#"{"kind":"ExternalMetricValueList","apiVersion":"external.metrics.k8s.io/v1beta1","metadata":{},"items":[]}"#))
        guard case .success(.noData) = empty else { Issue.record("\(empty)"); return }
        let status = #"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"unable to fetch metrics from external metrics API: no metric job-success-rate","reason":"NotFound","code":404}"#
        let (missing, _) = try await run(ProviderRun.json(status, status: 404))
        guard case .failure(let e) = missing else { Issue.record("\(missing)"); return }
        #expect("\(e)" == "the external metrics API answered HTTP 404: unable to fetch metrics from external metrics API: no metric job-success-rate")
    }

    @Test func queriesAndQuantities() throws {
        let q = try ExternalMetricsProvider.Query(Self.query)
        #expect(q == ExternalMetricsProvider.Query(namespace: "webapp-frontend", metric: "job-success-rate", labelSelector: "env=production"))
        #expect(try ExternalMetricsProvider.Query("queue-depth").namespace == "default")
        #expect(try ExternalMetricsProvider.Query("/queue-depth").namespace == "default")
        #expect(ExternalMetricsProvider.queryProblem("a/b/c")?.contains("too many slashes") == true)
        #expect(ExternalMetricsProvider.queryProblem("ns/") != nil)
        #expect(Quantity.value("250m") == 0.25)
        #expect(Quantity.value("1.5k") == 1500)
        #expect(Quantity.value("2Ki") == 2048)
        #expect(Quantity.value("1e3") == 1000)
        #expect(Quantity.value("12") == 12)
        #expect(Quantity.value("ten") == nil)
    }

    @Test func keptnQueries() throws {
        let metric = try KeptnProvider.Query("keptnmetric/My-Namespace/response-time/2m/reporter=destination\n")
        #expect(metric.kind == .keptnMetric)
        #expect(metric.namespace == "my-namespace")
        #expect(metric.name == "response-time")
        let analysis = try KeptnProvider.Query("analysis/shop/error-budget/5m/service=web;env=prod")
        #expect(analysis.kind == .analysis)
        #expect(analysis.duration == "5m")
        #expect(analysis.arguments == ["service": "web", "env": "prod"])
        #expect(try KeptnProvider.Query("analyses/shop/error-budget").duration == "1m")
        #expect(KeptnProvider.queryProblem("keptnmetric/shop")?.contains("is not <keptnmetric|analysis>") == true)
        #expect(KeptnProvider.queryProblem("metric/shop/x")?.contains("is not keptnmetric or analysis") == true)
        #expect(KeptnProvider.queryProblem("keptnmetric/shop/response-time") == nil)
    }
}
