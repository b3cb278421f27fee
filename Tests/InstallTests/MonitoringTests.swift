import Foundation
import KubeCore
import Testing

/// The ServiceMonitor, PrometheusRule and Grafana dashboard: they must name metrics the
/// operator really exports, be valid PromQL, fire when they should (promtool unit tests), and
/// find the operator's series in a real Prometheus that scraped a real run.
@Suite("Monitoring: alerts and dashboard on the operator's real metrics", .serialized, .timeLimit(.minutes(4)))
struct MonitoringTests {
    static let promtool = "/usr/bin/promtool"

    @Test("the ServiceMonitor scrapes the metrics Service's port, keeping the series' namespace label")
    func serviceMonitorSelectsService() throws {
        let monitor = try #require(Repository.documents("manifests/monitoring/servicemonitor.yaml").first)
        let service = try #require(Repository.object(try Repository.manifestObjects(), kind: "Service", name: "serin-metrics"))
        let selector = try LabelSelector(json: monitor[path: ["spec", "selector"]])
        let labels = (service[path: ["metadata", "labels"]].objectValue ?? [:]).compactMapValues(\.stringValue)
        #expect(selector.matches(labels), "ServiceMonitor selector \(selector) does not match Service labels \(labels)")
        let namespaces = (monitor[path: ["spec", "namespaceSelector", "matchNames"]].arrayValue ?? []).compactMap(\.stringValue)
        #expect(namespaces == [service.namespace ?? ""])
        let endpoints = monitor[path: ["spec", "endpoints"]].arrayValue ?? []
        let servicePorts = (service[path: ["spec", "ports"]].arrayValue ?? []).compactMap { $0["name"].stringValue }
        #expect(!endpoints.isEmpty)
        for e in endpoints {
            #expect(servicePorts.contains(e["port"].stringValue ?? ""), "endpoint port \(e["port"]) not among \(servicePorts)")
            #expect(e["path"] == "/metrics")
            // Without it the target's namespace (serin-system) replaces the Canary's namespace label.
            #expect(e["honorLabels"] == true)
        }
    }

    @Test("the monitoring kustomization lists exactly its files")
    func kustomizationListsFiles() throws {
        let k = try #require(Repository.documents("manifests/monitoring/kustomization.yaml").first)
        var listed = (k["resources"].arrayValue ?? []).compactMap(\.stringValue)
        for g in k["configMapGenerator"].arrayValue ?? [] {
            for f in (g["files"].arrayValue ?? []).compactMap(\.stringValue) {
                listed.append(String(f.split(separator: "=", maxSplits: 1).last ?? ""))
            }
        }
        let present = try Repository.files(in: "manifests/monitoring", suffix: "").filter { $0 != "kustomization.yaml" }
        #expect(listed.sorted() == present)
    }

    @Test("the dashboard is valid Grafana JSON with the panels an SRE needs, on the templated data source")
    func dashboardShape() throws {
        let d = try Monitoring.dashboard()
        #expect(d["uid"].stringValue?.isEmpty == false)
        #expect(d["schemaVersion"].intValue ?? 0 >= 36)
        let panels = try Monitoring.panels()
        let ids = panels.compactMap { $0["id"].intValue }
        #expect(ids.count == panels.count && Set(ids).count == ids.count, "panel ids must be present and unique")
        let titles = Set(panels.compactMap { $0["title"].stringValue })
        for needed in ["Canary weight", "Phase", "Metric analysis", "Rollbacks", "Reconcile latency"] {
            #expect(titles.contains(needed), "no \(needed) panel in \(titles.sorted())")
        }
        for p in panels where p["type"] != "row" {
            #expect(p[path: ["datasource", "uid"]] == "${datasource}", "panel \(p["title"]) does not use the data source variable")
            #expect(!(p["targets"].arrayValue ?? []).isEmpty, "panel \(p["title"]) has no query")
        }
        let variables = (d[path: ["templating", "list"]].arrayValue ?? []).compactMap { $0["name"].stringValue }
        #expect(variables == ["datasource", "namespace", "canary"])
    }

