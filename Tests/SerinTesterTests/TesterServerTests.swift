import Foundation
import SerinTestApp
import SerinTester
import Testing
import SerinTestSupport

@Suite("serin tester: over HTTP, with load against the test app", .serialized, .timeLimit(.minutes(1)))
struct TesterServerTests {
    @Test("the server answers webhooks and gates over HTTP on 127.0.0.1")
    func overHTTP() async throws {
        let server = try await TesterServer.start(options: TesterOptions(host: "127.0.0.1", port: 0, timeout: 10, logger: quietLogger))
        do {
            let health = try await http("GET", server.baseURL + "/healthz")
            #expect(health.0 == 200)
            let closed = try await http("POST", server.baseURL + "/gate/check", body: webhookBody([:]))
            #expect(closed.0 == 403)
            _ = try await http("POST", server.baseURL + "/gate/open", body: webhookBody([:]))
            let opened = try await http("POST", server.baseURL + "/gate/check", body: webhookBody([:]))
            #expect(opened.0 == 200)
            let bash = try await http("POST", server.baseURL + "/",
                                      body: webhookBody(["type": "bash", "cmd": "echo over the wire", "returnCmdOutput": "true"]))
            #expect(bash.0 == 200)
            #expect(bash.1 == "over the wire\n")
            let failing = try await http("POST", server.baseURL + "/", body: webhookBody(["type": "bash", "cmd": "exit 4"]))
            #expect(failing.0 == 500)
            #expect(failing.1 == "command failed: exit status 4")
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }

    @Test("the seed canary's hey command runs as a bounded background load against the test app")
    func loadRun() async throws {
        let app = try await TestApp.start(service: "user-service")
        let server = try await TesterServer.start(options: TesterOptions(host: "127.0.0.1", port: 0, timeout: 60, logger: quietLogger))
        do {
            // The seed's shape (type bash, hey -z … -q … -c …), one second long.
            let cmd = "hey -z 1s -q 10 -c 2 \(app.baseURL)/api/users"
            let start = ContinuousClock.now
            let r = try await http("POST", server.baseURL + "/", body: webhookBody(["type": "bash", "cmd": cmd]))
            #expect(r.0 == 202)
            #expect(ContinuousClock.now - start < .seconds(1))  // answered before the load ends
            let again = try await http("POST", server.baseURL + "/", body: webhookBody(["type": "bash", "cmd": cmd]))
            #expect(again.1.contains("already running"))

            let tasks = server.tester.tasks
            let finished = await eventually(timeout: .seconds(10)) { await tasks.info(1)?.state == "succeeded" }
            #expect(finished)
            let info = try #require(await tasks.info(1))
            let served = app.metrics.requestCounts[200] ?? 0
            // 20 requests/s for one second, give or take the first and last slot.
            #expect((15...22).contains(served), "served \(served)")
            #expect(info.statuses?["200"] == served)
            #expect(info.errors == 0)
            let seconds = (info.finishedAt ?? .distantFuture).timeIntervalSince(info.startedAt)
            #expect(seconds < 3, "ran \(seconds)s")

            // A five-minute hey is cut to the webhook's timeout.
            let long = try await http("POST", server.baseURL + "/",
                                      body: webhookBody(["type": "cmd", "cmd": "hey -z 5m -q 5 -c 1 \(app.baseURL)/",
                                                         "timeout": "1s"]))
            #expect(long.0 == 202)
            let bounded = await eventually(timeout: .seconds(6)) { await tasks.info(2)?.state == "succeeded" }
            #expect(bounded)
        } catch {
            await server.stop()
            await app.stop()
            throw error
        }
        await server.stop()
        await app.stop()
    }
}
