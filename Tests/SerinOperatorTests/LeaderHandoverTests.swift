import Foundation
import Testing
import SerinTestSupport

/// Two real operator processes against the test API server: only one leads; a killed
/// leader is replaced within the lease duration, a gracefully stopped one at once.
@Suite(.serialized) struct LeaderHandoverTests {
    @Test(.timeLimit(.minutes(1))) func handoverAfterKillAndAfterGracefulStop() async throws {
        let cluster = try await OperatorTestCluster.start()
        defer { Task { try? await cluster.server.stop() } }

        let a = try OperatorChild(arguments: cluster.operatorArgs(identity: "op-a"), logPath: cluster.dir + "/a.log")
        let tookA = await cluster.waitForHolder("op-a", within: .seconds(10))
        #expect(tookA != nil, "op-a never acquired the lease:\n\(a.log)")

        let b = try OperatorChild(arguments: cluster.operatorArgs(identity: "op-b"), logPath: cluster.dir + "/b.log")
        try await Task.sleep(for: .seconds(1.5))
        #expect(await cluster.leaseHolder() == "op-a", "a follower must not take a lease that is being renewed")

        // SIGKILL: no release; op-b must wait for the lease to expire (3 s) and take it then.
        a.kill9()
        let tookB = await cluster.waitForHolder("op-b", within: .seconds(8))
        #expect(tookB != nil, "op-b never took over:\n\(b.log)")
        if let tookB { #expect(tookB <= .seconds(3) + .milliseconds(250) * 2 + .milliseconds(500)) }

        let c = try OperatorChild(arguments: cluster.operatorArgs(identity: "op-c"), logPath: cluster.dir + "/c.log")
        try await Task.sleep(for: .seconds(1))
        #expect(await cluster.leaseHolder() == "op-b")

        // SIGTERM: op-b releases the lease on its way out, so op-c takes it within a second.
        b.terminate()
        let tookC = await cluster.waitForHolder("op-c", within: .seconds(5))
        #expect(tookC != nil, "op-c never took over:\n\(c.log)")
        if let tookC { #expect(tookC <= .seconds(1)) }
        let exit = await b.waitForExit(timeout: .seconds(10))
        #expect(exit == 0, "graceful shutdown should exit 0:\n\(b.log)")
        #expect(b.log.contains("released lease"))
        c.terminate()
        #expect(await c.waitForExit(timeout: .seconds(10)) == 0)
    }
}
