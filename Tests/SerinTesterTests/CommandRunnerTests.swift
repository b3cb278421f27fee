import Foundation
import SerinTester
import Testing
import SerinTestSupport

@Suite("serin tester: running commands", .serialized, .timeLimit(.minutes(1)))
struct CommandRunnerTests {
    @Test("a command's exit status and output (stdout and stderr) come back")
    func exitAndOutput() async {
        let ok = await CommandRunner.run(["/bin/bash", "-c", "echo out; echo err >&2"], timeout: 10)
        #expect(ok.ending == .exited(0))
        #expect(ok.text == "out\nerr\n")
        #expect(!ok.truncated)
        let failed = await CommandRunner.run(["/bin/bash", "-c", "exit 7"], timeout: 10)
        #expect(failed.ending == .exited(7))
        #expect(failed.describe(timeout: 10) == "exit status 7")
    }

    @Test("a program that does not exist fails to start, with the reason")
    func missingProgram() async {
        let r = await CommandRunner.run(["serin-no-such-program-xyz"], timeout: 5)
        #expect(r.ending == .failedToStart("serin-no-such-program-xyz: No such file or directory"))
    }

    @Test("a timeout kills the command and everything it started, promptly")
    func timeoutKillsGroup() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("serin-tester-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let pidFile = dir.appendingPathComponent("child.pid").path
        let start = ContinuousClock.now
        // A background child of the shell: killing only bash would leave it running.
        let r = await CommandRunner.run(["/bin/bash", "-c", "sleep 60 & echo $! > \(pidFile); wait"], timeout: 1)
        let took = ContinuousClock.now - start
        #expect(r.ending == .timedOut)
        #expect(r.describe(timeout: 1) == "timed out after 1s, killed")
        #expect(took < .seconds(5), "took \(took)")
        let pid = try #require(Int32(String(contentsOfFile: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        let gone = await eventually(timeout: .seconds(3)) { processEnded(pid) }
        #expect(gone, "the backgrounded sleep \(pid) survived the timeout")
    }

    @Test("output beyond the cap is dropped while the command still runs to its end")
    func outputCap() async {
        // 300 KB through a 64 KB pipe: the command would block forever if the reader stopped.
        let r = await CommandRunner.run(["/bin/bash", "-c", "head -c 300000 /dev/zero | tr '\\0' a; echo done >&2"],
                                        timeout: 10, outputCap: 1000)
        #expect(r.ending == .exited(0))
        #expect(r.output.count == 1000)
        #expect(r.truncated)
        #expect(Set(r.output) == [UInt8(ascii: "a")])
    }

    @Test("programs a finished command left behind are ended, so the answer does not wait for them")
    func leftovers() async {
        let start = ContinuousClock.now
        let r = await CommandRunner.run(["/bin/bash", "-c", "sleep 30 & echo started"], timeout: 20)
        #expect(r.ending == .exited(0))
        #expect(r.text == "started\n")
        #expect(ContinuousClock.now - start < .seconds(5))
    }
}
