import Foundation
import KubeClient
import KubeCore
import KubeTestServer
import Testing
import SerinTestSupport

@testable import KubeRuntime

@Suite("Leader election over HTTP", .timeLimit(.minutes(1)))
struct LeaderElectionHTTPTests {
    func config(_ id: String, lease: Duration = .seconds(2), renew: Duration = .milliseconds(1200),
                retry: Duration = .milliseconds(100)) -> LeaderElectionConfig {
        LeaderElectionConfig(
            leaseName: "serin-leader", leaseNamespace: "default", identity: id, leaseDuration: lease, renewDeadline: renew,
            retryPeriod: retry)
    }

    func lease(_ env: HTTPEnvironment) async throws -> JSONValue {
        try await env.client.get(.leases, namespace: "default", name: "serin-leader")
    }

    @Test func secondCandidateTakesOverWithinLeaseDurationAfterLeaderStopsRenewing() async throws {
        try await HTTPEnvironment.with { env in
            let a = LeaderElector(api: env.client, config: config("a"))
            let b = LeaderElector(api: env.client, config: config("b"))
            let runA = Task { await a.run() }
            let condition1 = await eventually { a.isLeader }
            #expect(condition1)
            let runB = Task { await b.run() }
            // While a renews, b waits however long it tries.
            try await Task.sleep(for: .milliseconds(2500))
            #expect(a.isLeader)
            #expect(!b.isLeader)
            #expect(try await lease(env)["spec"]["holderIdentity"] == "a")
            try a.fence()
            let operation11 = { try b.fence() }
            #expect(throws: LeaderElectionError.self, performing: operation11)

            // a stops renewing without releasing (a crash).
            runA.cancel()
            await runA.value
            let stopped = ContinuousClock.now
            let condition2 = await eventually(timeout: .seconds(5)) { b.isLeader }
            #expect(condition2)
            let took = ContinuousClock.now - stopped
            // Lease 2 s as observed by b (from a's last renew it saw), plus at most a retry period with jitter.
            #expect(took < .milliseconds(2000 + 100 * 2 + 400), "took \(took)")
            #expect(took > .milliseconds(1500), "took \(took): b must not take a live lease")
            let spec = try await lease(env)["spec"]
            #expect(spec["holderIdentity"] == "b")
            #expect(spec["leaseTransitions"] == 1)
            #expect(spec["leaseDurationSeconds"] == 2)
            // a's own view: its last renew is older than the renew deadline, so it is fenced off.
            let operation12 = { try a.fence() }
            #expect(throws: LeaderElectionError.self, performing: operation12)
            try b.fence()
            runB.cancel()
            await runB.value
        }
    }

    @Test func gracefulReleaseHandsOverWithinASecond() async throws {
        try await HTTPEnvironment.with { env in
            // Default lease timing: without the release, b would wait 15 s.
            let a = LeaderElector(api: env.client, config: config("a", lease: .seconds(15), renew: .seconds(10), retry: .milliseconds(200)))
            let b = LeaderElector(api: env.client, config: config("b", lease: .seconds(15), renew: .seconds(10), retry: .milliseconds(200)))
            let runA = Task { await a.run() }
            let condition3 = await eventually { a.isLeader }
            #expect(condition3)
            let runB = Task { await b.run() }
            try await Task.sleep(for: .milliseconds(500))
            #expect(!b.isLeader)

            runA.cancel()
            await runA.value
            await a.release()
            let released = ContinuousClock.now
            #expect(!a.isLeader)
            let operation13 = { try a.fence() }
            #expect(throws: LeaderElectionError.self, performing: operation13)
            let condition4 = await eventually(timeout: .seconds(3)) { b.isLeader }
            #expect(condition4)
            let took = ContinuousClock.now - released
            #expect(took < .seconds(1), "took \(took)")
            let spec = try await lease(env)["spec"]
            #expect(spec["holderIdentity"] == "b")
            #expect(spec["leaseTransitions"] == 1)
            runB.cancel()
            await runB.value
        }
    }

    @Test func leaderThatCannotRenewStopsLeadingWithinRenewDeadline() async throws {
        try await HTTPEnvironment.with { env in
            let a = LeaderElector(api: env.client, config: config("a", lease: .seconds(3), renew: .seconds(1), retry: .milliseconds(100)))
            let changes = Box<[Bool]>([])
            let watcher = Task {
                for await leading in a.changes() { changes.update { $0.append(leading) } }
            }
            let runA = Task { await a.run() }
            let condition5 = await eventually { a.isLeader }
            #expect(condition5)
            try a.fence()
            env.server.faults.failNext(100_000, status: 500, verb: "update", resource: "leases")
            let failing = ContinuousClock.now
            let condition6 = await eventually(timeout: .seconds(4)) { !a.isLeader }
            #expect(condition6)
            let took = ContinuousClock.now - failing
            #expect(took < .milliseconds(1000 + 100 + 500), "took \(took)")
            let operation14 = { try a.fence() }
            #expect(throws: LeaderElectionError.self, performing: operation14)
            let condition7 = await eventually { changes.value == [false, true, false] }
            #expect(condition7)
            // When the API server recovers, it leads again.
            env.server.faults.clear()
            let condition8 = await eventually(timeout: .seconds(5)) { a.isLeader }
            #expect(condition8)
            runA.cancel()
            watcher.cancel()
            await runA.value
        }
    }

