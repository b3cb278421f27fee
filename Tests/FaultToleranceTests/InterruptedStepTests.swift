import Foundation
import KubeCore
import SerinAPI
import Synchronization
import Testing

/// A step whose effects are carried out but whose status write is lost (a 409 here; a
/// SIGKILL between the two in the crash test) is decided again from the old status. The
/// route a user watches must still only move forward by the plan, and a rollback that has
/// begun must never send traffic back to the failing canary or scale it up again.
/// Deterministic twins of what the crash and API-fault tests hit at random.
@Suite("Fault tolerance: a step interrupted before its status write", .serialized)
struct InterruptedStepTests {
    struct Outcome {
        var route: [Int]
        var weights: [Int]
        var phase: String?
        /// Replica counts the target Deployment went through, folded.
        var targetReplicas: [Int]
    }

    /// Runs one canary through the in-process operator and answers the status write that
    /// follows the state `before` with 409 Conflict (once).
    static func run(failing: Bool, before: @escaping @Sendable (JSONValue) -> Bool) async throws -> Outcome {
        let cluster = try await FaultCluster.start(readyDelay: .milliseconds(20))
        let ns = cluster.namespace
        let name = failing ? "romeo" : "sierra"
        cluster.prometheus.setScript { _ in .value(failing ? 80 : 99.9) }
        try await cluster.createDeployment(name)
        try await cluster.createCanary(FaultCluster.canary(name, namespace: ns))
        let routes = try await ObjectRecorder.start(api: cluster.api, resource: .virtualServices, namespace: ns,
                                                    projection: CanaryView.istioWeight)
        let canaries = try await ObjectRecorder.start(api: cluster.api, resource: .canaries, namespace: ns, projection: CanaryView.projection)
        let targets = try await ObjectRecorder.start(api: cluster.api, resource: .deployments, namespace: ns) { $0["spec"]["replicas"] }
        let op = try await InProcessOperator(cluster: cluster, metricQueryTimeout: 2)
        let initialized = await op.drive { await cluster.phase(name) == "Initialized" }
        #expect(initialized)
        try await cluster.setImage(name, "app:2")

        let armed = Mutex(false)
        let finished = await op.drive(timeout: .seconds(30)) {
            let status = await cluster.canaryStatus(name)
            if before(status), !armed.withLock({ a in defer { a = true }; return a }) {
                cluster.server.faults.failNext(1, status: 409, verb: "update", resource: "canaries")
            }
            return ["Succeeded", "Failed"].contains(status["phase"].stringValue ?? "")
        }
        #expect(finished)
        let wasArmed = armed.withLock { $0 }
        #expect(wasArmed, "the state before the lost write never came")
        try await Task.sleep(for: .milliseconds(200))
        let outcome = Outcome(
            route: CanaryView.folded(routes.versions(of: name).compactMap { $0.projection.intValue }),
            weights: CanaryView.weights(canaries.versions(of: name)), phase: await cluster.phase(name),
            targetReplicas: CanaryView.folded(targets.versions(of: name).compactMap { $0.projection.intValue }))
        canaries.stop()
        routes.stop()
        targets.stop()
        await op.stop()
        await cluster.stop()
        return outcome
    }

    @Test("an advance whose status write is lost does not move the route back")
    func lostAdvance() async throws {
        // Lose the write of the step 25 → 50.
        let o = try await Self.run(failing: false) { s in s["phase"] == "Progressing" && s["canaryWeight"] == 25 }
        #expect(o.phase == "Succeeded")
        #expect(o.weights == [0, 25, 50, 0])
        #expect(o.route == [0, 25, 50, 0], "traffic moved backwards: \(o.route)")
    }

    @Test("a rollback whose status write is lost does not send traffic back to the failing canary")
    func lostRollback() async throws {
        // Lose the write of the rollback (failedChecks 1 → threshold 2).
        let o = try await Self.run(failing: true) { s in s["phase"] == "Progressing" && s["failedChecks"] == 1 }
        #expect(o.phase == "Failed")
        #expect(o.weights == [0, 25, 0])
        #expect(o.route == [0, 25, 0], "traffic went back to the failing canary: \(o.route)")
        // 2 (the user's) → 0 (initialized) → 2 (release) → 0 (rollback), and never up again.
        #expect(o.targetReplicas == [2, 0, 2, 0], "the failing canary was scaled up again: \(o.targetReplicas)")
    }
}
