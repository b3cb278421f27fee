import Foundation

/// A peer program (an SMTP server, Alertmanager) the test starts on loopback and stops at
/// the end; its output goes to a file so that a failure can show it.
final class LocalPeerProcess: @unchecked Sendable {
    let process = Process()
    let directory: URL
    let log: URL

    /// Starts `executable` with `arguments` in a fresh temporary directory (its working directory).
    init(_ executable: String, _ arguments: [String], directory: URL? = nil) throws {
        let dir = directory ?? FileManager.default.temporaryDirectory.appendingPathComponent("serin-peer-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        self.directory = dir
        log = dir.appendingPathComponent("output.log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = dir
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
    }

    var output: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

    /// Waits until `probe` holds (polling), or gives up after `timeout`.
    func wait(timeout: Duration = .seconds(10), _ probe: () async -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if await probe() { return true }
            if !process.isRunning { return false }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return false
    }

    func stop() {
        // SIGKILL: a peer's own shutdown is not under test, and must not hang the suite.
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: directory)
    }

    /// Runs a short command to its end; its exit status.
    @discardableResult
    static func run(_ executable: String, _ arguments: [String], in dir: URL) throws -> Int32 {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = arguments
        p.currentDirectoryURL = dir
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        return p.terminationStatus
    }
}

/// The Debian peers the alert tests run against (hack/setup installs them).
enum LocalPeers {
    static let alertmanager = "/usr/bin/prometheus-alertmanager"
    static var smtpAvailable: Bool {
        FileManager.default.fileExists(atPath: "/usr/lib/python3/dist-packages/aiosmtpd/__init__.py")
            && FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl")
    }
}
