import Foundation

/// Time from the operator's process start to caches synced and leadership held.
struct ColdStartBench {
    let runner: BenchRunner
    let cluster: BenchCluster

    /// Starts a fresh operator (the previous one released the Lease on SIGTERM) and returns it.
    func measure(canaries n: Int, target: Bool) async throws -> BenchOperator {
        try runner.deadline.check("the cold start at \(n)")
        runner.progress("cold start with \(n) canaries present: starting a new operator")
        let op = try BenchOperator.start(options: runner.options, cluster: cluster, logName: "operator-coldstart-\(n)")
        guard let ready = try await op.waitReady(deadline: runner.deadline, limit: .seconds(60)) else {
            op.stop()
            throw BenchFailure("the new operator did not become ready within 60 s (log: \(op.process.logPath))")
        }
        var leading: Date?
        _ = try await runner.deadline.wait(limit: .seconds(30), every: .milliseconds(50)) {
            try op.checkRunning()
            leading = op.logTime(of: "leading: starting controllers")
            return leading != nil
        }
        let start = op.process.startedAt
        let synced = ready.timeIntervalSince(start)
        guard let leading else {
            runner.report.note("cold start at \(n): no 'leading: starting controllers' log line within 30 s")
            runner.report.add(BenchFigure("cold_start_caches_synced_\(n)", synced, "s", note: "spawn to first /readyz 200"))
            return op
        }
        let lead = leading.timeIntervalSince(start)
        runner.report.add(BenchFigure(
            "cold_start_\(n)", max(synced, lead), "s", target: target ? .atMost(2) : .none,
            note: "spawn to caches synced (/readyz 200, polled every 10 ms) and Lease held (log ts), whichever is later"))
        runner.report.add(BenchFigure("cold_start_caches_synced_\(n)", synced, "s", note: "spawn to first /readyz 200"))
        runner.report.add(BenchFigure("cold_start_leading_\(n)", lead, "s", note: "spawn to 'leading: starting controllers'"))
        runner.progress("  caches synced after \(BenchFigure.format(synced)) s, leading after \(BenchFigure.format(lead)) s")
        return op
    }
}
