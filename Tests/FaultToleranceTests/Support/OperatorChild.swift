import Foundation
import Synchronization

/// The real `serin` binary (built next to the test bundle) as a child process.
final class OperatorChild: @unchecked Sendable {
    let process = Process()
    let logPath: String
    let started = ContinuousClock.now

    /// A private copy of the built binary, taken once per test run: a rebuild while the tests
    /// run (a shared build directory) can neither swap the operator mid-test nor make an exec
    /// fail with "text file busy".
    static let binary: String? = {
        let dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for candidate in [dir.appendingPathComponent("serin").path,
                          dir.deletingLastPathComponent().appendingPathComponent("serin").path,
                          repoRoot.appendingPathComponent(".build/debug/serin").path]
        where FileManager.default.isExecutableFile(atPath: candidate) {
            let fm = FileManager.default
            let attributes = try? fm.attributesOfItem(atPath: candidate)
            let size = (attributes?[.size] as? NSNumber)?.intValue ?? 0
            let mtime = Int((attributes?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0)
            let tmp = NSTemporaryDirectory()
            let copy = tmp + "serin-fault-bin-\(size)-\(mtime)"
            if fm.isExecutableFile(atPath: copy) { return copy }
            // Copies of older builds, unused for a while, go.
            for old in (try? fm.contentsOfDirectory(atPath: tmp)) ?? [] where old.hasPrefix("serin-fault-bin-") {
                let date = (try? fm.attributesOfItem(atPath: tmp + old))?[.modificationDate] as? Date
                if let date, Date().timeIntervalSince(date) > 600 { try? fm.removeItem(atPath: tmp + old) }
            }
            let partial = copy + ".\(getpid())"
            guard (try? fm.copyItem(atPath: candidate, toPath: partial)) != nil,
                  (try? fm.moveItem(atPath: partial, toPath: copy)) != nil || fm.isExecutableFile(atPath: copy)
            else { return candidate }
            return copy
        }
        return nil
    }()

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
