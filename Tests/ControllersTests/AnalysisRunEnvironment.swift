import Analysis
import Controllers
import Foundation
import KubeClient
import KubeCore
import KubeRuntime
import KubeTestServer
import Logging
import SerinAPI
import Synchronization
import Testing
import SerinTestSupport

/// The seed AnalysisTemplate (../shared/examples/seed-analysistemplate.yaml), verbatim.
enum SeedAnalysisTemplate {
    static let yaml = """
        apiVersion: serin.dev/v1alpha1
        kind: AnalysisTemplate
        metadata:
          name: order-service-analysis
          namespace: microservices
        spec:
          args:
          - name: service-name
          metrics:
          - name: success-rate
            interval: 60s
            count: 5
            successCondition: result[0] >= 0.95
            provider:
              prometheus:
                address: http://prometheus.monitoring.svc.cluster.local:9090
                query: |
                  sum(rate(http_requests_total{service="{{args.service-name}}",status!~"5.."}[5m])) /
                  sum(rate(http_requests_total{service="{{args.service-name}}"}[5m]))
          - name: avg-response-time
            interval: 60s
            count: 5
            successCondition: result[0] <= 300
            provider:
              prometheus:
                address: http://prometheus.monitoring.svc.cluster.local:9090
                query: |
                  histogram_quantile(0.95,
                    sum(rate(http_request_duration_seconds_bucket{service="{{args.service-name}}"}[5m])) by (le)
                  ) * 1000
        """

    static func template() throws -> AnalysisTemplate {
        try #require(Manifest.documents(yaml).first).decode(as: AnalysisTemplate.self)
    }
}

/// A test API server with Serin's analysis CRDs, a fake Prometheus over real HTTP, and a
/// Manager running only the AnalysisRun controller on a ManualClock the test moves.
final class AnalysisRunEnvironment: HarnessEnvironment {
    let harness: ControllerHarness


    private init(harness: ControllerHarness) { self.harness = harness }

    static func start() async throws -> AnalysisRunEnvironment {
        AnalysisRunEnvironment(harness: try await ControllerHarness.start(
            crds: ["analysisruns.yaml", "analysistemplates.yaml", "clusteranalysistemplates.yaml"], routerCRDs: false,
            served: [.analysisRuns], simulator: false))
    }

    func startOperator() async {
        var config = AnalysisRunControllerConfig()
        config.workers = 2
        await harness.startOperator { await AnalysisRunController.register(on: $0, config: config) }
    }

    func stop() async { await harness.stop() }

    static func with(_ body: (AnalysisRunEnvironment) async throws -> Void) async throws {
        try await withEnvironment(start, stop: { await $0.stop() }, body)
    }

    // MARK: - Runs

    /// A run spec from the seed template's shape: `service-name` supplied, `count` and a 1s
    /// interval for every metric, the address pointing at the fake Prometheus.
    func seedRunSpec(count: Int?, serviceName: AnalysisArgument = AnalysisArgument(name: "service-name", value: "order-service"))
        throws -> AnalysisRunSpec {
        let template = try SeedAnalysisTemplate.template()
        var spec = try AnalysisArguments.runSpec(templates: [template.spec], args: [serviceName])
        for i in spec.metrics.indices {
            spec.metrics[i].count = count.map { .int($0) }
            spec.metrics[i].interval = "1s"
            spec.metrics[i].provider.prometheus?.address = prometheus.address
        }
        return spec
    }

    func createRun(_ name: String, _ spec: AnalysisRunSpec) async throws {
        let run = AnalysisRun(name: name, namespace: namespace, spec: spec)
        _ = try await client.create(.analysisRuns, namespace: namespace, try JSONValue(encoding: run))
    }

    func run(_ name: String) async -> JSONValue {
        (try? await client.get(.analysisRuns, namespace: namespace, name: name)) ?? .null
    }

    func phase(_ name: String) async -> String? { await run(name)["status"]["phase"].stringValue }

    /// Moves the clock a second at a time (with a real-time pause so reconciles run) until
    /// the run is in `phase`; false after `timeout` of real time.
    func waitPhase(_ name: String, _ phase: String, timeout: Duration = .seconds(20)) async -> Bool {
        await drive(timeout: timeout) { await self.phase(name) == phase }
    }

    func drive(step: Duration = .seconds(1), timeout: Duration = .seconds(20),
               until condition: @Sendable () async -> Bool) async -> Bool {
        await harness.drive(step: step, pause: .milliseconds(20), timeout: timeout, until: condition)
    }

    /// Measurements recorded so far across the run's metrics.
    func measurementCount(_ name: String) async -> Int {
        let results = await run(name)["status"]["metricResults"].arrayValue ?? []
        return results.reduce(0) { $0 + ($1["measurements"].arrayValue?.count ?? 0) }
    }

    func events(about name: String) async -> [JSONValue] {
        let list = (try? await client.list(.events, namespace: namespace))?.items ?? []
        return list.filter {
            $0["involvedObject"]["name"].stringValue == name && $0["involvedObject"]["kind"].stringValue == "AnalysisRun"
        }
    }

    /// Whether an Event with `reason` whose message contains every one of `texts` was recorded
    /// (waits briefly: Events follow the status write).
    func hasEvent(_ name: String, reason: String, type: String, containing texts: [String]) async -> Bool {
        await eventually(timeout: .seconds(3)) { await self.findEvent(name, reason: reason, type: type, texts: texts) }
    }

    private func findEvent(_ name: String, reason: String, type: String, texts: [String]) async -> Bool {
        for e in await events(about: name) where e["reason"].stringValue == reason && e["type"].stringValue == type {
            let message = e["message"].stringValue ?? ""
            if texts.allSatisfy({ message.contains($0) }) { return true }
        }
        return false
    }
}
