import Foundation
import KubeCore
import KubeRuntime
import KubeTestServer
import Synchronization
import Testing

/// A replica that lost the lease must not write Events either (the leader records its own):
/// the event recorder is fenced like every other write.
@Suite("Fault tolerance: fenced events")
struct FencedEventTests {
    @Test("no Event is written while the fence refuses, and one is once it allows")
    func fenced() async throws {
        var options = TestAPIServer.Options()
        options.simulateWorkloads = false
        options.tls = false
        let server = try await TestAPIServer.start(options)
        let leading = Mutex(false)
        let recorder = EventRecorder(api: server.api, reportingInstance: "op-x", fence: {
            if !leading.withLock({ $0 }) { throw LeaderElectionError.notLeader(identity: "op-x") }
        })
        let pod: JSONValue = ["apiVersion": "v1", "kind": "Pod", "metadata": ["name": "p", "namespace": "default", "uid": "u1"]]
        await recorder.record(pod, type: .warning, reason: "SyncFailed", message: "written by a follower")
        #expect(try await server.api.list(.events, namespace: "default").items.isEmpty)
        leading.withLock { $0 = true }
        await recorder.record(pod, type: .warning, reason: "SyncFailed", message: "written by the leader")
        let events = try await server.api.list(.events, namespace: "default").items
        #expect(events.count == 1)
        #expect(events.first?["reportingInstance"] == "op-x")
        try await server.stop()
    }
}
