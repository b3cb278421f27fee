import Foundation
import KubeCore
import KubeRuntime
import SerinAPI
import Testing
@testable import Controllers

/// The concurrency limit's bookkeeping: who runs, who is ahead in the queue, and the slots
/// granted before the cache shows them.
@Suite struct ReleaseLimiterTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    static func canary(_ ns: String, _ name: String, phase: String, applied: String = "rev-1",
                       queuedSince: String? = nil) -> JSONValue {
        var status: JSONValue = ["phase": .string(phase), "lastAppliedSpec": .string(applied)]
        if let queuedSince {
            status["waitingFor"] = "release-slot"
            status["queuedSince"] = .string(queuedSince)
        }
        return [
            "apiVersion": "serin.dev/v1alpha1", "kind": "Canary",
            "metadata": ["name": .string(name), "namespace": .string(ns)],
            "spec": ["targetRef": ["name": .string(name)], "service": ["port": 80]],
            "status": status,
        ]
    }

    static func decoded(_ json: JSONValue) throws -> Canary { try Canary(json: json) }

    @Test func aSteadyCanaryWithoutANewRevisionIsNotAsked() throws {
        let limiter = ReleaseLimiter(clusterLimit: 1, namespaceLimit: nil)
        let me = try Self.decoded(Self.canary("a", "web", phase: "Succeeded"))
        #expect(limiter.slot(for: me, checksum: "rev-1", canaries: [], now: Self.now) == nil)
    }

    @Test func theClusterLimitCountsRunningReleasesEverywhere() throws {
        let limiter = ReleaseLimiter(clusterLimit: 2, namespaceLimit: nil)
        let others = [Self.canary("a", "x", phase: "Progressing"), Self.canary("b", "y", phase: "Promoting"),
                      Self.canary("b", "z", phase: "Succeeded")]
        let me = try Self.decoded(Self.canary("c", "web", phase: "Succeeded"))
        let slot = limiter.slot(for: me, checksum: "rev-2", canaries: others, now: Self.now)
        #expect(slot?.waitsFor == "2 of 2 concurrent releases in the cluster run (a/x, b/y)")
    }

    @Test func theNamespaceLimitCountsOnlyItsNamespace() throws {
        let limiter = ReleaseLimiter(clusterLimit: nil, namespaceLimit: 1)
        let others = [Self.canary("a", "x", phase: "Progressing")]
        let elsewhere = try Self.decoded(Self.canary("b", "web", phase: "Succeeded"))
        #expect(limiter.slot(for: elsewhere, checksum: "rev-2", canaries: others, now: Self.now) == .free)
        let here = try Self.decoded(Self.canary("a", "web", phase: "Succeeded"))
        #expect(limiter.slot(for: here, checksum: "rev-2", canaries: others, now: Self.now)?.waitsFor
                == "1 of 1 concurrent releases in namespace a run (a/x)")
    }

    @Test func queuedReleasesStartInTheOrderTheyQueued() throws {
        let limiter = ReleaseLimiter(clusterLimit: 1, namespaceLimit: nil)
        let first = Self.canary("a", "first", phase: "Waiting", queuedSince: "2027-01-15T08:00:00Z")
        let second = Self.canary("a", "second", phase: "Waiting", queuedSince: "2027-01-15T08:00:05Z")
        let all = [first, second]
        // The slot is free, but `first` queued earlier: `second` waits for it.
        let slot = limiter.slot(for: try Self.decoded(second), checksum: "rev-2", canaries: all, now: Self.now)
        #expect(slot?.waitsFor == "0 of 1 concurrent releases in the cluster run (none); queued before it: a/first")
        #expect(limiter.slot(for: try Self.decoded(first), checksum: "rev-2", canaries: all, now: Self.now) == .free)
    }

    @Test func aGrantedSlotCountsUntilTheCacheShowsTheReleaseOrItExpires() throws {
        let limiter = ReleaseLimiter(clusterLimit: 1, namespaceLimit: nil)
        let a = Self.canary("n", "a", phase: "Succeeded")
        let b = Self.canary("n", "b", phase: "Succeeded")
        #expect(limiter.slot(for: try Self.decoded(a), checksum: "rev-2", canaries: [a, b], now: Self.now) == .free)
        // Another worker decides b before a's status reached the cache.
        let meanwhile = limiter.slot(for: try Self.decoded(b), checksum: "rev-2", canaries: [a, b], now: Self.now)
        #expect(meanwhile?.waitsFor == "1 of 1 concurrent releases in the cluster run (n/a)")
        let later = Self.now.addingTimeInterval(ReleaseLimiter.grantLifetime + 1)
        #expect(limiter.slot(for: try Self.decoded(b), checksum: "rev-2", canaries: [a, b], now: later) == .free)
    }

    @Test func aRollbackHandoverStillHoldsItsSlot() throws {
        let limiter = ReleaseLimiter(clusterLimit: 1, namespaceLimit: nil)
        var failing = Self.canary("n", "a", phase: "Failed")
        failing[path: ["status", "handover"]] = ["kind": "Rollback", "since": "2027-01-15T08:00:00Z", "reason": "x"]
        let me = try Self.decoded(Self.canary("n", "b", phase: "Succeeded"))
        #expect(limiter.slot(for: me, checksum: "rev-2", canaries: [failing], now: Self.now)?.waitsFor != nil)
    }

    @Test func aGrantReturnedByADecisionThatDidNotStartFreesTheSlotAtOnce() throws {
        let limiter = ReleaseLimiter(clusterLimit: 1, namespaceLimit: nil)
        let a = Self.canary("n", "a", phase: "Waiting")
        let b = Self.canary("n", "b", phase: "Succeeded")
        #expect(limiter.slot(for: try Self.decoded(a), checksum: "rev-2", canaries: [a, b], now: Self.now) == .free)
        // a's confirm-rollout gate stayed closed: its decision returns the grant.
        limiter.returnGrant(ObjectKey(namespace: "n", name: "a"))
        #expect(limiter.slot(for: try Self.decoded(b), checksum: "rev-2", canaries: [a, b], now: Self.now) == .free)
    }
}
