import Foundation
import KubeCore
import KubeTestServer

/// Runs the real `serin` binary (built next to the test bundle) as a child process.
final class OperatorChild: @unchecked Sendable {
    let process = Process()
    let logPath: String

    static var binary: String {
        let dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for candidate in [dir.appendingPathComponent("serin").path,
                          dir.deletingLastPathComponent().appendingPathComponent("serin").path]
        where FileManager.default.isExecutableFile(atPath: candidate) {
            return candidate
        }
        return ".build/debug/serin"
    }

    init(arguments: [String], logPath: String) throws {
        self.logPath = logPath
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = arguments
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        process.standardOutput = log
        process.standardError = log
        try process.run()
    }

    func kill9() { kill(process.processIdentifier, SIGKILL) }
    func terminate() { kill(process.processIdentifier, SIGTERM) }

    /// Waits for exit up to `timeout`; nil when still running.
    func waitForExit(timeout: Duration) async -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            if ContinuousClock.now > deadline { return nil }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return process.terminationStatus
    }

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    deinit { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
}

/// A test API server with a kubeconfig on disk and the operator's namespace.
struct OperatorTestCluster {
    let server: TestAPIServer
    let dir: String
    var kubeconfig: String { dir + "/kubeconfig" }

    static func start() async throws -> OperatorTestCluster {
        let server = try await TestAPIServer.start()
        let dir = NSTemporaryDirectory() + "serin-op-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try server.writeKubeconfig(to: dir + "/kubeconfig")
        _ = try await server.api.create(.namespaces, namespace: nil, ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": "serin-system"]])
        return OperatorTestCluster(server: server, dir: dir)
    }

    func operatorArgs(identity: String, extra: [String] = []) -> [String] {
        ["operator", "--kubeconfig", kubeconfig, "--identity", identity,
         "--metrics-address", "127.0.0.1:0", "--health-address", "127.0.0.1:0",
         "--lease-duration", "3", "--renew-deadline", "2", "--retry-period", "0.25"] + extra
    }

    func leaseHolder() async -> String? {
        let lease = try? await server.api.get(.leases, namespace: "serin-system", name: "serin-operator")
        return lease?["spec"]["holderIdentity"].stringValue
    }

    /// Polls until the lease holder is `identity`; returns the time it took, nil at the deadline.
    func waitForHolder(_ identity: String, within limit: Duration) async -> Duration? {
        let start = ContinuousClock.now
        while ContinuousClock.now - start < limit {
            if await leaseHolder() == identity { return ContinuousClock.now - start }
            try? await Task.sleep(for: .milliseconds(25))
        }
        return nil
    }
}
