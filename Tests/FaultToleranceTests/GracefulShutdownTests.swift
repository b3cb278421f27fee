import Foundation
import KubeCore
import SerinAPI
import Testing
import SerinTestSupport

/// SIGTERM while a step's metric check is in flight: the reconcile finishes (the step lands
/// in status), the lease is released (the next replica need not wait for it to expire) and
/// the process exits 0 within its grace period. A check slower than the grace period is cut
/// off at the deadline, and a shutdown is never counted against the canary.
@Suite("Fault tolerance: graceful shutdown", .serialized)
struct GracefulShutdownTests {
    @Test("SIGTERM mid-step: the step completes, the lease is released, exit 0 within the deadline", .timeLimit(.minutes(2)))
    func sigtermMidStep() async throws {
        let cluster = try await FaultCluster.start(readyDelay: .milliseconds(100))
        let ns = cluster.namespace
        let name = "quebec"
        // Every check takes 1.5 s, so a SIGTERM sent when a query arrives lands mid-reconcile.
        cluster.prometheus.setScript { _ in .delayed(.milliseconds(1500), .value(99.9)) }
        try await cluster.createDeployment(name)
        try await cluster.createCanary(FaultCluster.canary(name, namespace: ns, stepWeight: 25, maxWeight: 75))
        let canaries = try await ObjectRecorder.start(api: cluster.api, resource: .canaries, namespace: ns, projection: CanaryView.projection)

        let first = try cluster.startOperator(identity: "op-first")
        let initialized = await eventually(timeout: .seconds(20)) { await cluster.phase(name) == "Initialized" }
        #expect(initialized, "\(first.log.suffix(2000))")
        try await cluster.setImage(name, "app:2")
        let at25 = await eventually(timeout: .seconds(20)) { await cluster.canaryStatus(name)["canaryWeight"] == 25 }
        #expect(at25)

        // The 25 → 50 check is asked for ~10 s later: terminate as soon as Prometheus sees it.
        let asked = cluster.prometheus.queries.count
        let inFlight = await eventually(timeout: .seconds(15), every: .milliseconds(5)) { cluster.prometheus.queries.count > asked }
        #expect(inFlight)
        let sent = ContinuousClock.now
        first.terminate()
        let code = await first.waitForExit(timeout: .seconds(15))
        let took = ContinuousClock.now - sent
        #expect(code == 0, "\(first.log.suffix(2000))")
        #expect(took < .seconds(5), "exit took \(took) (grace 10 s, check 1.5 s)")
        // The step in flight landed: status moved to 50 with the check's result.
        let status = await cluster.canaryStatus(name)
        #expect(status["canaryWeight"] == 50, "the in-flight step was lost: \(status)")
        #expect(status["failedChecks"] == 0)
        #expect(await cluster.leaseHolder() == "", "the lease was not released")
        #expect(first.log.contains("released lease"))
        print("GracefulShutdownTests: SIGTERM mid-step → exit 0 after \(took)")

        // A check slower than the grace period (1 s): cut off at the deadline, and not held against the canary.
        cluster.prometheus.setScript { _ in .delayed(.seconds(20), .value(99.9)) }
        let second = try cluster.startOperator(identity: "op-second", extra: ["--shutdown-grace", "1"])
        let leads = await eventually(timeout: .seconds(5)) { await cluster.leaseHolder() == "op-second" }
        #expect(leads, "a released lease should be taken at once:\n\(second.log.suffix(2000))")
        let asked2 = cluster.prometheus.queries.count
        let inFlight2 = await eventually(timeout: .seconds(15), every: .milliseconds(5)) { cluster.prometheus.queries.count > asked2 }
        #expect(inFlight2)
        let before = await cluster.canaryStatus(name)
        let sent2 = ContinuousClock.now
        second.terminate()
        let code2 = await second.waitForExit(timeout: .seconds(15))
        let took2 = ContinuousClock.now - sent2
        #expect(code2 == 0, "\(second.log.suffix(2000))")
        #expect(took2 < .seconds(4), "exit took \(took2) with a 1 s grace")
        try await Task.sleep(for: .milliseconds(300))
        let after = await cluster.canaryStatus(name)
        #expect(after["failedChecks"] == before["failedChecks"], "a shutdown was counted as a failed check: \(after)")
        #expect(after["canaryWeight"] == 50)
        #expect(await cluster.leaseHolder() == "", "the lease was not released")
        let weights = CanaryView.weights(canaries.versions(of: name))
        #expect(weights == [0, 25, 50], "\(weights)")

        canaries.stop()
        await cluster.stop()
    }
}