    @Test func concurrentCandidatesElectExactlyOneLeader() async throws {
        try await HTTPEnvironment.with { env in
            // Generous renew deadline: this checks mutual exclusion, not timing, and the whole
            // suite runs in parallel on two cores (a stalled renew would rightly step down).
            let electors = (0..<4).map {
                LeaderElector(api: env.client, config: config("c\($0)", lease: .seconds(8), renew: .seconds(6), retry: .milliseconds(200)))
            }
            let runs = electors.map { e in Task { await e.run() } }
            let condition9 = await eventually { electors.contains { $0.isLeader } }
            #expect(condition9)
            for _ in 0..<10 {
                #expect(electors.filter(\.isLeader).count == 1)
                try await Task.sleep(for: .milliseconds(100))
            }
            let leaderFound = electors.first { $0.isLeader }
            let leader = try #require(leaderFound)
            #expect(try await lease(env)["spec"]["holderIdentity"].stringValue == leader.config.identity)
            for r in runs { r.cancel() }
            for r in runs { await r.value }
        }
    }
}

/// Lease timing judged on a manual clock (in-process API: no HTTP, no real waiting).
@Suite("Leader election timing", .timeLimit(.minutes(1)))
struct LeaderElectionTimingTests {
    @Test func fenceFailsOnceTheLastRenewIsARenewDeadlineOld() async throws {
        var options = TestAPIServer.Options()
        options.simulateWorkloads = false
        let server = try await TestAPIServer.start(options)
        let clock = ManualClock()
        let a = LeaderElector(
            api: server.api,
            config: LeaderElectionConfig(leaseName: "l", leaseNamespace: "default", identity: "a"), clock: clock)
        let run = Task { await a.run() }
        let condition10 = await eventually { a.isLeader }
        #expect(condition10)
        let lease = try await server.api.get(.leases, namespace: "default", name: "l")
        #expect(lease["spec"]["holderIdentity"] == "a")
        #expect(lease["spec"]["leaseDurationSeconds"] == 15)
        #expect(lease["spec"]["renewTime"] == .string(KubeTime.format(clock.now(), micro: true)))
        // The process stalls: no renew happens while time passes.
        run.cancel()
        await run.value
        try a.fence()
        // Renew deadline 10 s, lease 15 s: the 5 s between are for writes already on their way.
        clock.advance(by: .seconds(9))
        try a.fence()
        clock.advance(by: .seconds(1))
        let operation15 = { try a.fence() }
        #expect(throws: LeaderElectionError.self, performing: operation15)
        try await server.stop()
    }

    @Test func aFreshCandidateWaitsALeaseDurationFromItsOwnObservation() async throws {
        var options = TestAPIServer.Options()
        options.simulateWorkloads = false
        let server = try await TestAPIServer.start(options)
        let clock = ManualClock()
        // A lease written long ago by someone else (by its renewTime it expired hours ago), never changing since.
        _ = try await server.api.create(
            .leases, namespace: "default",
            [
                "apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "metadata": ["name": "l", "namespace": "default"],
                "spec": [
                    "holderIdentity": "old", "leaseDurationSeconds": 15, "leaseTransitions": 4,
                    "renewTime": .string(KubeTime.format(clock.now().addingTimeInterval(-7200), micro: true)),
                ],
            ])
        let b = LeaderElector(
            api: server.api,
            config: LeaderElectionConfig(leaseName: "l", leaseNamespace: "default", identity: "b", retryPeriod: .seconds(2)),
            clock: clock)
        let run = Task { await b.run() }
        // Other machines' clocks are not trusted: b counts from when it first saw this record.
        var waited = 0
        while !b.isLeader, waited < 30 {
            #expect(await clock.waitForSleepers(1))
            clock.advance(by: .seconds(1))
            waited += 1
            _ = await eventually(timeout: .milliseconds(200)) { b.isLeader }
        }
        #expect(b.isLeader)
        #expect(waited >= 15 && waited <= 18, "took \(waited) s")
        let spec = try await server.api.get(.leases, namespace: "default", name: "l")["spec"]
        #expect(spec["holderIdentity"] == "b")
        #expect(spec["leaseTransitions"] == 5)
        run.cancel()
        await run.value
        try await server.stop()
    }
}
