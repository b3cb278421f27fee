import Foundation
import KubeClient
import KubeCore
import KubeTestServer
import Testing
import SerinTestSupport

@testable import KubeRuntime

@Suite("Manager over HTTP", .timeLimit(.minutes(1)))
struct ManagerHTTPTests {
    func options(_ id: String?, namespaces: [String]? = nil) -> ManagerOptions {
        ManagerOptions(
            namespaces: namespaces,
            leaderElection: id.map {
                LeaderElectionConfig(
                    leaseName: "serin", leaseNamespace: "default", identity: $0, leaseDuration: .seconds(15),
                    renewDeadline: .seconds(10), retryPeriod: .milliseconds(200))
            },
            informerDefaults: InformerOptions(backoff: Backoff(initial: .milliseconds(50), maximum: .milliseconds(200))))
    }

    @Test func onlyTheLeaderReconcilesAndAGracefulShutdownHandsOver() async throws {
        try await HTTPEnvironment.with { env in
            let ra = RecordingReconciler()
            let rb = RecordingReconciler()
            let ma = Manager(api: env.client, options: options("a"))
            let mb = Manager(api: env.client, options: options("b"))
            await ma.addController(name: "cm", for: .configMaps, reconciler: ra, owns: [.secrets])
            await mb.addController(name: "cm", for: .configMaps, reconciler: rb, owns: [.secrets])
            await ma.start()
            let condition1 = await eventually { ma.isLeader && ma.isReady }
            #expect(condition1)
            await mb.start()
            let condition2 = await eventually { mb.isReady }
            #expect(condition2)

            _ = try await env.client.create(.configMaps, namespace: "default", configMap("x"))
            let key = ObjectKey(namespace: "default", name: "x")
            let condition3 = await eventually { ra.probe.calls(key) >= 1 }
            #expect(condition3)
            try await Task.sleep(for: .milliseconds(300))
            // The follower's cache is warm, but it does not reconcile.
            #expect(mb.isReady)
            #expect(!mb.isLeader)
            #expect(rb.probe.totalCalls == 0)
            let followerCache = await mb.informer(for: .configMaps).store
            let followerSaw = await eventually { followerCache.get(key) != nil }
            #expect(followerSaw)
            let operation15 = { try mb.fence() }
            #expect(throws: LeaderElectionError.self, performing: operation15)
            try ma.fence()

            await ma.shutdown(deadline: .seconds(5))
            let stopped = ContinuousClock.now
            #expect(!ma.isLeader)
            let condition4 = await eventually(timeout: .seconds(3)) { mb.isLeader }
            #expect(condition4)
            #expect(ContinuousClock.now - stopped < .seconds(1))
            // The new leader reconciles everything once.
            let condition5 = await eventually { rb.probe.calls(key) >= 1 }
            #expect(condition5)
            await mb.shutdown(deadline: .seconds(5))
        }
    }

    @Test func losingTheLeaseStopsReconcilingAtOnce() async throws {
        try await HTTPEnvironment.with { env in
            let r = RecordingReconciler()
            let m = Manager(
                api: env.client,
                options: ManagerOptions(
                    leaderElection: LeaderElectionConfig(
                        leaseName: "lose", leaseNamespace: "default", identity: "a", leaseDuration: .seconds(3),
                        renewDeadline: .seconds(1), retryPeriod: .milliseconds(100))))
            await m.addController(name: "lose", for: .configMaps, reconciler: r)
            await m.start()
            let condition6 = await eventually { m.isLeader && m.isReady }
            #expect(condition6)
            _ = try await env.client.create(.configMaps, namespace: "default", configMap("before"))
            let condition7 = await eventually { r.probe.calls(ObjectKey(namespace: "default", name: "before")) == 1 }
            #expect(condition7)

            env.server.faults.failNext(100_000, status: 500, verb: "update", resource: "leases")
            let condition8 = await eventually(timeout: .seconds(3)) { !m.isLeader }
            #expect(condition8)
            let operation16 = { try m.fence() }
            #expect(throws: LeaderElectionError.self, performing: operation16)
            _ = try await env.client.create(.configMaps, namespace: "default", configMap("after"))
            try await Task.sleep(for: .milliseconds(300))
            #expect(r.probe.calls(ObjectKey(namespace: "default", name: "after")) == 0)
            // Its cache stays warm meanwhile.
            #expect(await m.informer(for: .configMaps).store.get(namespace: "default", name: "after") != nil)

            // Leading again, it catches up.
            env.server.faults.clear()
            let condition9 = await eventually(timeout: .seconds(5)) { m.isLeader }
            #expect(condition9)
            let condition10 = await eventually { r.probe.calls(ObjectKey(namespace: "default", name: "after")) == 1 }
            #expect(condition10)
            await m.shutdown(deadline: .seconds(2))
        }
    }

