import Analysis
import Foundation
import Synchronization

/// Steady user traffic through HAProxy for as long as the demo runs: short bounded runs of
/// the LoadGenerator back to back, a line in the timeline every `reportEvery` seconds with
/// what the users saw. `stop` ends it within one run (2 s).
final class DemoLoad: Sendable {
    struct Totals: Sendable, Equatable {
        var requests = 0
        var errors = 0
        var ok: Int { requests - errors }
    }

    private let url: String
    private let rate: Double
    private let timeline: DemoTimeline
    private let running = Mutex(true)
    private let totals = Mutex((all: Totals(), window: Totals()))
    private let reportEvery = 10.0
    private static let chunkSeconds = 2.0

    /// Requests each instance has answered so far, (primary, canary): shows that the split
    /// follows HAProxy's weights.
    private let served: @Sendable () -> (Int, Int)

    init(url: String, rate: Double, timeline: DemoTimeline, served: @escaping @Sendable () -> (Int, Int)) {
        self.url = url
        self.rate = rate
        self.timeline = timeline
        self.served = served
    }

    var total: Totals { totals.withLock { $0.all } }

    /// Starts the traffic in a task of its own (not cancelled with the demo's tasks, so that
    /// its last run finishes on its schedule instead of bursting).
    func start() -> Task<Void, Never> {
        Task.detached { [self] in
            var lastReport = ContinuousClock.now
            var lastServed = served()
            while running.withLock({ $0 }) {
                let gen = LoadGenerator(urls: [url], rate: rate, concurrency: 4, duration: Self.chunkSeconds,
                                        requestTimeout: 3)
                guard let stats = try? await gen.run() else {
                    try? await Task.sleep(for: .seconds(1))
                    continue
                }
                let errors = stats.errors + stats.statuses.filter { $0.key >= 500 }.values.reduce(0, +)
                totals.withLock { t in
                    t.all.requests += stats.sent
                    t.all.errors += errors
                    t.window.requests += stats.sent
                    t.window.errors += errors
                }
                let since = ContinuousClock.now - lastReport
                if since >= .seconds(reportEvery) {
                    lastReport = .now
                    let w = totals.withLock { t in
                        defer { t.window = Totals() }
                        return t.window
                    }
                    let now = served()
                    let (p, c) = (now.0 - lastServed.0, now.1 - lastServed.1)
                    lastServed = now
                    let pct = w.requests == 0 ? 0 : Double(w.errors) * 100 / Double(w.requests)
                    timeline.line("load", "users: \(w.requests) requests in \(since.components.seconds)s, "
                        + "\(w.errors) errors (\(String(format: "%.1f", pct))%); served by primary \(p), canary \(c)")
                }
            }
        }
    }

    func stop() { running.withLock { $0 = false } }
}
