import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A process the demo started (Prometheus, HAProxy, the operator), its output in a log file.
/// `stop` always ends it: SIGTERM, then SIGKILL after a grace period.
final class DemoChildProcess: @unchecked Sendable {
    let name: String
    let logPath: String
    // Process is used from one task at a time (start, polls of isRunning, stop).
    private let process: Process

    init(name: String, executable: String, arguments: [String], logPath: String,
         environment: [String: String]? = nil) throws {
        self.name = name
        self.logPath = logPath
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            throw DemoFailure("\(name): \(executable) is not installed (run hack/setup)")
        }
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = arguments
        p.standardInput = FileHandle.nullDevice
        p.standardOutput = log
        p.standardError = log
        if let environment { p.environment = environment }
        do {
            try p.run()
        } catch {
            throw DemoFailure("\(name): could not start \(executable): \(error)")
        }
        try? log.close()
        process = p
    }

    var pid: Int32 { process.processIdentifier }
    var isRunning: Bool { process.isRunning }

    /// "exited with status 1" or "killed by signal 9", once it has ended.
    var exitDescription: String {
        if process.isRunning { return "running" }
        switch process.terminationReason {
        case .exit: return "exited with status \(process.terminationStatus)"
        case .uncaughtSignal: return "killed by signal \(process.terminationStatus)"
        @unknown default: return "ended (\(process.terminationStatus))"
        }
    }

    /// SIGTERM, wait up to `grace`, then SIGKILL and wait up to two more seconds. Safe to call
    /// from a cancelled task (waits use the wall clock, not Task.sleep).
    func stop(grace: Double = 5) {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGTERM)
        if waitForExit(seconds: grace) { return }
        kill(process.processIdentifier, SIGKILL)
        _ = waitForExit(seconds: 2)
    }

    private func waitForExit(seconds: Double) -> Bool {
        let end = Date().addingTimeInterval(seconds)
        while process.isRunning, Date() < end { usleep(20_000) }
        return !process.isRunning
    }
}
