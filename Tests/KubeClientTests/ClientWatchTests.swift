import Foundation
import Synchronization
import KubeClient
import KubeCore
import Testing
import SerinTestSupport

/// Reads events from a watch stream until `count` non-bookmark events arrived or it ends.
func collect(
    _ stream: AsyncThrowingStream<WatchEvent, any Error>, count: Int, includeBookmarks: Bool = false, within seconds: Double = 10
) async throws -> [WatchEvent] {
    try await withDeadline(seconds) {
        var out: [WatchEvent] = []
        for try await e in stream {
            if e.type == .bookmark && !includeBookmarks { continue }
            out.append(e)
            if out.count >= count { break }
        }
        return out
    }
}

@Suite("KubeClient watch over HTTPS")
struct ClientWatchTests {
    @Test func addedModifiedDeletedFromTheListsResourceVersion() async throws {
        try await withHarness { _, client in
            try await createNamespace(client, "w")
            let start = try await client.list(.configMaps, namespace: "w")
            let stream = try await client.watch(.configMaps, namespace: "w", options: WatchOptions(resourceVersion: start.resourceVersion))
            let cm = try await client.create(.configMaps, namespace: "w", configMap("a", namespace: "w"))
            _ = try await client.patch(.configMaps, namespace: "w", name: "a", type: .merge, ["data": ["k": "v"]])
            try await client.delete(.configMaps, namespace: "w", name: "a")
            let events = try await collect(stream, count: 3)
            #expect(events.map(\.type) == [.added, .modified, .deleted])
            let condition1 = events.allSatisfy { $0.object.name == "a" }
            #expect(condition1)
            #expect(events[0].object.uid == cm.uid)
            #expect(events[1].object["data"]["k"] == "v")
        }
    }

    @Test func resumeFromAResourceVersionSeesOnlyLaterEvents() async throws {
        try await withHarness { _, client in
            try await createNamespace(client, "r")
            let first = try await client.create(.configMaps, namespace: "r", configMap("first", namespace: "r"))
            _ = try await client.create(.configMaps, namespace: "r", configMap("second", namespace: "r"))
            _ = try await client.create(.configMaps, namespace: "r", configMap("third", namespace: "r"))
            let stream = try await client.watch(
                .configMaps, namespace: "r", options: WatchOptions(resourceVersion: first.resourceVersion, allowWatchBookmarks: false))
            let events = try await collect(stream, count: 2)
            #expect(events.map(\.type) == [.added, .added])
            #expect(events.compactMap(\.object.name) == ["second", "third"])
        }
    }

    @Test func bookmarksArriveWhenAsked() async throws {
        var serverOptions = Harness.fastServerOptions()
        serverOptions.bookmarkInterval = .milliseconds(200)
        try await withHarness(serverOptions: serverOptions) { _, client in
            let list = try await client.list(.configMaps, namespace: "default")
            let stream = try await client.watch(
                .configMaps, namespace: "default", options: WatchOptions(resourceVersion: list.resourceVersion, allowWatchBookmarks: true))
            let events = try await collect(stream, count: 1, includeBookmarks: true)
            #expect(events.first?.type == .bookmark)
            #expect(events.first?.object.resourceVersion?.isEmpty == false)
        }
    }

    @Test func expiredResourceVersionIsAnErrorEventWith410() async throws {
        try await withHarness { h, client in
            try await createNamespace(client, "g")
            let old = try await client.create(.configMaps, namespace: "g", configMap("x", namespace: "g"))
            _ = try await client.patch(.configMaps, namespace: "g", name: "x", type: .merge, ["data": ["a": "b"]])
            h.server.faults.forgetHistory()
            let stream = try await client.watch(.configMaps, namespace: "g", options: WatchOptions(resourceVersion: old.resourceVersion))
            let events = try await collect(stream, count: 1)
            #expect(events.first?.type == .error)
            let status = APIStatus(json: events.first?.object ?? .null, httpCode: 0)
            #expect(status.code == 410)
            #expect(status.reason == "Expired" || status.reason == "Gone")
        }
    }

    @Test func streamFinishesWhenTheServerClosesIt() async throws {
        try await withHarness { h, client in
            let stream = try await client.watch(.configMaps, namespace: "default", options: WatchOptions(allowWatchBookmarks: false))
            let done = Task {
                var n = 0
                for try await e in stream where e.type != .bookmark { n += 1 }
                return n
            }
            try await Task.sleep(for: .milliseconds(300))
            h.server.faults.closeAllWatches()
            let n = try await withDeadline(10) { try await done.value }
            #expect(n >= 0)  // ended normally (no throw) within the deadline
        }
    }

