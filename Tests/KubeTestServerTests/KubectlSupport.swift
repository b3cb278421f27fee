import Foundation
import KubeCore
import KubeTestServer
import Synchronization

/// Drives the real kubectl binary against a test server through the kubeconfig it writes.
struct Kubectl: Sendable {
    static let path = "/usr/bin/kubectl"
    static var isInstalled: Bool { FileManager.default.isExecutableFile(atPath: path) }

    let server: TestAPIServer
    let directory: String
    var kubeconfig: String { directory + "/kubeconfig" }

    struct Result: Sendable, CustomStringConvertible {
        var status: Int32
        var stdout: String
        var stderr: String
        var description: String { "exit \(status)\nstdout:\n\(stdout)\nstderr:\n\(stderr)" }
    }

    static func with(_ body: (Kubectl) async throws -> Void) async throws {
        var options = TestAPIServer.Options()
        options.simulateWorkloads = false
        let server = try await TestAPIServer.start(options)
        let dir = NSTemporaryDirectory() + "serin-kubectl-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let k = Kubectl(server: server, directory: dir)
        try server.writeKubeconfig(to: k.kubeconfig)
        do {
            try await body(k)
        } catch {
            try? await server.stop()
            try? FileManager.default.removeItem(atPath: dir)
            throw error
        }
        try await server.stop()
        try? FileManager.default.removeItem(atPath: dir)
    }

    /// Flags every call carries: this server only, a private discovery cache, bounded time.
    var baseArguments: [String] {
        ["--kubeconfig", kubeconfig, "--cache-dir", directory + "/cache", "--request-timeout", "20s"]
    }

    func writeFile(_ name: String, _ text: String) throws -> String {
        let p = directory + "/" + name
        try text.write(toFile: p, atomically: true, encoding: .utf8)
        return p
    }

    /// Runs kubectl to completion (killed after `timeout`).
    func run(_ args: [String], stdin: String? = nil, timeout: Duration = .seconds(30)) async throws -> Result {
        let p = try start(args)
        if let stdin { p.input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try? p.input.fileHandleForWriting.close()
        let killer = Task {
            try? await Task.sleep(for: timeout)
            if !Task.isCancelled, p.process.isRunning { p.process.terminate() }
        }
        let result = await p.finish()
        killer.cancel()
        return result
    }

    /// A running kubectl whose output can be read while it runs (for `get -w`).
    final class Running: Sendable {
        let process: Process
        let input = Pipe()
        private let out = Mutex<[UInt8]>([])
        private let err = Mutex<[UInt8]>([])
        private let done = Mutex<Bool>(false)

        init(_ process: Process) {
            self.process = process
            let outPipe = Pipe()
            let errPipe = Pipe()
            process.standardOutput = outPipe
            process.standardError = errPipe
            process.standardInput = input
            outPipe.fileHandleForReading.readabilityHandler = { [weak self] fh in
                let data = fh.availableData
                if data.isEmpty { fh.readabilityHandler = nil } else { self?.out.withLock { $0 += data } }
            }
            errPipe.fileHandleForReading.readabilityHandler = { [weak self] fh in
                let data = fh.availableData
                if data.isEmpty { fh.readabilityHandler = nil } else { self?.err.withLock { $0 += data } }
            }
        }

        var stdout: String { out.withLock { String(decoding: $0, as: UTF8.self) } }
        var stderr: String { err.withLock { String(decoding: $0, as: UTF8.self) } }

        /// Waits until stdout satisfies `check` or the deadline passes; returns whether it did.
        func waitForOutput(within timeout: Duration, _ check: (String) -> Bool) async -> Bool {
            let deadline = ContinuousClock.now + timeout
            while ContinuousClock.now < deadline {
                if check(stdout) { return true }
                if !process.isRunning { return check(stdout) }
                try? await Task.sleep(for: .milliseconds(50))
            }
            return check(stdout)
        }

        func finish() async -> Result {
            while process.isRunning { try? await Task.sleep(for: .milliseconds(20)) }
            // Let the readability handlers drain what is left in the pipes.
            try? await Task.sleep(for: .milliseconds(50))
            return Result(status: process.terminationStatus, stdout: stdout, stderr: stderr)
        }

        func stop() async -> Result {
            if process.isRunning { process.terminate() }
            return await finish()
        }
    }

    func start(_ args: [String]) throws -> Running {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Self.path)
        p.arguments = baseArguments + args
        var env = ProcessInfo.processInfo.environment
        env["HOME"] = directory
        env.removeValue(forKey: "KUBECONFIG")
        p.environment = env
        let r = Running(p)
        try p.run()
        return r
    }
}
