import AsyncHTTPClient
import Foundation
import NIOCore

/// A small bounded load generator (for tests and demos): GETs the URLs in turn at `rate`
/// requests per second with at most `concurrency` in flight, for `duration` seconds.
public struct LoadGenerator: Sendable {
    public var urls: [String]
    public var rate: Double
    public var concurrency: Int
    public var duration: Double
    /// Per-request timeout in seconds.
    public var requestTimeout: Double

    public init(urls: [String], rate: Double, concurrency: Int = 8, duration: Double, requestTimeout: Double = 5) {
        self.urls = urls
        self.rate = rate
        self.concurrency = concurrency
        self.duration = duration
        self.requestTimeout = requestTimeout
    }

    public struct Stats: Sendable, Hashable {
        public var sent = 0
        /// Answers by status code.
        public var statuses: [Int: Int] = [:]
        /// Requests with no answer (refused, timed out).
        public var errors = 0
    }

    /// Hands out request slots on a fixed schedule.
    private actor Ticketer {
        let start: ContinuousClock.Instant
        let interval: Duration
        let end: ContinuousClock.Instant
        var next = 0
        var stats = Stats()

        init(rate: Double, duration: Double) {
            start = .now
            interval = .nanoseconds(Int64(1e9 / max(rate, 0.001)))
            end = start + .nanoseconds(Int64(duration * 1e9))
        }

        /// The slot's index and time, or nil once the duration is over.
        func take() -> (Int, ContinuousClock.Instant)? {
            let at = start + interval * next
            guard at < end else { return nil }
            defer { next += 1 }
            return (next, at)
        }

        func record(status: Int?) {
            stats.sent += 1
            if let s = status { stats.statuses[s, default: 0] += 1 } else { stats.errors += 1 }
        }
    }

    public func run() async throws -> Stats {
        precondition(!urls.isEmpty, "LoadGenerator needs at least one URL")
        var config = HTTPClient.Configuration()
        config.timeout = .init(connect: .seconds(2), read: .seconds(Int64(requestTimeout.rounded(.up))))
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: config)
        let ticketer = Ticketer(rate: rate, duration: duration)
        let urls = self.urls, timeout = TimeAmount.nanoseconds(Int64(requestTimeout * 1e9))
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<max(1, concurrency) {
                group.addTask {
                    while let (i, at) = await ticketer.take() {
                        try? await Task.sleep(until: at, clock: .continuous)
                        let request = HTTPClientRequest(url: urls[i % urls.count])
                        do {
                            let response = try await client.execute(request, timeout: timeout)
                            _ = try await response.body.collect(upTo: 1 << 20)
                            await ticketer.record(status: Int(response.status.code))
                        } catch {
                            await ticketer.record(status: nil)
                        }
                    }
                }
            }
        }
        try await client.shutdown()
        return await ticketer.stats
    }
}
