import Foundation
import KubeCore
import SerinAPI
import SerinCLI
import Testing

/// `kubectl serin …` through a kubectl-serin link made by hack/install-kubectl-plugin, run by
/// the real kubectl against the test API server.
@Suite struct KubectlPluginTests {
    static var serinBinary: String? {
        let dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for candidate in [dir.appendingPathComponent("serin").path,
                          dir.deletingLastPathComponent().appendingPathComponent("serin").path,
                          repoRoot.appendingPathComponent(".build/debug/serin").path]
        where FileManager.default.isExecutableFile(atPath: candidate) {
            return candidate
        }
        return nil
    }

    static let kubectl = "/usr/bin/kubectl"

    /// Runs a program with a deadline; returns status and combined output.
    static func run(_ executable: String, _ arguments: [String], environment: [String: String],
                    timeout: Duration = .seconds(60)) async throws -> (status: Int32, output: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = arguments
        p.environment = environment
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        p.standardInput = FileHandle.nullDevice
        try p.run()
        let reader = Task.detached { pipe.fileHandleForReading.readDataToEndOfFile() }
        let deadline = ContinuousClock.now + timeout
        while p.isRunning, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        if p.isRunning { p.terminate() }
        p.waitUntilExit()
        let data = await reader.value
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    @Test func argv0DecidesThePluginFace() {
        #expect(SerinCLI.isKubectlPlugin(argv0: "/home/me/.local/bin/kubectl-serin"))
        #expect(SerinCLI.isKubectlPlugin(argv0: "kubectl-serin"))
        #expect(!SerinCLI.isKubectlPlugin(argv0: "/usr/local/bin/serin"))
        #expect(!SerinCLI.isKubectlPlugin(argv0: nil))
    }

    @Test func kubectlRunsThePluginAgainstTheTestServer() async throws {
        guard let serin = Self.serinBinary, FileManager.default.isExecutableFile(atPath: Self.kubectl) else {
            Issue.record("needs the serin binary (swift build) and kubectl (hack/setup)")
            return
        }
        try await CLITestCluster.with { c in
            try await c.create(.canaries, yaml: seedCanaryYAML(), status: progressingStatus)
            let bin = c.directory + "/bin"
            let install = try await Self.run("/bin/bash", [repoRoot.appendingPathComponent("hack/install-kubectl-plugin").path, bin, "--binary", serin],
                                             environment: ["PATH": "/usr/bin:/bin", "HOME": c.directory])
            #expect(install.status == 0)
            #expect(install.output.contains("installed \(bin)/kubectl-serin -> \(serin)"))
            let link = try FileManager.default.destinationOfSymbolicLink(atPath: bin + "/kubectl-serin")
            #expect(link == serin)

            let env = ["PATH": "\(bin):/usr/bin:/bin", "HOME": c.directory, "KUBECONFIG": c.kubeconfig]
            let get = try await Self.run(Self.kubectl, ["serin", "get", "-A"], environment: env)
            #expect(get.status == 0)
            #expect(get.output.contains("NAMESPACE"))
            let row = get.output.split(separator: "\n").first { $0.hasPrefix("microservices") } ?? ""
            #expect(row.contains("user-service-canary") && row.contains("Progressing") && row.contains("15%"))

            let promote = try await Self.run(Self.kubectl, ["serin", "promote", "user-service-canary", "-n", "microservices"], environment: env)
            #expect(promote.status == 0)
            #expect(promote.output.contains("promote requested"))
            let o = try await c.get(.canaries, "microservices", "user-service-canary")
            #expect(o["metadata"]["annotations"][ManualControlAnnotations.promote].stringValue != nil)

            // The plugin face offers the CLI commands only, named as kubectl shows them.
            let help = try await Self.run(Self.kubectl, ["serin", "--help"], environment: env)
            #expect(help.output.contains("USAGE: kubectl serin <subcommand>"))
            #expect(!help.output.contains("operator"))
            let undo = try await Self.run(Self.kubectl, ["serin", "undo", "user-service-canary", "-n", "microservices"], environment: env)
            #expect(undo.status == 1)
            #expect(undo.output.contains("undo applies to Rollouts"))

            let remove = try await Self.run("/bin/bash", [repoRoot.appendingPathComponent("hack/install-kubectl-plugin").path, bin, "--uninstall"],
                                            environment: ["PATH": "/usr/bin:/bin", "HOME": c.directory])
            #expect(remove.status == 0)
            #expect(!FileManager.default.fileExists(atPath: bin + "/kubectl-serin"))
        }
    }

    @Test func serinItselfStillHasEveryCommand() async throws {
        guard let serin = Self.serinBinary else {
            Issue.record("needs the serin binary (swift build)")
            return
        }
        let help = try await Self.run(serin, ["--help"], environment: ["PATH": "/usr/bin:/bin"])
        #expect(help.output.contains("USAGE: serin <subcommand>"))
        for command in ["operator", "tester", "get", "status", "promote", "lint", "simulate"] {
            #expect(help.output.contains("  \(command) "), "serin --help lacks \(command)")
        }
        // The development tools live in serin-dev, not in the binary that runs in clusters.
        for command in ["demo", "dev-cluster", "bench"] {
            #expect(!help.output.contains("  \(command) "), "serin --help still offers \(command)")
        }
    }
}
