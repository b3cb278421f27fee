import Foundation
import KubeCore

/// Every canary released at once: how soon each shows Progressing, how late each analysis
/// tick runs against its schedule, what one step costs in API writes, metric queries and
/// operator CPU, and how long the whole release takes.
struct AnalysisBench {
    let runner: BenchRunner
    let cluster: BenchCluster

    /// Counters at one moment.
    struct Mark {
        var at: Date
        var tally: RequestTally
        var cpu: Double
        var queries: Int
        var reconciles: (sum: Double, count: Double)?
    }

    func mark(_ op: BenchOperator, reconciles: Bool = false) -> Mark {
        Mark(at: Date(), tally: RequestTally.snapshot(cluster.server), cpu: op.process.cpuSeconds ?? 0,
             queries: cluster.queryCount, reconciles: reconciles ? op.reconcileDurations(controller: "canary") : nil)
    }

    func measure(_ op: BenchOperator, canaries n: Int) async throws {
        try runner.deadline.check("the analysis at scale")
        let o = runner.options
        let interval = Double(o.intervalSeconds)
        let tracker = cluster.tracker
        // A freshly restarted operator reconciles everything once; let that pass.
        runner.progress("analysis: settling \(Int(interval)) s, then releasing all \(n) canaries at once")
        await runner.deadline.sleep(.seconds(interval))
        try op.checkRunning()

        var before: [Int: String] = [:]
        for i in 0..<n { before[i] = tracker.latest(i)?.lastAppliedSpec ?? "" }
        let revision = 2 + Int(Date().timeIntervalSince1970) % 1000
        tracker.startRecording()
        let start = mark(op, reconciles: true)
        var changed: [Int: Date] = [:]
        for i in 0..<n {
            changed[i] = Date()
            try await cluster.release(i, revision: revision)
        }
        let changeSeconds = Date().timeIntervalSince(start.at)
        runner.progress("  \(n) Deployments changed in \(BenchFigure.format(changeSeconds)) s; following the release")

        // Steps of the plan: weights up to maxWeight, then the promotion tick.
        let plannedTicks = (o.maxWeight + o.stepWeight - 1) / o.stepWeight + 1
        let windowFrom = 2, windowTo = 3
        var w1: Mark?
        var w2: Mark?
        var done = false
        var lastReport = ContinuousClock.now
        let limit = Duration.seconds(interval * Double(plannedTicks + 4) + 120)
        let finished = try await runner.deadline.wait(limit: limit, every: .milliseconds(20)) {
            try op.checkRunning()
            if w1 == nil, tracker.countTicks(atLeast: windowFrom) >= n { w1 = mark(op, reconciles: true) }
            if w1 != nil, w2 == nil, tracker.countTicks(atLeast: windowTo) >= n { w2 = mark(op, reconciles: true) }
            if ContinuousClock.now - lastReport > .seconds(10) {
                lastReport = .now
                runner.progress("  \(tracker.phaseSummary())")
            }
            done = tracker.count(indexed: { i, s in s.phase == "Succeeded" && s.lastAppliedSpec != before[i] }) >= n
            return done
        }
        let end = mark(op, reconciles: true)
        tracker.stopRecording()
        let histories = tracker.allHistory()
        if !finished {
            runner.report.note("analysis: not every canary succeeded within \(Int(limit.seconds)) s (\(tracker.phaseSummary())); figures use what was seen")
        }
        let failed = tracker.count { $0.phase == "Failed" }
        if failed > 0 { runner.report.note("analysis: \(failed) canaries Failed (rolled back) instead of succeeding") }

        // Reaction to the burst: change → Progressing with the new checksum.
        var reactions: [Double] = []
        for i in 0..<n {
            guard let t0 = changed[i] else { continue }
            if let s = histories[i]?.first(where: { $0.at >= t0 && $0.phase == "Progressing" && $0.lastAppliedSpec != before[i] }) {
                reactions.append(s.at.timeIntervalSince(t0) * 1000)
            }
        }
        runner.report.add(BenchFigure("reaction_burst_p50", Stats.percentile(reactions, 50), "ms",
                                      note: "\(n) Deployments changed at once (in \(BenchFigure.format(changeSeconds)) s); change → status Progressing; \(reactions.count) seen"))
        runner.report.add(BenchFigure("reaction_burst_p99", Stats.percentile(reactions, 99), "ms",
                                      note: "max \(BenchFigure.format(reactions.max() ?? .nan)) ms"))

        // Tick lag: each tick against the previous one (+interval) and against the schedule its
        // status states (lastStepTime, whole seconds, + interval).
        var lagPrevious: [Double] = []
        var lagStatus: [Double] = []
        var lagByTick: [Int: [Double]] = [:]
        var totalTicks = 0
        var ticksByCanary: [Int: [CanarySample]] = [:]
        for (i, h) in histories {
            var ticks: [CanarySample] = []
            var last: String?
            for s in h where s.lastStepTime != nil && s.lastStepTime != last && s.lastAppliedSpec != before[i] {
                ticks.append(s)
                last = s.lastStepTime
            }
            ticksByCanary[i] = ticks
            totalTicks += ticks.count
            for k in ticks.indices.dropFirst() {
                let lag = ticks[k].at.timeIntervalSince(ticks[k - 1].at) - interval
                lagPrevious.append(lag)
                lagByTick[k + 1, default: []].append(lag)
                if let due = KubeTime.parse(ticks[k - 1].lastStepTime)?.addingTimeInterval(interval) {
                    lagStatus.append(ticks[k].at.timeIntervalSince(due))
                }
            }
        }
        runner.report.add(BenchFigure("tick_lag_p50", Stats.percentile(lagPrevious, 50), "s",
                                      note: "tick seen in status − (previous tick seen + \(Int(interval)) s); \(lagPrevious.count) ticks"))
        let perTick = lagByTick.keys.sorted().map { k in
            "tick \(k) p50 \(BenchFigure.format(Stats.percentile(lagByTick[k]!, 50))) p99 \(BenchFigure.format(Stats.percentile(lagByTick[k]!, 99)))"
        }.joined(separator: ", ")
        runner.report.add(BenchFigure("tick_lag_p99", Stats.percentile(lagPrevious, 99), "s", target: .atMost(1),
                                      note: "max \(BenchFigure.format(lagPrevious.max() ?? .nan)) s; \(perTick)"))
        runner.report.add(BenchFigure("tick_lag_vs_status_p99", Stats.percentile(lagStatus, 99), "s", target: .atMost(1),
                                      note: "tick seen − (previous status.lastStepTime, whole seconds, + \(Int(interval)) s); p50 \(BenchFigure.format(Stats.percentile(lagStatus, 50))) s"))

        // One step in steady analysis: between "every canary has done tick 2" and "… tick 3".
        if let w1, let w2 {
            let ticksInWindow = ticksByCanary.values.reduce(0) { acc, ticks in
                acc + ticks.filter { $0.at > w1.at && $0.at <= w2.at }.count
            }
            let tally = w2.tally - w1.tally
            let writes = tally.sum { v, r in RequestTally.writeVerbs.contains(v) && r != "leases" }
            let steps = Double(max(ticksInWindow, 1))
            let writeTally = RequestTally(counts: tally.counts.filter {
                RequestTally.writeVerbs.contains(String($0.key.split(separator: " ").first ?? "")) && !$0.key.hasSuffix(" leases")
            })
            runner.report.add(BenchFigure("api_writes_per_step", Double(writes) / steps, "req", target: .atMost(3),
                                          note: "\(ticksInWindow) steps (tick \(windowFrom)→\(windowTo) of every canary): \(writeTally.describe(per: steps))"))
            let reads = tally.sum { v, r in (v == "get" || v == "list") && r != "leases" }
            runner.report.add(BenchFigure("api_reads_per_step", Double(reads) / steps, "req", note: "same window"))
            runner.report.add(BenchFigure("cpu_seconds_per_step", (w2.cpu - w1.cpu) / steps, "s",
                                          note: "operator utime+stime over the same window / steps"))
            if let a = w1.reconciles, let b = w2.reconciles, b.count > a.count {
                runner.report.add(BenchFigure(
                    "reconcile_mean_seconds", (b.sum - a.sum) / (b.count - a.count), "s",
                    note: "serin_reconcile_duration_seconds over the same window: \(Int(b.count - a.count)) Canary reconciles for \(ticksInWindow) steps"))
            }
        } else {
            runner.report.note("analysis: the tick \(windowFrom)→\(windowTo) window was not seen by every canary; no per-step figures")
        }

        // Metric queries over the whole release, attributed to canaries by the query text: the
        // first tick runs no checks (it starts the analysis, as Flagger's does), every later one
        // runs each metric once.
        let expected = BenchManifests.metricsPerCanary
        let perCanary = cluster.queriesByCanary(start.queries..<end.queries)
        var checkedTicks = 0
        var offCount = 0
        for i in 0..<n {
            let ticks = max(0, (ticksByCanary[i]?.count ?? 0) - 1)
            checkedTicks += ticks
            if (perCanary[i] ?? 0) != ticks * expected { offCount += 1 }
        }
        let queries = end.queries - start.queries
        runner.report.add(BenchFigure(
            "metric_queries_per_tick_per_metric", Double(queries) / Double(max(1, checkedTicks * expected)), "queries",
            target: .exactly(1),
            note: "\(queries) queries for \(checkedTicks) checked ticks × \(expected) metrics over the release; \(offCount) canaries with another count"))

        // The whole release.
        let total = end.tally - start.tally
        let releaseSeconds = end.at.timeIntervalSince(start.at)
        runner.report.add(BenchFigure("release_all_\(n)_seconds", releaseSeconds, "s",
                                      note: "first change → every canary Succeeded; \(totalTicks) ticks seen"))
        runner.report.add(BenchFigure("api_requests_per_release", Double(total.sum { _, r in r != "leases" }) / Double(n), "req",
                                      note: "per canary: \(total.describe(per: Double(n)))"))
        runner.report.add(BenchFigure("cpu_seconds_per_release", (end.cpu - start.cpu) / Double(n), "s",
                                      note: "operator CPU for the whole release / canaries"))
        runner.progress("  release of \(n) done in \(BenchFigure.format(releaseSeconds)) s")
    }
}


