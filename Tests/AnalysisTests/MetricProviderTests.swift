import Foundation
import SerinAPI
import Testing
@testable import Analysis

/// A provider answering from a table, as a new provider's own tests would stand one up.
struct TableProvider: MetricProvider {
    static var names: [String] { ["table"] }
    init() {}
    init(clients: MetricClients) {}

    func query(_ query: String, endpoint: MetricEndpoint) async throws -> MetricAnswer {
        if query == "broken" { throw MetricSpecError("table has no row broken") }
        return MetricAnswer(number: ["up": 1, "nan": .nan][query])
    }
}

@Suite struct MetricProviderTests {
    let ctx = CanaryMetricContext(name: "podinfo", namespace: "test", target: "podinfo", interval: "1m", provider: .kubernetes)

    @Test func registryFindsProvidersByName() {
        #expect(MetricProviders.names == ["prometheus", "datadog", "newrelic", "dynatrace", "splunk", "stackdriver", "keptn", "externalmetrics", "graphite", "influxdb", "cloudwatch"])
        let prometheus = MetricProviders.type(named: "Prometheus")
        #expect(prometheus?.name == "prometheus")
        #expect(MetricProviders.type(named: "datadog") == DatadogProvider.self)
        #expect(MetricProviders.type(named: "signoz") == nil)
        // web and job measure AnalysisRun metrics only: no MetricTemplate type.
        #expect(MetricProviders.type(named: "web") == nil && MetricProviders.type(named: "job") == nil)
        #expect(MetricProviders.analysisKeys == ["web", "job", "datadog", "newRelic", "graphite", "influxdb", "cloudWatch",
                                                 "wavefront", "kayenta", "skywalking"])
        #expect(MetricProviders.type(analysisKey: "wavefront") == WavefrontProvider.self)
        #expect(MetricProviders.type(analysisKey: "plugin") == nil)
        // Argo-only providers have no MetricTemplate type.
        #expect(MetricProviders.type(named: "wavefront") == nil && MetricProviders.type(named: "kayenta") == nil)
        #expect(PrometheusProvider.name == "prometheus")
    }

    @Test func aProviderAnswersAValueNoDataOrAnError() async throws {
        let p = TableProvider()
        let endpoint = MetricEndpoint(address: "http://unused.invalid")
        let up = try await p.query("up", endpoint: endpoint)
        #expect(try up.singleValue() == .value(1))
        #expect(up.value == .number(1))
        let nan = try await p.query("nan", endpoint: endpoint)
        #expect(try nan.singleValue() == .noData(reason: "the query returned no value"))
        let none = try await p.query("absent", endpoint: endpoint)
        #expect(none.value == .null)
        var queryError: String?
        do { _ = try await p.query("broken", endpoint: endpoint) } catch { queryError = "\(error)" }
        #expect(queryError == "table has no row broken")
        var rangeError: String?
        do { _ = try await p.samples("up", start: Date(), end: Date(), step: 1, endpoint: endpoint) } catch { rangeError = "\(error)" }
        #expect(rangeError == "provider table does not answer range queries (the compare judge needs them)")
    }

    @Test func prometheusRangeAnswersBecomeSamples() throws {
        #expect(try PrometheusProvider.samples(.vector([])) == [])
        var stringError: String?
        do { _ = try PrometheusProvider.samples(.string(timestamp: 0, value: "x")) } catch { stringError = "\(error)" }
        #expect(stringError != nil)
    }

    @Test func aTemplateOfAnUnknownProviderIsNotSupported() {
        let metric = CanaryMetric(name: "errors", templateRef: TemplateRef(name: "dd"))
        let template = MetricTemplate(name: "dd", spec: MetricTemplateSpec(provider: MetricTemplateProvider(type: "signoz"),
                                                                           query: "sum(errors)"))
        var message: String?
        do { _ = try CanaryMetricEvaluator.query(for: metric, context: ctx, template: template) } catch { message = "\(error)" }
        #expect(message == "MetricTemplate dd: provider type \"signoz\" is not supported (prometheus, datadog, newrelic, dynatrace, splunk, stackdriver, keptn, externalmetrics, graphite, influxdb, cloudwatch)")
        let upper = MetricTemplate(name: "dd", spec: MetricTemplateSpec(provider: MetricTemplateProvider(type: "Prometheus"),
                                                                        query: "sum(errors)"))
        let query = try? CanaryMetricEvaluator.query(for: metric, context: ctx, template: upper)
        #expect(query == "sum(errors)")
    }

    /// Validation (SpecValid, lint) asks the template's provider: a required address, a query
    /// shape it can check before asking.
    @Test func providersRefuseWhatTheyCannotAsk() {
        let metric = CanaryMetric(name: "latency", thresholdRange: ThresholdRange(max: 500), templateRef: TemplateRef(name: "t"))
        func problems(_ type: String, address: String? = nil, query: String) -> [String] {
            let t = MetricTemplate(name: "t", spec: MetricTemplateSpec(provider: MetricTemplateProvider(type: type, address: address), query: query))
            return AnalysisValidation.validate(metric, provider: .istio, template: t)
        }
        #expect(problems("dynatrace", query: "builtin:service.response.time") == [
            "metric \"latency\": MetricTemplate t: the dynatrace provider needs provider.address, e.g. https://<environment-id>.live.dynatrace.com",
        ])
        #expect(problems("dynatrace", address: "https://abc12345.live.dynatrace.com", query: "builtin:service.response.time") == [])
        #expect(problems("splunk", query: "data('x').publish()").count == 1)
        #expect(problems("stackdriver", query: "fetch k8s_container") == [])
        #expect(problems("keptn", query: "keptnmetric/{{ namespace }}/response-time") == [])
        #expect(problems("keptn", query: "keptnmetric/{{ namespace }}") == [
            "metric \"latency\": MetricTemplate t: keptn query \"keptnmetric/ns\" is not <keptnmetric|analysis>/<namespace>/<name>/<duration>/<key>=<value>;…",
        ])
        #expect(problems("externalmetrics", query: "{{ namespace }}/queue/depth").count == 1)
    }
}
