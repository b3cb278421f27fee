import Foundation
import Synchronization
import KubeCore
import SerinAPI
import Testing
import SerinTestSupport

/// Five canaries released through real `serin operator` processes that are killed with
/// SIGKILL at random moments (and right after phase changes) and started again: status is the
/// only memory, so every canary must end where an uninterrupted run ends, with the same steps.
@Suite("Fault tolerance: SIGKILL at any moment", .serialized)
struct CrashRestartTests {
    static let good = ["alpha", "bravo", "charlie", "delta"]
    static let bad = "echo"
    /// Reconciles not held up by the client-side rate limit, so short lives still get work done.
    static let fastClient = ["--kube-api-qps", "500", "--kube-api-burst", "1000"]

    @Test("every canary ends in its uninterrupted phase, step by step, across ≥ 20 kills", .timeLimit(.minutes(3)))
    func killedAtRandomMoments() async throws {
        let seed = SeededRandom.seed()
        print("CrashRestartTests seed \(seed) (replay with SERIN_FAULT_SEED=\(seed))")
        // Slow pods (1.5 s) keep canaries in Initializing, Progressing (scale-up) and Promoting long enough to be hit.
        let cluster = try await FaultCluster.start(readyDelay: .milliseconds(1500))
        let all = Self.good + [Self.bad]
        cluster.prometheus.setScript { q in
            .value(FaultCluster.istioWorkload(q) == Self.bad ? 80 : 99.9)
        }
        let canaries = try await ObjectRecorder.start(api: cluster.api, resource: .canaries, namespace: cluster.namespace,
                                                      projection: CanaryView.projection)
        let routes = try await ObjectRecorder.start(api: cluster.api, resource: .virtualServices, namespace: cluster.namespace,
                                                    projection: CanaryView.istioWeight)
        for n in all {
            try await cluster.createDeployment(n)
            try await cluster.createCanary(FaultCluster.canary(n, namespace: cluster.namespace))
        }

        let killer = Killer(seed: seed)
        @Sendable func currentPhases() -> [String: String] {
            var out: [String: String] = [:]
            for n in all { out[n] = canaries.latest(n)?["status"]["phase"].stringValue ?? "-" }
            return out
        }
        let spawned = SpawnCounter()
        killer.start(lifetime: 0.6...2.0, targetPhases: ["Initializing", "Progressing", "Promoting", "Finalising"],
                     spawn: { try cluster.startOperator(identity: "op-crash", log: "op-crash-\(spawned.next())", extra: Self.fastClient) },
                     phases: currentPhases)

        @Sendable func allIn(_ wanted: Set<String>) -> Bool { currentPhases().values.allSatisfy { wanted.contains($0) } }
        let initialized = await eventually(timeout: .seconds(60), every: .milliseconds(50)) { allIn(["Initialized"]) }
        #expect(initialized, "not all Initialized: \(currentPhases())")
        for n in all { try await cluster.setImage(n, "app:2") }
        let done = await eventually(timeout: .seconds(100), every: .milliseconds(50)) {
            currentPhases().filter { Self.good.contains($0.key) }.values.allSatisfy { $0 == "Succeeded" }
                && currentPhases()[Self.bad] == "Failed"
        }
        // Keep killing until 20 kills have happened, even when the canaries finished early.
        _ = await eventually(timeout: .seconds(40), every: .milliseconds(100)) { killer.kills.count >= 20 }
        await killer.stop()
        #expect(done, "canaries did not finish: \(currentPhases()); killer: \(killer.stage), spawn errors \(killer.spawnErrors)")

        // A last, uninterrupted operator changes nothing: the finished canaries stay as they are.
        let before = canaries.versions.count
        let last = try cluster.startOperator(identity: "op-crash", log: "op-crash-last", extra: Self.fastClient)
        try await Task.sleep(for: .seconds(2))
        #expect(canaries.versions.count == before, "a restart after the end rewrote status: \(canaries.versions.suffix(3).map(\.projection))")
        last.terminate()
        #expect(await last.waitForExit(timeout: .seconds(15)) == 0)

        let kills = killer.kills
        print("CrashRestartTests: \(kills.count) kills; phases hit: \(Set(kills.flatMap { $0.phases.values }).sorted())")
        #expect(kills.count >= 20)
        let selfEnded = killer.endings.filter { $0 != "signal 9" }
        #expect(selfEnded.isEmpty, "an operator died on its own: \(killer.endings)")
        let hit = Set(kills.flatMap { $0.phases.values })
        #expect(hit.contains("Initializing"), "no kill while Initializing")
        #expect(hit.contains("Progressing"), "no kill while Progressing")
        #expect(hit.contains("Promoting") || hit.contains("Finalising"), "no kill while Promoting/Finalising")

        let queries = cluster.prometheus.queries
        for n in all {
            let vs = canaries.versions(of: n)
            let failing = n == Self.bad
            // Initializing is only written when the primary is not ready yet at the first status write
            // (a kill can delay that write past the primary's readiness): it may be absent, never elsewhere.
            let phases = CanaryView.phases(vs).drop { $0 == "Initializing" }
            let expectedPhases = failing
                ? ["Initialized", "Progressing", "Failed"]
                : ["Initialized", "Progressing", "Promoting", "Finalising", "Succeeded"]
            #expect(Array(phases) == expectedPhases, "\(n) phases \(CanaryView.phases(vs))")
            // Weights move only forward by the plan; back to 0 only at the end (promotion done, or rollback).
            #expect(CanaryView.weights(vs) == (failing ? [0, 25, 0] : [0, 25, 50, 0]), "\(n) status weights")
            #expect(CanaryView.failedChecks(vs) == (failing ? [0, 1, 2] : [0]), "\(n) failedChecks")
            let routeWeights = CanaryView.folded(routes.versions(of: n).compactMap { $0.projection.intValue })
            #expect(routeWeights == (failing ? [0, 25, 0] : [0, 25, 50, 0]), "\(n) VirtualService weights")

            // Each step after the first was preceded by a check of this canary at Prometheus.
            let mine = queries.filter { FaultCluster.istioWorkload($0.text) == n }.map(\.time)
            var marks: [Double] = []
            for (i, v) in vs.enumerated() where i > 0 {
                let prev = vs[i - 1].projection, cur = v.projection
                let advanced = cur["canaryWeight"] != prev["canaryWeight"] && (cur["canaryWeight"].intValue ?? 0) > 0
                let promoted = cur["phase"] == "Promoting" && prev["phase"] != "Promoting"
                let failed = (cur["failedChecks"].intValue ?? 0) > (prev["failedChecks"].intValue ?? 0)
                if advanced || promoted || failed { marks.append(v.time) }
            }
            // marks[0] is the first advance (no check precedes it, as in Flagger); each later one needs a query since the one before.
            #expect(marks.count == 3, "\(n) steps \(marks)")
            for i in marks.indices.dropFirst() {
                let between = mine.filter { $0 > marks[i - 1] && $0 < marks[i] }.count
                #expect(between >= 1, "\(n): no metric check between step \(i) and \(i + 1)")
            }
            if !failing {
                let promoting = vs.first { $0.projection["phase"] == "Promoting" }?.object["status"]
                let results = promoting?["metricResults"].arrayValue ?? []
                let verdicts = results.map { $0["verdict"] }
                #expect(verdicts == ["Pass"], "\(n) promoted without a passing check: \(results)")
            }
        }
        canaries.stop()
        routes.stop()
        await cluster.stop()
    }
}

/// Numbers the operator processes of one test (log file names).
final class SpawnCounter: Sendable {
    private let n = Mutex(0)
    func next() -> Int { n.withLock { $0 += 1; return $0 } }
}
