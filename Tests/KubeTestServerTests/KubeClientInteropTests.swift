import Foundation
import KubeClient
import KubeCore
import KubeTestServer
import Testing

/// The project's own client against the server: watches that the server closes end on the
/// client side too, and a resumed watch continues where it stopped.
@Suite("KubeTestServer with KubeClient", .timeLimit(.minutes(1)))
struct KubeClientInteropTests {
    @Test func closedWatchEndsAndResumes() async throws {
        try await ServerHarness.with { h async throws in
            let path = NSTemporaryDirectory() + "kc-\(UUID().uuidString)"
            defer { try? FileManager.default.removeItem(atPath: path) }
            try h.server.writeKubeconfig(to: path, context: "t")
            let client = try KubeClient(kubeconfigPath: path, context: "t")
            _ = try await client.create(.configMaps, namespace: "default", Fixtures.configMap("a", labels: ["t": "x"]))
            let list = try await client.list(.configMaps, namespace: "default", options: ListOptions(labelSelector: "t=x"))
            var rv = list.resourceVersion
            for round in 1...3 {
                let stream = try await client.watch(.configMaps, namespace: "default", options: WatchOptions(resourceVersion: rv, labelSelector: "t=x", allowWatchBookmarks: round != 2, timeoutSeconds: 300))
                _ = try await client.patch(.configMaps, namespace: "default", name: "a", type: .merge, ["data": ["round": .string("\(round)")]])
                var it = stream.makeAsyncIterator()
                var e = try await it.next()
                while e?.type == .bookmark { e = try await it.next() }
                #expect(e?.type == .modified)
                #expect(e?.object["data"]["round"] == .string("\(round)"))
                rv = e?.object.resourceVersion ?? rv
                h.server.faults.closeAllWatches()
                var end = try await it.next()
                while end?.type == .bookmark { end = try await it.next() }
                #expect(end == nil, "round \(round): the stream should end when the server closes it")
            }
            try await client.shutdown()
        }
    }
}
