import Foundation
import SerinAPI
import SerinTestApp
import Testing
@testable import Analysis

/// Against the real Prometheus (Debian's `prometheus`): six test applications (a healthy
/// canary, one at 10% errors, one at 600 ms, each with a healthy primary) scraped every
/// second under bounded load, then every check evaluated from what Prometheus stored.
/// One test so that one Prometheus serves all checks and is always stopped.
@Suite(.serialized) struct RealPrometheusTests {
    static let binary = "/usr/bin/prometheus"

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: binary)), .timeLimit(.minutes(2)))
    func analysisAgainstRealPrometheus() async throws {
        let apps = try await startApps()
        let prometheus: PrometheusProcess
        do {
            prometheus = try await PrometheusProcess.start(binary: Self.binary, targets: apps.map {
                ($0.baseURL.replacingOccurrences(of: "http://", with: ""), $0.service.hasSuffix("-primary") ? "stable" : "canary")
            })
        } catch {
            for a in apps { await a.stop() }
            throw error
        }
        let client = PrometheusClient()
        do {
            try await runChecks(apps: apps, prometheus: prometheus, client: client)
        } catch {
            Issue.record("real Prometheus checks failed: \(error)\n\(prometheus.logTail())")
        }
        try? await client.shutdown()
        prometheus.stop()
        for a in apps { await a.stop() }
        #expect(!prometheus.isRunning, "Prometheus is stopped")
    }

    func startApps() async throws -> [TestApp] {
        var apps: [TestApp] = []
        let configs: [(String, TestApp.Config)] = [
            ("podinfo", .init()), ("podinfo-primary", .init()),
            ("errapp", .init(errorRate: 0.1)), ("errapp-primary", .init()),
            ("slowapp", .init(latencyMs: 600)), ("slowapp-primary", .init()),
        ]
        for (name, config) in configs { apps.append(try await TestApp.start(service: name, config: config)) }
        return apps
    }

    func runChecks(apps: [TestApp], prometheus: PrometheusProcess, client: PrometheusClient) async throws {
        let endpoint = PrometheusEndpoint(address: prometheus.address, timeout: 10)
        // Every target is up before the load starts.
        try await waitUntil(seconds: 20, "all six targets up") {
            let r = try? await client.query("sum(up)", endpoint: endpoint)
            return (r.flatMap { try? SingleValue.from($0.result) }) == .value(6)
        }
        try await withThrowingTaskGroup(of: LoadGenerator.Stats.self) { group in
            for app in apps {
                group.addTask {
                    try await LoadGenerator(urls: [app.baseURL + "/api/orders"], rate: 25, concurrency: 20, duration: 18).run()
                }
            }
            for try await s in group { #expect(s.errors == 0 && s.sent > 400, "load: \(s)") }
        }
        // Let the last samples be scraped.
        try await Task.sleep(for: .seconds(2))

        let evaluator = CanaryMetricEvaluator(client: client, defaultAddress: prometheus.address, timeout: 10)
        func check(_ target: String, _ metric: CanaryMetric) async -> MetricCheckResult {
            await evaluator.evaluate(metric, context: CanaryMetricContext(
                name: target, namespace: "test", target: target, interval: "30s", provider: .kubernetes))
        }
        let sr = CanaryMetric(name: "request-success-rate", thresholdRange: ThresholdRange(min: 99))
        let dur = CanaryMetric(name: "request-duration", thresholdRange: ThresholdRange(max: 500))
        let er = CanaryMetric(name: "error-rate", thresholdRange: ThresholdRange(max: 1))

        // The seed Canary's three metrics on a healthy canary: all pass.
        for m in [sr, dur, er] {
            let r = await check("podinfo", m)
            #expect(r.verdict == .pass, "healthy \(m.name): \(r.message) — \(r.query)")
        }
        let p95 = await check("podinfo", CanaryMetric(name: "request-duration", thresholdRange: ThresholdRange(max: 500), percentile: 0.95))
        #expect(p95.verdict == .pass && p95.query.hasPrefix("histogram_quantile(0.95,"))

        // 10% errors: success rate and error rate fail, with numbers in the message; latency passes.
        let errSR = await check("errapp", sr)
        #expect(errSR.verdict == .fail && abs((errSR.value ?? 0) - 90) < 2, "\(errSR.message)")
        #expect(errSR.message.hasSuffix(" < 99"))
        let errER = await check("errapp", er)
        #expect(errER.verdict == .fail && abs((errER.value ?? 0) - 10) < 2, "\(errER.message)")
        #expect(await check("errapp", dur).verdict == .pass)

        // 600 ms: duration fails (p99 lands in the 0.5–0.75 s bucket), success rate passes.
        let slow = await check("slowapp", dur)
        #expect(slow.verdict == .fail && (slow.value ?? 0) > 500, "\(slow.message)")
        #expect(await check("slowapp", sr).verdict == .pass)

        // No traffic at all: no data, and the policy decides.
        var hold = sr
        hold.onNoData = .hold
        let none = await check("nobody", hold)
        #expect(none.verdict == .hold && none.noData && none.message.contains("onNoData=Hold"), "\(none.message)")

        // The comparison judge: canary against its primary.
        func compare(_ target: String, _ m: CanaryMetric) async -> MetricCheckResult {
            var c = m
            c.judge = .compare
            return await check(target, c)
        }
        let healthyCmp = await compare("podinfo", er)
        #expect(healthyCmp.verdict == .pass, "healthy compare: \(healthyCmp.message)")
        let errCmp = await compare("errapp", er)
        #expect(errCmp.verdict == .fail && (errCmp.pValue ?? 1) < 0.05, "errors compare: \(errCmp.message)")
        #expect(errCmp.effectSize != nil)
        let slowCmp = await compare("slowapp", dur)
        #expect(slowCmp.verdict == .fail && (slowCmp.effectSize ?? 0) > 10, "latency compare: \(slowCmp.message)")
        // Success rate: lower is worse (latency of a healthy pair is left out: a scheduling hiccup
        // on a busy machine moves a p99 between buckets and makes that comparison flaky).
        var srTight = sr
        srTight.allowedIncrease = 0.01
        let healthySRCmp = await compare("podinfo", srTight)
        #expect(healthySRCmp.verdict == .pass, "healthy success-rate compare: \(healthySRCmp.message)")
        let errSRCmp = await compare("errapp", srTight)
        #expect(errSRCmp.verdict == .fail, "errors success-rate compare: \(errSRCmp.message)")

        // The seed AnalysisTemplate, pointed at this Prometheus, two measurements a second apart.
        var seed = try Fixtures.seedTemplate().spec
        for i in seed.metrics.indices {
            seed.metrics[i].provider.prometheus?.address = prometheus.address
            seed.metrics[i].count = 2
            seed.metrics[i].interval = "1s"
        }
        let runner = AnalysisRunner(measurer: AnalysisMeasurer(client: client))
        let healthy = try await runAnalysis(seed, service: "podinfo", runner: runner)
        #expect(healthy.phase == .successful, "healthy seed run: \(healthy.message ?? "") \(healthy.metricResults ?? [])")
        let failing = try await runAnalysis(seed, service: "errapp", runner: runner)
        #expect(failing.phase == .failed, "10% errors seed run: \(failing.message ?? "")")
        let m = failing.metricResults?.first { $0.name == "success-rate" }
        #expect(m?.phase == .failed)
        let v = Double(m?.measurements?.first?.value?.trimmingCharacters(in: CharacterSet(charactersIn: "[]")) ?? "")
        let condition1 = v.map { abs($0 - 0.9) < 0.02 } == true
        #expect(condition1, "measured \(m?.measurements?.first?.value ?? "-")")
        #expect(failing.message?.contains("success-rate") == true)

        // The comparison as an AnalysisRun provider.
        let cmpSpec = AnalysisRunSpec(metrics: [AnalysisMetric(name: "latency-vs-primary", provider: AnalysisMetricProvider(
            compare: CompareProviderSpec(
                address: prometheus.address,
                canaryQuery: #"histogram_quantile(0.99, sum(rate(http_request_duration_seconds_bucket{service="{{args.svc}}"}[10s])) by (le))"#,
                baselineQuery: #"histogram_quantile(0.99, sum(rate(http_request_duration_seconds_bucket{service="{{args.svc}}-primary"}[10s])) by (le))"#,
                window: "25s", step: "1s")))])
        var slowArgs = cmpSpec
        slowArgs.args = [AnalysisArgument(name: "svc", value: "slowapp")]
        let slowRun = await runner.reconcile(spec: slowArgs, status: nil, now: Date())
        #expect(slowRun.status.phase == .failed, "compare provider: \(slowRun.status.metricResults ?? [])")
        #expect(slowRun.status.metricResults?.first?.measurements?.first?.metadata?["pValue"] != nil)
    }

    func runAnalysis(_ template: AnalysisTemplateSpec, service: String, runner: AnalysisRunner) async throws -> AnalysisRunStatus {
        let spec = try AnalysisArguments.runSpec(templates: [template], args: [AnalysisArgument(name: "service-name", value: service)])
        var decision = await runner.reconcile(spec: spec, status: nil, now: Date())
        let deadline = Date().addingTimeInterval(20)
        while decision.status.phase?.isCompleted != true, Date() < deadline {
            if let next = decision.nextMeasurementAt, next > Date() {
                try await Task.sleep(for: .milliseconds(Int(next.timeIntervalSinceNow * 1000) + 10))
            }
            decision = await runner.reconcile(spec: spec, status: decision.status, now: Date())
        }
        return decision.status
    }
}

