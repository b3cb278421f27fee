import Foundation
import Testing

/// `serin-dev demo` end to end, as a user runs it: the built binary with a real Prometheus and
/// HAProxy. About a minute each, so opt-in: SERIN_DEMO_TEST=1 (hack/demo is the usual way).
@Suite("serin-dev demo", .serialized, .timeLimit(.minutes(8)),
       .enabled(if: ProcessInfo.processInfo.environment["SERIN_DEMO_TEST"] == "1"))
struct DemoRunTests {
    static var repoRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    struct Run {
        var status: Int32
        var output: String
        /// The demo's temporary directory, from its first line.
        var workspace: String?
    }

    static func runDemo(_ arguments: [String]) throws -> Run {
        let binary = repoRoot.appendingPathComponent(".build/debug/serin-dev").path
        try #require(FileManager.default.isExecutableFile(atPath: binary), "build serin-dev first (swift build)")
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("demo-test-\(UUID().uuidString).txt")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: out) }
        let handle = try FileHandle(forWritingTo: out)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = ["demo", "--timeout", "360"] + arguments
        p.currentDirectoryURL = repoRoot
        p.standardOutput = handle
        p.standardError = handle
        try p.run()
        p.waitUntilExit()
        try handle.close()
        let text = try String(contentsOf: out, encoding: .utf8)
        let workspace = text.range(of: "configs in ").map { r in
            String(text[r.upperBound...].prefix { $0 != ")" })
        }
        return Run(status: p.terminationStatus, output: text, workspace: workspace)
    }

    /// Processes whose command line mentions the demo's directory (Prometheus, HAProxy, the operator).
    static func leftovers(_ workspace: String) -> [String] {
        let pids = (try? FileManager.default.contentsOfDirectory(atPath: "/proc"))?.filter { Int($0) != nil } ?? []
        return pids.compactMap { pid in
            guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return nil }
            let cmd = String(decoding: data.map { $0 == 0 ? 32 : $0 }, as: UTF8.self)
            return cmd.contains(workspace) ? cmd : nil
        }
    }

    @Test("the good release is promoted 20 → 40 → 60, the bad one rolled back, exit 0, nothing left running")
    func passes() throws {
        let run = try Self.runDemo([])
        #expect(run.status == 0, "\(run.output)")
        #expect(run.output.contains("serin-dev demo PASSED"))
        for step in ["canary weight 0 → 20", "canary weight 20 → 40", "canary weight 40 → 60"] {
            #expect(run.output.contains(step), "missing \(step)")
        }
        #expect(run.output.contains("haproxy servers primary 40 / canary 60"))
        #expect(run.output.contains("RollingBack"))
        #expect(!run.output.contains("[FAIL]"))
        let workspace = try #require(run.workspace)
        #expect(Self.leftovers(workspace).isEmpty)
        // Kept only when something failed.
        #expect(!FileManager.default.fileExists(atPath: workspace))
    }

    @Test("a 'bad' release that is in fact healthy gets promoted, so the demo reports failure")
    func failsWhenTheBadReleaseIsPromoted() throws {
        let run = try Self.runDemo(["--bad-error-rate", "0"])
        #expect(run.status == 1)
        #expect(run.output.contains("[FAIL] phase Failed (saw Succeeded)"))
        #expect(run.output.contains("serin-dev demo FAILED"))
        #expect(run.output.contains("operator.log"))
        let workspace = try #require(run.workspace)
        #expect(Self.leftovers(workspace).isEmpty)
        try? FileManager.default.removeItem(atPath: workspace)
    }
}
