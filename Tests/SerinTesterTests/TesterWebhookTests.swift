import Foundation
import SerinTester
import Testing
import SerinTestSupport

@Suite("serin tester: webhooks", .serialized, .timeLimit(.minutes(1)))
struct TesterWebhookTests {
    @Test("type bash runs through bash: 200 on success (output when asked), 500 with the reason first on failure")
    func bash() async {
        let tester = makeTester()
        let ok = await post(tester, ["type": "bash", "cmd": "x=world; echo hello $x | tr a-z A-Z", "returnCmdOutput": "true"])
        #expect(ok.status == 200)
        #expect(ok.text == "HELLO WORLD\n")
        let quiet = await post(tester, ["type": "bash", "cmd": "echo hidden"])
        #expect(quiet.status == 200)
        #expect(quiet.text == "")
        let failed = await post(tester, ["type": "bash", "cmd": "echo 'tests: 3 failed'; exit 1"])
        #expect(failed.status == 500)
        #expect(failed.text == "command failed: exit status 1\ntests: 3 failed")
    }

    @Test("the webhook's metadata.timeout kills a bash command and answers 500 at once")
    func bashTimeout() async {
        let tester = makeTester(timeout: 60)
        let start = ContinuousClock.now
        let r = await post(tester, ["type": "bash", "cmd": "echo begun; sleep 30", "timeout": "1s"])
        let took = ContinuousClock.now - start
        #expect(r.status == 500)
        #expect(r.text == "command failed: timed out after 1s, killed\nbegun")
        #expect(took < .seconds(5), "took \(took)")
        // Without metadata.timeout, the server's --timeout applies.
        let short = makeTester(timeout: 1)
        let d = await post(short, ["type": "bash", "cmd": "sleep 30"])
        #expect(d.status == 500)
        #expect(d.text == "command failed: timed out after 1s, killed")
    }

    @Test("type cmd runs without a shell: $VARS, quotes, pipes and ; reach the program as text")
    func cmdWithoutShell() async {
        let tester = makeTester()
        let r = await post(tester, ["type": "cmd", "cmd": #"echo $HOME "a  b" 'c;d' | wc ; ls"#, "blocking": "true",
                                    "returnCmdOutput": "true"])
        #expect(r.status == 200)
        #expect(r.text == "$HOME a  b c;d | wc ; ls\n")
        let missing = await post(tester, ["type": "cmd", "cmd": "serin-no-such-program-xyz --flag", "blocking": "true"])
        #expect(missing.status == 500)
        #expect(missing.text == "command failed: could not start: serin-no-such-program-xyz: No such file or directory")
        let unbalanced = await post(tester, ["type": "cmd", "cmd": "echo 'oops"])
        #expect(unbalanced.status == 400)
    }

    @Test("output is capped in the answer as in the log")
    func cappedAnswer() async {
        let tester = makeTester(outputCap: 4096)
        let r = await post(tester, ["type": "bash", "cmd": "head -c 100000 /dev/zero | tr '\\0' x", "returnCmdOutput": "true"])
        #expect(r.status == 200)
        #expect(r.body.count == 4096)
    }

    @Test("type cmd runs in the background: 202, one copy per canary and command, its end in /tasks")
    func cmdBackground() async throws {
        let tester = makeTester()
        let first = await post(tester, ["type": "cmd", "cmd": "sleep 0.5"])
        #expect(first.status == 202)
        #expect(first.text == "command 1 started for podinfo.test")
        let again = await post(tester, ["type": "cmd", "cmd": "sleep 0.5"])
        #expect(again.status == 202)
        #expect(again.text == "command 1 is already running for podinfo.test")
        let other = await post(tester, name: "other", ["type": "cmd", "cmd": "sleep 0.5"])
        #expect(other.text == "command 2 started for other.test")
        let done = await eventually { await tester.tasks.info(1)?.state == "succeeded" }
        #expect(done)
        let failing = await post(tester, ["type": "cmd", "cmd": "false"])
        #expect(failing.status == 202)
        let failed = await eventually { await tester.tasks.info(3)?.state == "failed" }
        #expect(failed)
        #expect(await tester.tasks.info(3)?.result == "exit status 1")

        let list = await tester.handle(TesterRequest(method: "GET", path: "/tasks"))
        #expect(list.status == 200)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(list.body)) as? [[String: Any]])
        #expect(json.count == 3)
        #expect(json.first?["command"] as? String == "sleep 0.5")
    }

    @Test("bad requests: no JSON, no metadata, no cmd, an unknown type")
    func badRequests() async {
        let tester = makeTester()
        let notJSON = await tester.handle(TesterRequest(method: "POST", path: "/", body: Array("hello".utf8)))
        #expect(notJSON.status == 400)
        let noMeta = await post(tester, [:])
        #expect(noMeta.status == 400)
        #expect(noMeta.text == "metadata not found in payload")
        let noCmd = await post(tester, ["type": "bash"])
        #expect(noCmd.text == "cmd not found in metadata")
        let unknown = await post(tester, ["type": "helm", "cmd": "helm test"])
        #expect(unknown.status == 400)
        #expect(unknown.text == "unknown task type helm; use bash, cmd or load")
        let badTimeout = await post(tester, ["type": "bash", "cmd": "true", "timeout": "soon"])
        #expect(badTimeout.status == 400)
        let get = await tester.handle(TesterRequest(method: "GET", path: "/"))
        #expect(get.status == 405)
    }

    @Test("at most maxTasks commands run at once; the next one is told to retry")
    func bounded() async {
        let tester = makeTester(maxTasks: 1)
        #expect(await post(tester, ["type": "cmd", "cmd": "sleep 2"]).status == 202)
        let busy = await post(tester, ["type": "bash", "cmd": "true"])
        #expect(busy.status == 429)
        let busyLoad = await post(tester, ["type": "cmd", "cmd": "sleep 3"])
        #expect(busyLoad.status == 429)
    }
}