func waitUntil(seconds: Double, _ what: String, _ condition: () async -> Bool) async throws {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if await condition() { return }
        try await Task.sleep(for: .milliseconds(250))
    }
    throw WaitTimeout(what: what)
}

struct WaitTimeout: Error, CustomStringConvertible {
    var what: String
    var description: String { "timed out waiting for \(what)" }
}

/// A Prometheus server in a temp directory, on 127.0.0.1 and a free port. It runs under a
/// small shell watchdog that kills it if this test process dies, so it never outlives the tests.
final class PrometheusProcess: @unchecked Sendable {
    let process: Process
    let directory: URL
    let address: String
    let log: URL

    private init(process: Process, directory: URL, address: String, log: URL) {
        self.process = process
        self.directory = directory
        self.address = address
        self.log = log
    }

    static func freePort() async throws -> Int {
        let s = try await CannedServer.start()
        let p = s.port
        await s.stop()
        return p
    }

    static func start(binary: String, targets: [(String, String)]) async throws -> PrometheusProcess {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("serin-prom-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        var config = """
        global:
          scrape_interval: 1s
          scrape_timeout: 900ms
        scrape_configs:
          - job_name: testapps
            static_configs:

        """
        for (target, track) in targets {
            config += "      - targets: ['\(target)']\n        labels: {track: '\(track)'}\n"
        }
        try config.write(to: dir.appendingPathComponent("prometheus.yml"), atomically: true, encoding: .utf8)
        let port = try await freePort()
        let log = dir.appendingPathComponent("prometheus.log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        let me = ProcessInfo.processInfo.processIdentifier
        let script = """
        "$0" "$@" & child=$!
        trap 'kill $child 2>/dev/null; wait $child; exit 0' TERM INT
        while kill -0 \(me) 2>/dev/null && kill -0 $child 2>/dev/null; do sleep 0.5; done
        kill $child 2>/dev/null; wait $child
        """
        p.arguments = ["-c", script, binary,
                       "--config.file=\(dir.appendingPathComponent("prometheus.yml").path)",
                       "--storage.tsdb.path=\(dir.appendingPathComponent("data").path)",
                       "--web.listen-address=127.0.0.1:\(port)", "--log.level=warn"]
        let handle = try FileHandle(forWritingTo: log)
        p.standardOutput = handle
        p.standardError = handle
        try p.run()
        let proc = PrometheusProcess(process: p, directory: dir, address: "http://127.0.0.1:\(port)", log: log)
        let client = PrometheusClient()
        do {
            try await waitUntil(seconds: 20, "Prometheus ready on port \(port)") {
                guard p.isRunning else { return false }
                return (try? await client.query("1", endpoint: PrometheusEndpoint(address: proc.address, timeout: 1))) != nil
            }
        } catch {
            try? await client.shutdown()
            let tail = proc.logTail()
            proc.stop()
            throw WaitTimeout(what: "Prometheus to start: \(tail)")
        }
        try? await client.shutdown()
        return proc
    }

    var isRunning: Bool { process.isRunning }

    func logTail() -> String {
        let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        return String(text.suffix(1500))
    }

    func stop() {
        if process.isRunning {
            process.terminate()
            let deadline = Date().addingTimeInterval(10)
            while process.isRunning, Date() < deadline { usleep(50_000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
        process.waitUntilExit()
        try? FileManager.default.removeItem(at: directory)
    }
}
