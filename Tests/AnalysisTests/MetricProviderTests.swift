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
        #expect(MetricProviders.names == ["prometheus", "datadog", "newrelic", "graphite", "influxdb", "cloudwatch"])
        let prometheus = MetricProviders.type(named: "Prometheus")
        #expect(prometheus?.name == "prometheus")
        #expect(MetricProviders.type(named: "datadog") == DatadogProvider.self)
        #expect(MetricProviders.type(named: "dynatrace") == nil)
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
        let template = MetricTemplate(name: "dd", spec: MetricTemplateSpec(provider: MetricTemplateProvider(type: "dynatrace"),
                                                                           query: "sum(errors)"))
        var message: String?
        do { _ = try CanaryMetricEvaluator.query(for: metric, context: ctx, template: template) } catch { message = "\(error)" }
        #expect(message == "MetricTemplate dd: provider type \"dynatrace\" is not supported (prometheus, datadog, newrelic, graphite, influxdb, cloudwatch)")
        let upper = MetricTemplate(name: "dd", spec: MetricTemplateSpec(provider: MetricTemplateProvider(type: "Prometheus"),
                                                                        query: "sum(errors)"))
        let query = try? CanaryMetricEvaluator.query(for: metric, context: ctx, template: upper)
        #expect(query == "sum(errors)")
    }
}
