import ArgumentParser
import Foundation
import UnixSignals

/// The local demo: a canary promoted and a bad one rolled back, with no cluster.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run the local demo: a good release promoted, a bad one rolled back (no cluster needed).",
        discussion: """
            Starts Serin's test API server, a real Prometheus and HAProxy (Debian packages, see hack/setup), \
            two instances of the demo app (primary and canary), a load generator and `serin operator`; \
            then releases a good version and a bad one and prints what happens. Exits 0 only if the good \
            release is promoted and the bad one rolled back.
            """
    )

    @Option(help: "Prometheus binary.") var prometheus = "/usr/bin/prometheus"
    @Option(help: "HAProxy binary.") var haproxy = "/usr/sbin/haproxy"
    @Option(help: "Directory of Serin's CRDs (default: crds/ of the checkout).") var crds: String?
    @Option(help: "User requests per second through HAProxy.") var rate: Double = 20
    @Option(help: "Give up after this many seconds.") var timeout: Double = 420
    @Option(help: "Fraction of requests the bad release answers with 500 (its DEMO_ERROR_RATE).")
    var badErrorRate: Double = 0.3
    @Option(help: "Added latency of the bad release in milliseconds (its DEMO_LATENCY_MS; 0 leaves it unset).")
    var badLatencyMs: Double = 0
    @Flag(help: "Keep the temporary directory (logs, configs) even when the demo succeeds.") var keep = false

    func validate() throws {
        guard rate > 0, rate <= 500 else { throw ValidationError("--rate must be more than 0 and at most 500") }
        guard (0...60_000).contains(badLatencyMs) else { throw ValidationError("--bad-latency-ms must be in 0...60000") }
        guard (0...1).contains(badErrorRate) else { throw ValidationError("--bad-error-rate must be in 0...1") }
        guard timeout >= 60 else { throw ValidationError("--timeout must be at least 60 seconds") }
    }

    func run() async throws {
        let code = await DemoRunner(command: self).run()
        if code != 0 { throw ExitCode(code) }
    }
}

/// Runs the demo under a deadline and Ctrl-C, and always cleans up.
struct DemoRunner {
    let command: DemoCommand

    enum Outcome: Sendable {
        case finished([DemoScenario.Release])
        case failed(String)
        case interrupted
        case timedOut
    }

    func run() async -> Int32 {
        let timeline = DemoTimeline()
        let workspace: DemoWorkspace
        do {
            workspace = try DemoWorkspace.create()
        } catch {
            timeline.say("serin-dev demo: \(error)")
            return 1
        }
        let serin = SerinDevCommand.siblingSerin()
        let env = DemoEnvironment(
            settings: .init(prometheusBinary: command.prometheus, haproxyBinary: command.haproxy,
                            crdDirectory: command.crds, rate: command.rate, serinBinary: serin),
            workspace: workspace, timeline: timeline)
        timeline.say("serin-dev demo: progressive delivery with no cluster (logs and configs in \(workspace.root))")
        timeline.say("  elapsed  source   what happened")

        let timeout = command.timeout, badErrorRate = command.badErrorRate, badLatencyMs = command.badLatencyMs
        let outcome: Outcome = await withTaskGroup(of: Outcome.self) { group in
            group.addTask {
                do {
                    try await env.start()
                    return .finished(try await DemoScenario(env: env, badErrorRate: badErrorRate, badLatencyMs: badLatencyMs).run())
                } catch is CancellationError {
                    return .interrupted
                } catch {
                    return .failed("\(error)")
                }
            }
            group.addTask {
                for await _ in await UnixSignalsSequence(trapping: .sigterm, .sigint) { break }
                return Task.isCancelled ? .finished([]) : .interrupted
            }
            group.addTask {
                try? await Task.sleep(for: .seconds(timeout))
                return Task.isCancelled ? .finished([]) : .timedOut
            }
            let first = await group.next()!
            group.cancelAll()
            return first
        }

        // Cleanup runs in a task of its own: the demo's tasks may be cancelled by now.
        timeline.say("\nstopping everything the demo started ...")
        await Task { await env.shutdown() }.value

        switch outcome {
        case .finished(let releases):
            let ok = summarize(releases, timeline: timeline, env: env)
            if ok, !command.keep {
                workspace.remove()
            } else {
                printLogs(workspace, timeline: timeline)
            }
            return ok ? 0 : 1
        case .failed(let reason):
            timeline.say("\nserin-dev demo FAILED: \(reason)")
            printLogs(workspace, timeline: timeline, tails: true)
            return 1
        case .interrupted:
            timeline.say("\nserin-dev demo interrupted; every process it started has been stopped.")
            printLogs(workspace, timeline: timeline)
            return 130
        case .timedOut:
            timeline.say("\nserin-dev demo FAILED: it did not finish within \(Int(timeout))s.")
            printLogs(workspace, timeline: timeline, tails: true)
            return 1
        }
    }

    func summarize(_ releases: [DemoScenario.Release], timeline: DemoTimeline, env: DemoEnvironment) -> Bool {
        timeline.say("\nSummary")
        var allOK = !releases.isEmpty
        for r in releases {
            let weights = r.weights.isEmpty ? "none" : r.weights.map(String.init).joined(separator: " -> ")
            timeline.say("  \(r.title): \(r.image) ended \(r.phase) after \(String(format: "%.0f", r.seconds))s; "
                + "canary weights \(weights)")
            if !r.message.isEmpty { timeline.say("    status: \(r.message)") }
            for c in r.checks {
                timeline.say("    [\(c.ok ? "ok" : "FAIL")] \(c.text)")
                if !c.ok { allOK = false }
            }
        }
        if let load = env.loadTotals {
            let pct = load.requests == 0 ? 0 : Double(load.errors) * 100 / Double(load.requests)
            timeline.say("  users: \(load.requests) requests through haproxy, \(load.errors) errors "
                + "(\(String(format: "%.2f", pct))%)")
        }
        timeline.say(allOK
            ? "\nserin-dev demo PASSED: the good release was promoted step by step, the bad one rolled back automatically."
            : "\nserin-dev demo FAILED: see the [FAIL] lines above.")
        return allOK
    }

    func printLogs(_ w: DemoWorkspace, timeline: DemoTimeline, tails: Bool = false) {
        timeline.say("Logs kept in \(w.root):")
        for (name, path) in [("operator", w.operatorLog), ("prometheus", w.prometheusLog), ("haproxy", w.haproxyLog)]
        where FileManager.default.fileExists(atPath: path) {
            timeline.say("  \(name): \(path)")
            if tails, name == "operator" {
                let t = w.tail(path, lines: 12)
                if !t.isEmpty { timeline.say(t.split(separator: "\n").map { "    | " + $0 }.joined(separator: "\n")) }
            }
        }
    }
}