    @Test("promtool accepts the rules (PromQL and annotation templates)")
    func promtoolCheck() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.promtool), "promtool is missing: run hack/setup")
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/rules.json"
        try Self.rulesFile(keepAnnotations: true).serialized().write(toFile: path, atomically: true, encoding: .utf8)
        let r = try await ProcessResult.run(Self.promtool, ["check", "rules", path])
        #expect(r.status == 0, "\(r)")
        let count = try Monitoring.alerts().count
        #expect(r.output.contains("SUCCESS: \(count) rules found"), "\(r)")
    }

    @Test("each alert fires when it should and not when it should not (promtool test rules)")
    func promtoolUnitTests() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.promtool), "promtool is missing: run hack/setup")
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // Annotations are checked by `promtool check rules`; here only when and with which labels.
        try Self.rulesFile(keepAnnotations: false).serialized().write(toFile: dir + "/rules.json", atomically: true, encoding: .utf8)
        try Self.unitTests.write(toFile: dir + "/tests.yaml", atomically: true, encoding: .utf8)
        let r = try await ProcessResult.run(Self.promtool, ["test", "rules", dir + "/tests.yaml"])
        #expect(r.status == 0, "\(r)")
        // Every alert has at least one case that expects it to fire.
        for (name, _) in try Monitoring.alerts() {
            #expect(Self.unitTests.contains("alertname: \(name)\n        exp_alerts:\n          - exp_labels"), "no firing case for \(name)")
        }
    }

    @Test("every serin_ metric an alert or panel uses is exported by the real operator")
    func metricNamesExist() async throws {
        let record = try await OperatorRun.shared.record()
        let exported = Monitoring.exportedNames(record.metrics)
        #expect(exported.contains("serin_canary_weight"), "no canary series in /metrics:\n\(record.metrics.prefix(3000))")
        var used: Set<String> = []
        for (_, expr) in try Monitoring.expressions() { used.formUnion(Monitoring.metricNames(expr)) }
        used.formUnion(try Monitoring.dashboard()[path: ["templating", "list"]].serialized().split(separator: "\"")
            .flatMap { Monitoring.metricNames(String($0)) })
        let missing = used.subtracting(exported).sorted()
        let ours = exported.filter { $0.hasPrefix("serin_") }.sorted()
        #expect(missing.isEmpty, "used but not exported: \(missing)\nexported: \(ours)")
    }

    @Test("a real Prometheus that scraped the run answers every alert and panel query; the key ones with data")
    func queriesAnswer() async throws {
        let record = try await OperatorRun.shared.record()
        for (name, _) in try Monitoring.expressions() {
            let answer = record.queries[name] ?? .null
            #expect(answer["status"] == "success", "\(name): \(answer.serialized())")
        }
        func series(_ name: String) -> [JSONValue] { record.queries[name]?[path: ["data", "result"]].arrayValue ?? [] }
        for panel in ["Canary weight [A]", "Phase [A]", "Metric analysis [A]", "Failed checks [A]", "Reconcile latency [B]",
                      "Reconciles [A]", "Kubernetes API requests [A]", "Leader [A]", "Work queue depth [A]",
                      "Alert deliveries [A]"] {
            #expect(!series("panel \(panel)").isEmpty, "panel \(panel) finds no series after the run (outcomes \(record.outcomes))")
        }
        // The rolled-back canary, with its own namespace label (not the scrape target's).
        let failed = series("alert SerinCanaryFailed").map { "\($0[path: ["metric", "namespace"]].stringValue ?? "")/\($0[path: ["metric", "name"]].stringValue ?? "")" }
        #expect(failed == ["shop/checkout"], "\(failed) (outcomes \(record.outcomes))")
        let analysis = series("panel Metric analysis [A]").first { $0[path: ["metric", "metric"]] == "latency" }
        #expect(analysis?["value"][1] == "750", "\(series("panel Metric analysis [A]"))")
        let leaders = series("panel Leader [A]").compactMap { $0["value"][1].stringValue }
        #expect(leaders == ["1"], "one replica, leading: \(leaders)")
        #expect(series("alert SerinOperatorDown").isEmpty)
        // The run's AlertProvider does not answer: its deliveries failed and the alert says so.
        let undelivered = series("alert SerinAlertDeliveryFailing").compactMap { $0[path: ["metric", "provider"]].stringValue }
        #expect(undelivered == ["shop/ops"], "\(undelivered)")
    }

    // MARK: - Support

    static func scratch() throws -> String {
        let dir = NSTemporaryDirectory() + "serin-install-rules-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    /// The PrometheusRule's groups as a Prometheus rules file (JSON is valid YAML).
    static func rulesFile(keepAnnotations: Bool) throws -> JSONValue {
        var groups = try Monitoring.prometheusRule()[path: ["spec", "groups"]].arrayValue ?? []
        if !keepAnnotations {
            for g in groups.indices {
                var rules = groups[g]["rules"].arrayValue ?? []
                for r in rules.indices { rules[r]["annotations"] = .null }
                groups[g]["rules"] = .array(rules.map { .object(($0.objectValue ?? [:]).filter { $0.value != .null }) })
            }
        }
        return ["groups": .array(groups)]
    }

    static let unitTests = """
    rule_files: [rules.json]
    evaluation_interval: 1m
    tests:
      - interval: 1m
        input_series:
          - series: 'serin_canary_status{namespace="shop", name="checkout"}'
            values: '0 0 2x10'
          - series: 'serin_canary_status{namespace="shop", name="cart"}'
            values: '1x12'
          - series: 'serin_leader{identity="a"}'
            values: '1x12'
        alert_rule_test:
          - eval_time: 2m
            alertname: SerinCanaryFailed
          - eval_time: 5m
            alertname: SerinCanaryFailed
            exp_alerts:
              - exp_labels: {severity: warning, namespace: shop, name: checkout}
      - interval: 1m
        input_series:
          - series: 'serin_canary_weight{namespace="shop", name="stuck"}'
            values: '0 0 0 0 0 20x45'
          - series: 'serin_canary_status{namespace="shop", name="stuck"}'
            values: '0x50'
          - series: 'serin_canary_weight{namespace="shop", name="moving"}'
            values: '0+1x50'
          - series: 'serin_canary_status{namespace="shop", name="moving"}'
            values: '0x50'
        alert_rule_test:
          - eval_time: 20m
            alertname: SerinCanaryStuck
          - eval_time: 45m
            alertname: SerinCanaryStuck
            exp_alerts:
              - exp_labels: {severity: warning, namespace: shop, name: stuck}
      - interval: 1m
        input_series:
          - series: 'serin_canary_failed_checks{namespace="shop", name="checkout"}'
            values: '0 1x10'
          - series: 'serin_canary_status{namespace="shop", name="checkout"}'
            values: '0x10'
        alert_rule_test:
          - eval_time: 5m
            alertname: SerinCanaryChecksFailing
            exp_alerts:
              - exp_labels: {severity: info, namespace: shop, name: checkout}
      - interval: 1m
        input_series:
          - series: 'serin_reconcile_total{controller="canary", result="success"}'
            values: '0+50x10'
        alert_rule_test:
          - eval_time: 10m
            alertname: SerinOperatorDown
            exp_alerts:
              - exp_labels: {severity: critical}
      - interval: 1m
        input_series:
          - series: 'serin_leader{identity="a"}'
            values: '0x10'
          - series: 'serin_leader{identity="b"}'
            values: '0x10'
        alert_rule_test:
          - eval_time: 5m
            alertname: SerinOperatorNotLeading
            exp_alerts:
              - exp_labels: {severity: critical}
          - eval_time: 5m
            alertname: SerinOperatorDown
      - interval: 1m
        input_series:
          - series: 'serin_leader{identity="a"}'
            values: '1x10'
          - series: 'serin_leader{identity="b"}'
            values: '1x10'
        alert_rule_test:
          - eval_time: 5m
            alertname: SerinOperatorSplitBrain
            exp_alerts:
              - exp_labels: {severity: critical}
          - eval_time: 5m
            alertname: SerinOperatorNotLeading
      - interval: 1m
        input_series:
          - series: 'serin_reconcile_total{controller="canary", result="error"}'
            values: '0+10x30'
          - series: 'serin_reconcile_total{controller="canary", result="success"}'
            values: '0+50x30'
          - series: 'serin_reconcile_total{controller="analysisrun", result="error"}'
            values: '0+1x30'
          - series: 'serin_reconcile_total{controller="analysisrun", result="success"}'
            values: '0+100x30'
        alert_rule_test:
          - eval_time: 25m
            alertname: SerinReconcileErrors
            exp_alerts:
              - exp_labels: {severity: warning, controller: canary}
      - interval: 1m
        input_series:
          - series: 'serin_api_requests_total{verb="GET", code="500"}'
            values: '0+10x20'
          - series: 'serin_api_requests_total{verb="GET", code="200"}'
            values: '0+100x20'
        alert_rule_test:
          - eval_time: 15m
            alertname: SerinKubernetesAPIErrors
            exp_alerts:
              - exp_labels: {severity: warning}
      - interval: 1m
        input_series:
          - series: 'serin_alerts_total{provider="shop/ops", result="failed"}'
            values: '0 0 0 1 1 1'
          - series: 'serin_alerts_total{provider="shop/chat", result="sent"}'
            values: '0+1x5'
        alert_rule_test:
          - eval_time: 2m
            alertname: SerinAlertDeliveryFailing
          - eval_time: 5m
            alertname: SerinAlertDeliveryFailing
            exp_alerts:
              - exp_labels: {severity: warning, provider: shop/ops}
      - interval: 1m
        input_series:
          - series: 'serin_workqueue_depth{controller="canary"}'
            values: '200x30'
          - series: 'serin_workqueue_depth{controller="analysisrun"}'
            values: '3x30'
        alert_rule_test:
          - eval_time: 20m
            alertname: SerinWorkQueueBacklog
            exp_alerts:
              - exp_labels: {severity: warning, controller: canary}

    """
}
