import Foundation

/// API requests of an idle operator: every canary Initialized, nothing changing.
struct IdleBench {
    let runner: BenchRunner
    let cluster: BenchCluster

    func measure(_ op: BenchOperator, canaries n: Int) async throws {
        try runner.deadline.check("the idle window")
        // Let the initialization's last reconciles and their requeues pass first.
        let settle = Double(runner.options.intervalSeconds) * 1.5
        runner.progress("idle: settling \(Int(settle)) s, then counting requests for \(Int(runner.options.idleSeconds)) s")
        await runner.deadline.sleep(.milliseconds(Int64(settle * 1000)))
        let before = RequestTally.snapshot(cluster.server)
        let cpu0 = op.process.cpuSeconds ?? 0
        let queries0 = cluster.queryCount
        let start = ContinuousClock.now
        await runner.deadline.sleep(.milliseconds(Int64(runner.options.idleSeconds * 1000)))
        try op.checkRunning()
        let window = (ContinuousClock.now - start).seconds
        let tally = RequestTally.snapshot(cluster.server) - before
        let cpu = (op.process.cpuSeconds ?? 0) - cpu0
        let queries = cluster.queryCount - queries0
        let perHour = 3600 / window
        let perCanaryHour = perHour / Double(n)
        let leaseRequests = tally.sum { _, r in r == "leases" }
        let watches = tally.sum { v, _ in v == "watch" }
        let canaryRequests = tally.sum { v, r in v != "watch" && r != "leases" }
        let canaryWrites = tally.sum { v, r in RequestTally.writeVerbs.contains(v) && r != "leases" }
        let extrapolated = "counted over \(Int(window)) s, extrapolated to 1 h"
        runner.report.add(BenchFigure(
            "idle_requests_per_canary_hour", Double(canaryRequests) * perCanaryHour, "req", target: .atMost(0),
            note: "\(extrapolated); watches and the Lease excluded; \(tally.describe())"))
        runner.report.add(BenchFigure(
            "idle_writes_per_canary_hour", Double(canaryWrites) * perCanaryHour, "req", target: .atMost(0),
            note: "\(extrapolated); Lease renewals excluded"))
        runner.report.add(BenchFigure(
            "idle_metric_queries_per_canary_hour", Double(queries) * perCanaryHour, "queries", target: .atMost(0),
            note: extrapolated))
        runner.report.add(BenchFigure("idle_watch_requests_per_hour", Double(watches) * perHour, "req",
                                      note: "all canaries together (watch re-opens)"))
        runner.report.add(BenchFigure("idle_lease_requests_per_hour", Double(leaseRequests) * perHour, "req",
                                      note: "leader election (per operator, not per canary)"))
        runner.report.add(BenchFigure("idle_cpu_percent_\(n)", cpu / window * 100, "%",
                                      note: "operator CPU while \(n) canaries are idle (one core = 100)"))
        runner.progress("  \(canaryRequests) requests in \(Int(window)) s: \(tally.describe())")
    }
}
