import Foundation

/// The package root (this file is Tests/SerinTestSupport/OperatorChild.swift).
public let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

/// The real `serin` binary (built next to the test bundle) as a child process, its stdout and
/// stderr appended to a log file. The one child-process type of the test targets.
public final class OperatorChild: @unchecked Sendable {
    public let process = Process()
    public let logPath: String
    public let started = ContinuousClock.now

    /// A private copy of the built binary, taken once per test run: a rebuild while the tests
    /// run (a shared build directory) can neither swap the operator mid-test nor make an exec
    /// fail with "text file busy".
    public static let binary: String? = {
        let dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for candidate in [dir.appendingPathComponent("serin").path,
                          dir.deletingLastPathComponent().appendingPathComponent("serin").path,
                          packageRoot.appendingPathComponent(".build/debug/serin").path]
        where FileManager.default.isExecutableFile(atPath: candidate) {
            let fm = FileManager.default
            let attributes = try? fm.attributesOfItem(atPath: candidate)
            let size = (attributes?[.size] as? NSNumber)?.intValue ?? 0
            let mtime = Int((attributes?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0)
            let tmp = NSTemporaryDirectory()
            let copy = tmp + "serin-test-bin-\(size)-\(mtime)"
            if fm.isExecutableFile(atPath: copy) { return copy }
            // Copies of older builds, unused for a while, go.
            for old in (try? fm.contentsOfDirectory(atPath: tmp)) ?? [] where old.hasPrefix("serin-test-bin-") {
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

    public struct MissingBinary: Error, CustomStringConvertible {
        public var description: String { "build the serin executable first (swift build)" }
    }

    /// Starts `binary` (default: the built `serin`) with `arguments`.
    public init(binary: String? = nil, arguments: [String], logPath: String) throws {
        guard let path = binary ?? Self.binary else { throw MissingBinary() }
        self.logPath = logPath
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        if !FileManager.default.fileExists(atPath: logPath) {
            _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        }
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        log.seekToEndOfFile()
        process.standardOutput = log
        process.standardError = log
        try process.run()
    }

    public var pid: Int32 { process.processIdentifier }
    public var isRunning: Bool { process.isRunning }

    public func kill9() { if process.isRunning { kill(pid, SIGKILL) } }
    public func terminate() { if process.isRunning { kill(pid, SIGTERM) } }
    public func pause() { kill(pid, SIGSTOP) }
    public func resume() { kill(pid, SIGCONT) }

    /// Waits for exit up to `timeout`; nil when still running.
    public func waitForExit(timeout: Duration) async -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            if ContinuousClock.now > deadline { return nil }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return process.terminationStatus
    }

    /// How the process ended: `exit N` or `signal N`.
    public var ending: String {
        process.isRunning ? "running"
            : process.terminationReason == .exit ? "exit \(process.terminationStatus)" : "signal \(process.terminationStatus)"
    }

    public var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// The port `/metrics` listens on, from the operator's startup log line.
    public var metricsPort: Int? {
        let text = log
        guard let r = text.range(of: "\"metrics_port\":\"") else { return nil }
        return Int(text[r.upperBound...].prefix { $0.isNumber })
    }

    deinit { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
}
