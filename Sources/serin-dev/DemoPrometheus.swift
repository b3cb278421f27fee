import Analysis
import Foundation
import SerinBench

/// The real Prometheus (Debian's package) the operator asks, scraping both app instances
/// every second so that 30-second windows hold enough samples.
enum DemoPrometheus {
    static func config(targets: [String]) -> String {
        """
        # Written by `serin-dev demo`.
        global:
          scrape_interval: 1s
          scrape_timeout: 1s
          evaluation_interval: 1s
        scrape_configs:
          - job_name: podinfo
            static_configs:
              - targets: [\(targets.map { "'\($0)'" }.joined(separator: ", "))]

        """
    }

    static func start(binary: String, workspace: DemoWorkspace, port: Int, targets: [String]) throws -> ChildProcess {
        try workspace.write("prometheus.yml", config(targets: targets))
        let storage = workspace.path("prometheus-data")
        try FileManager.default.createDirectory(atPath: storage, withIntermediateDirectories: true)
        return try ChildProcess(
            name: "prometheus", executable: binary,
            arguments: [
                "--config.file=\(workspace.path("prometheus.yml"))",
                "--storage.tsdb.path=\(storage)",
                "--storage.tsdb.retention.time=1h",
                "--web.listen-address=127.0.0.1:\(port)",
                "--log.level=info",
            ],
            logPath: workspace.prometheusLog)
    }

    /// Waits until Prometheus answers and has scraped every target successfully.
    static func waitUntilScraping(address: String, targets: Int, process: ChildProcess,
                                  client: PrometheusClient, deadline: Duration) async throws {
        let end = ContinuousClock.now + deadline
        var last = "no answer yet"
        while ContinuousClock.now < end {
            guard process.isRunning else { throw DemoFailure("prometheus \(process.exitDescription)") }
            do {
                let answer = try await client.query("up", endpoint: PrometheusEndpoint(address: address, timeout: 2))
                if case .vector(let samples) = answer.result {
                    let up = samples.filter { $0.value == 1 }.count
                    if up >= targets { return }
                    last = "\(up) of \(targets) targets up"
                }
            } catch {
                last = "\(error)"
            }
            try await Task.sleep(for: .milliseconds(250))
        }
        throw DemoFailure("prometheus did not scrape the apps within \(deadline): \(last)")
    }
}