    @Test func serverSideTimeoutEndsTheStream() async throws {
        try await withHarness { _, client in
            let list = try await client.list(.configMaps, namespace: "default")
            let stream = try await client.watch(
                .configMaps, namespace: "default", options: WatchOptions(resourceVersion: list.resourceVersion, allowWatchBookmarks: false, timeoutSeconds: 1))
            let started = ContinuousClock.now
            let events = try await collect(stream, count: 100, within: 10)
            #expect(events.isEmpty)
            #expect(ContinuousClock.now - started >= .milliseconds(900))
        }
    }

    @Test func cancellingTheConsumerClosesTheConnection() async throws {
        // Two watch connections at most: a watch whose consumer is cancelled must give its
        // connection back, or the next watch could never open.
        var opts = Harness.fastOptions()
        opts.maxWatchConnections = 2
        opts.http1Only = true
        try await withHarness(options: opts) { _, client in
            try await createNamespace(client, "c")
            let list = try await client.list(.configMaps, namespace: "c")
            let watchOptions = WatchOptions(resourceVersion: list.resourceVersion, allowWatchBookmarks: false)
            let counted = AddedCounter()
            let consumer: @Sendable () -> Task<Void, any Error> = {
                Task {
                    let stream = try await client.watch(.configMaps, namespace: "c", options: watchOptions)
                    for try await e in stream where e.type == .added { counted.add() }
                }
            }
            let a = consumer()
            let b = consumer()
            _ = try await client.create(.configMaps, namespace: "c", configMap("one", namespace: "c"))
            try await withDeadline(10) {
                while counted.value < 2 { try await Task.sleep(for: .milliseconds(20)) }
            }
            // Both connections are busy: a third watch waits for one.
            let thrown2 = await caught(DeadlineExceeded.self) {
                _ = try await withDeadline(1) { try await client.watch(.configMaps, namespace: "c", options: watchOptions) }
            }
            #expect(thrown2 != nil, "expected DeadlineExceeded to be thrown")
            a.cancel()
            b.cancel()
            // Cancelled consumers end promptly, and their connections are free again.
            _ = try? await withDeadline(5) { try await a.value }
            _ = try? await withDeadline(5) { try await b.value }
            for _ in 0..<3 {
                let s = try await withDeadline(5) { try await client.watch(.configMaps, namespace: "c", options: watchOptions) }
                #expect(try await collect(s, count: 1).first?.object.name == "one")
            }
        }
    }

    @Test func manyConcurrentWatchesAllStream() async throws {
        // An operator watches many kinds at once; each HTTP/1.1 watch holds a connection.
        try await withHarness { _, client in
            let list = try await client.list(.configMaps, namespace: "default")
            var streams: [AsyncThrowingStream<WatchEvent, any Error>] = []
            for _ in 0..<20 {
                streams.append(
                    try await withDeadline(10) {
                        try await client.watch(
                            .configMaps, namespace: "default",
                            options: WatchOptions(resourceVersion: list.resourceVersion, allowWatchBookmarks: false))
                    })
            }
            _ = try await client.create(.configMaps, namespace: "default", configMap("fan-out", namespace: "default"))
            for s in streams {
                #expect(try await collect(s, count: 1).first?.object.name == "fan-out")
            }
        }
    }

    @Test func watchOpenFailureIsThrownAndRetried() async throws {
        try await withHarness { h, client in
            h.server.faults.failNext(1, status: 503, verb: "watch", resource: "configmaps")
            let list = try await client.list(.configMaps, namespace: "default")
            h.server.faults.resetCounts()
            let stream = try await client.watch(.configMaps, namespace: "default", options: WatchOptions(resourceVersion: list.resourceVersion))
            #expect(h.server.faults.requestCount(verb: "watch") == 2)
            _ = try await client.create(.configMaps, namespace: "default", configMap("after-retry", namespace: "default"))
            #expect(try await collect(stream, count: 1).first?.object.name == "after-retry")

            h.server.faults.failNext(1, status: 403, verb: "watch", resource: "configmaps")
            let e = await caught(KubeAPIError.self) {
                try await client.watch(.configMaps, namespace: "default", options: WatchOptions())
            }
            #expect(e != nil, "expected KubeAPIError to be thrown")
            #expect(e?.code == 403)
        }
    }
}

final class AddedCounter: Sendable {
    private let count = Mutex(0)
    func add() { count.withLock { $0 += 1 } }
    var value: Int { count.withLock { $0 } }
}
