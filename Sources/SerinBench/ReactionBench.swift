import Foundation

/// One Deployment changed at a time: change → the Canary's status shows Progressing.
struct ReactionBench {
    let runner: BenchRunner
    let cluster: BenchCluster

    func measure(_ op: BenchOperator, canaries n: Int) async throws {
        try runner.deadline.check("the reaction samples")
        let samples = min(runner.options.reactionSamples, n)
        let tracker = cluster.tracker
        runner.progress("reaction: \(samples) Deployments changed one at a time")
        // Steady canaries only (Initialized or Succeeded), spread over the whole set.
        let steady = (0..<n).filter { i in
            let p = tracker.latest(i)?.phase
            return p == "Initialized" || p == "Succeeded"
        }
        guard !steady.isEmpty else { throw BenchFailure("no canary in a steady phase to change") }
        let stride = max(1, steady.count / samples)
        let picks = Array(Swift.stride(from: 0, to: steady.count, by: stride).prefix(samples).map { steady[$0] })
        var latencies: [Double] = []
        var missed = 0
        let revision = 5000 + Int(Date().timeIntervalSince1970) % 1000
        for i in picks {
            try op.checkRunning()
            try runner.deadline.check("the reaction samples")
            let old = tracker.latest(i)?.lastAppliedSpec
            let t0 = Date()
            try await cluster.release(i, revision: revision)
            var seenAt: Date?
            _ = await runner.deadline.wait(limit: .seconds(5), every: .milliseconds(1)) {
                guard let s = tracker.latest(i), s.phase == "Progressing", s.lastAppliedSpec != old else { return false }
                seenAt = s.at
                return true
            }
            if let seenAt { latencies.append(seenAt.timeIntervalSince(t0) * 1000) } else { missed += 1 }
            // One change at a time: let the operator's follow-up (scale-up) start before the next.
            await runner.deadline.sleep(.milliseconds(200))
        }
        let note = "\(latencies.count) sequential samples\(missed > 0 ? ", \(missed) not seen within 5 s" : ""); \(n) canaries present"
        runner.report.add(BenchFigure("reaction_single_p50", Stats.percentile(latencies, 50), "ms", note: note))
        runner.report.add(BenchFigure("reaction_single_p99", Stats.percentile(latencies, 99), "ms", target: .atMost(100),
                                      note: "max \(BenchFigure.format(latencies.max() ?? .nan)) ms"))
        runner.progress("  p50 \(BenchFigure.format(Stats.percentile(latencies, 50))) ms, p99 \(BenchFigure.format(Stats.percentile(latencies, 99))) ms")
    }
}
