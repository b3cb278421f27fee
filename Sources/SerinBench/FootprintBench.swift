import Foundation

/// Operator RSS in steady state, next to the JSON size of what its informers cache.
struct FootprintBench {
    let runner: BenchRunner
    let cluster: BenchCluster

    static let mib = 1024.0 * 1024.0

    func target(canaries n: Int) -> BenchFigure.Target {
        switch n {
        case 1000: return .atMost(40)
        case 10_000: return .atMost(150)
        default: return .none
        }
    }

    /// Samples RSS once a second over one analysis interval plus two seconds (so a round of
    /// periodic reconciles is inside the window) and reports the highest sample.
    func measure(_ op: BenchOperator, canaries n: Int, label: String) async throws {
        try runner.deadline.check("the footprint at \(n)")
        let window = Double(runner.options.intervalSeconds) + 2
        runner.progress("footprint at \(n) canaries\(label.isEmpty ? "" : " (restarted operator)"): sampling RSS for \(Int(window)) s")
        var samples: [Double] = []
        let end = ContinuousClock.now + .seconds(window)
        while ContinuousClock.now < end, !runner.deadline.passed {
            try op.checkRunning()
            if let rss = op.process.residentBytes { samples.append(rss) }
            await runner.deadline.sleep(.seconds(1))
        }
        guard let peak = samples.max() else { throw BenchFailure("no RSS sample of pid \(op.pid)") }
        let sizes = await cluster.watchedObjectSizes()
        let cached = Double(sizes.reduce(0) { $0 + $1.bytes })
        let objects = sizes.reduce(0) { $0 + $1.objects }
        let detail = sizes.map { "\($0.resource) \($0.objects)" }.joined(separator: ", ")
        let how = label.isEmpty ? "peak VmRSS over \(Int(window)) s after all Initialized"
            : "peak VmRSS over \(Int(window)) s after a restart with all present"
        runner.report.add(BenchFigure("footprint_rss_\(n)\(label)", peak / Self.mib, "MiB", target: target(canaries: n), note: how))
        if label.isEmpty {
            runner.report.add(BenchFigure(
                "cached_json_\(n)", cached / Self.mib, "MiB",
                note: "\(objects) objects in watched resources (\(detail.isEmpty ? "none" : detail)), compact JSON"))
        }
        if label.isEmpty, n > 0 {
            let watched = RequestTally.knownResources.filter { r in sizes.contains { $0.resource == r.plural } }
            if let heap = await CacheHeapProbe.measure(api: cluster.api, resources: watched) {
                runner.report.add(BenchFigure(
                    "cache_heap_\(n)", Double(heap) / Self.mib, "MiB",
                    note: "heap the same informers take for these objects (measured in the bench process: stores of compact JSON, indexes)"))
            }
        }
        let anon = ProcStats.field("RssAnon", pid: op.pid).map { BenchFigure.format($0 / Self.mib) } ?? "?"
        let file = ProcStats.field("RssFile", pid: op.pid).map { BenchFigure.format($0 / Self.mib) } ?? "?"
        runner.report.note("footprint at \(n)\(label): last sample RssAnon \(anon) MiB, RssFile \(file) MiB (the executable and shared libraries)")
        runner.progress("  RSS \(BenchFigure.format(peak / Self.mib)) MiB; cached JSON \(BenchFigure.format(cached / Self.mib)) MiB in \(objects) objects")
    }
}
