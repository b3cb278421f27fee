import Foundation
import Synchronization

/// The real `serin` binary (built next to the test bundle) as a child process.
final class OperatorChild: @unchecked Sendable {
    let process = Process()
    let logPath: String
    let started = ContinuousClock.now

    static var binary: String? {
        let dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for candidate in [dir.appendingPathComponent("serin").path,
                          dir.deletingLastPathComponent().appendingPathComponent("serin").path,
                          repoRoot.appendingPathComponent(".build/debug/serin").path]
        where FileManager.default.isExecutableFile(atPath: candidate) {
            return candidate
        }
        return nil
    }

    /// Starts the binary; its stdout and stderr are appended to `logPath`.
    init(arguments: [String], logPath: String) throws {
        guard let binary = Self.binary else { throw SetupError("build the serin executable first (swift build)") }
        self.logPath = logPath
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        if !FileManager.default.fileExists(atPath: logPath) {
            _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        }
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        log.seekToEndOfFile()
        process.standardOutput = log
        process.standardError = log
        try process.run()
    }

    var pid: Int32 { process.processIdentifier }
    var isRunning: Bool { process.isRunning }

    func kill9() { kill(pid, SIGKILL) }
    func terminate() { kill(pid, SIGTERM) }
    func pause() { kill(pid, SIGSTOP) }
    func resume() { kill(pid, SIGCONT) }

    /// Waits for exit up to `timeout`; nil when still running.
    func waitForExit(timeout: Duration) async -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            if ContinuousClock.now > deadline { return nil }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return process.terminationStatus
    }

    /// How the process ended: `exit N` or `signal N`.
    var ending: String {
        process.isRunning ? "running"
            : process.terminationReason == .exit ? "exit \(process.terminationStatus)" : "signal \(process.terminationStatus)"
    }

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    deinit { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
}