    @Test func shutdownLetsInFlightReconcilesFinish() async throws {
        try await HTTPEnvironment.with { env in
            let slow = RecordingReconciler(delay: .milliseconds(600))
            let m = Manager(api: env.client, options: options(nil))
            await m.addController(name: "slow", for: .configMaps, reconciler: slow, workers: 2)
            _ = try await env.client.create(.configMaps, namespace: "default", configMap("s1"))
            await m.start()
            let key = ObjectKey(namespace: "default", name: "s1")
            let condition11 = await eventually { slow.probe.calls(key) == 1 }
            #expect(condition11)
            let start = ContinuousClock.now
            await m.shutdown(deadline: .seconds(5))
            // It waited for the reconcile in flight (600 ms) instead of cutting it off.
            #expect(ContinuousClock.now - start >= .milliseconds(300))
            #expect(ContinuousClock.now - start < .seconds(3))
            #expect(slow.probe.maxConcurrentPerKey == 1)
            // Nothing runs after shutdown.
            let calls = slow.probe.totalCalls
            _ = try await env.client.create(.configMaps, namespace: "default", configMap("s2"))
            try await Task.sleep(for: .milliseconds(300))
            #expect(slow.probe.totalCalls == calls)
        }
    }

    @Test func shutdownDeadlineBoundsAStuckReconcile() async throws {
        try await HTTPEnvironment.with { env in
            let stuck = ClosureReconciler { _ in
                // Ignores cancellation on purpose.
                let end = ContinuousClock.now + .seconds(4)
                while ContinuousClock.now < end { try? await Task.sleep(for: .milliseconds(50)) }
                return .done
            }
            let m = Manager(api: env.client, options: options(nil))
            let c = await m.addController(name: "stuck", for: .configMaps, reconciler: stuck)
            _ = try await env.client.create(.configMaps, namespace: "default", configMap("z"))
            await m.start()
            let condition12 = await eventually { await c.queue.processingCount == 1 }
            #expect(condition12)
            let start = ContinuousClock.now
            await m.shutdown(deadline: .milliseconds(300))
            #expect(ContinuousClock.now - start < .seconds(2))
        }
    }

    @Test func sharesInformersAndRestrictsNamespaces() async throws {
        try await HTTPEnvironment.with { env in
            _ = try await env.client.create(.namespaces, namespace: nil, ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": "team"]])
            let r = RecordingReconciler()
            let m = Manager(api: env.client, options: options(nil, namespaces: ["team"]))
            let c1 = await m.addController(name: "one", for: .configMaps, reconciler: r, owns: [.secrets])
            let c2 = await m.addController(name: "two", for: .secrets, reconciler: RecordingReconciler())
            #expect(c1.sources[1].informer === c2.primary)
            #expect(await m.informer(for: .configMaps) === c1.primary)
            _ = try await env.client.create(.configMaps, namespace: "team", configMap("in", namespace: "team"))
            _ = try await env.client.create(.configMaps, namespace: "default", configMap("out"))
            await m.start()
            let condition13 = await eventually { m.isReady }
            #expect(condition13)
            let condition14 = await eventually { r.probe.calls(ObjectKey(namespace: "team", name: "in")) == 1 }
            #expect(condition14)
            try await Task.sleep(for: .milliseconds(200))
            #expect(r.probe.keys == [ObjectKey(namespace: "team", name: "in")])
            await m.shutdown(deadline: .seconds(2))
        }
    }
}
