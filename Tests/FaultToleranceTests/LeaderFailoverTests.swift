import Foundation
import KubeCore
import KubeTestServer
import SerinAPI
import Testing
import SerinTestSupport

/// Two (then three) real operator processes share a Lease. The leader is killed mid-canary:
/// the standby leads within the lease duration and carries the canaries on, step for step.
/// Then the new leader is frozen (SIGSTOP, a long GC pause or a partitioned node) until a
/// third replica takes over, and thawed: the server's request log, which names each
/// replica (its identity is in the User-Agent), shows that no two replicas ever wrote in
/// turn: every write of the old leader precedes every write of the new one.
@Suite("Fault tolerance: leader failover", .serialized)
struct LeaderFailoverTests {
    static let names = ["oscar", "papa"]
    static let writeVerbs: Set<String> = ["create", "update", "patch", "delete", "deletecollection"]

    /// Writes (not of the Lease itself) in the order the server received them, by replica.
    static func writers(_ audit: [AuditedRequest]) -> [String] {
        audit.filter { writeVerbs.contains($0.verb) && $0.resource != "leases" }.compactMap { r in
            guard let open = r.userAgent.firstIndex(of: "("), let close = r.userAgent.lastIndex(of: ")") else { return nil }
            return String(r.userAgent[r.userAgent.index(after: open)..<close])
        }
    }

    @Test("a killed leader is replaced within the lease duration; a frozen one never writes again", .timeLimit(.minutes(2)))
    func failover() async throws {
        let cluster = try await FaultCluster.start(readyDelay: .milliseconds(200))
        let ns = cluster.namespace
        cluster.prometheus.setScript { _ in .value(99.9) }
        let canaries = try await ObjectRecorder.start(api: cluster.api, resource: .canaries, namespace: ns, projection: CanaryView.projection)
        for n in Self.names {
            try await cluster.createDeployment(n)
            try await cluster.createCanary(FaultCluster.canary(n, namespace: ns))
        }
        let a = try cluster.startOperator(identity: "op-a")
        let aLeads = await eventually(timeout: .seconds(10)) { await cluster.leaseHolder() == "op-a" }
        #expect(aLeads, "\(a.log.suffix(2000))")
        let b = try cluster.startOperator(identity: "op-b")
        @Sendable func phases() async -> [String: String] { await cluster.phases(Self.names) }
        let initialized = await eventually(timeout: .seconds(20)) { await phases().values.allSatisfy { $0 == "Initialized" } }
        #expect(initialized)
        for n in Self.names { try await cluster.setImage(n, "app:2") }

        // Mid-canary: the first step (25%) is taken; kill the leader.
        let stepped = await eventually(timeout: .seconds(20)) {
            Self.names.allSatisfy { CanaryView.weights(canaries.versions(of: $0)).last == 25 }
        }
        #expect(stepped)
        #expect(await cluster.leaseHolder() == "op-a")
        let killedAt = ContinuousClock.now
        a.kill9()
        let bLeads = await eventually(timeout: .seconds(8), every: .milliseconds(10)) { await cluster.leaseHolder() == "op-b" }
        let takeover = ContinuousClock.now - killedAt
        #expect(bLeads, "\(b.log.suffix(2000))")
        // Lease 3 s, retry 0.25 s (+20% jitter): the standby leads no later than that after the last renew.
        #expect(takeover <= .seconds(3) + .milliseconds(300) * 2 + .milliseconds(500), "took over after \(takeover)")
        print("LeaderFailoverTests: op-b leads \(takeover) after op-a was killed")

        // op-b carries on: the next step of each canary comes on schedule (interval 10 s), not a lease later.
        let fifty = await eventually(timeout: .seconds(20)) {
            Self.names.allSatisfy { CanaryView.weights(canaries.versions(of: $0)).last == 50 }
        }
        #expect(fifty)
        for n in Self.names {
            let vs = canaries.versions(of: n)
            let t25 = vs.first { $0.projection["canaryWeight"] == 25 }?.time ?? 0
            let t50 = vs.first { $0.projection["canaryWeight"] == 50 }?.time ?? 0
            #expect(t50 - t25 < 12, "\(n): 25% → 50% took \(t50 - t25) s across the failover")
        }

        // Freeze the leader in the middle of a step (its metric check in flight) until a third replica
        // has taken over and written, then thaw it: it wakes up believing it leads, with a decision to carry out.
        let c = try cluster.startOperator(identity: "op-c")
        cluster.prometheus.setScript { _ in .delayed(.milliseconds(1500), .value(99.9)) }
        let asked = cluster.prometheus.queries.count
        let checking = await eventually(timeout: .seconds(15), every: .milliseconds(5)) { cluster.prometheus.queries.count > asked }
        #expect(checking)
        b.pause()
        let cLeads = await eventually(timeout: .seconds(8), every: .milliseconds(10)) { await cluster.leaseHolder() == "op-c" }
        #expect(cLeads, "\(c.log.suffix(2000))")
        let cWrote = await eventually(timeout: .seconds(15)) { Self.writers(cluster.server.audit.requests).last == "op-c" }
        #expect(cWrote)
        b.resume()
        let done = await eventually(timeout: .seconds(30)) { await phases().values.allSatisfy { $0 == "Succeeded" } }
        let final = await phases()
        #expect(done, "\(final)\n\(c.log.suffix(2000))")
        try await Task.sleep(for: .seconds(1))

        let order = CanaryView.folded(Self.writers(cluster.server.audit.requests))
        print("LeaderFailoverTests: writers in order \(order)")
        #expect(order == ["op-a", "op-b", "op-c"], "replicas wrote in turn (split brain): \(order)")
        #expect(b.log.contains("stopped leading"), "op-b never noticed it lost the lease:\n\(b.log.suffix(2000))")
        // The thawed replica did try to carry out its step, and the fence refused it.
        #expect(b.log.contains("is not the leader: refusing to write"), "the fence was not exercised:\n\(b.log.suffix(3000))")
        for n in Self.names {
            let vs = canaries.versions(of: n)
            #expect(CanaryView.weights(vs) == [0, 25, 50, 0], "\(n) weights")
            #expect(CanaryView.phases(vs) == ["Initializing", "Initialized", "Progressing", "Promoting", "Finalising", "Succeeded"])
        }

        for p in [b, c] { p.terminate() }
        for p in [b, c] { #expect(await p.waitForExit(timeout: .seconds(15)) == 0, "\(p.log.suffix(1000))") }
        canaries.stop()
        await cluster.stop()
    }
}
