import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A child process the bench or the demo started (the operator, Prometheus, HAProxy), its
/// output in a log file. `stop` always ends it: SIGTERM, then SIGKILL after a grace period.
/// Only this PID is ever signalled.
public final class ChildProcess: @unchecked Sendable {
    public let name: String
    public let logPath: String
    /// Wall-clock time just before the process was spawned.
    public let startedAt: Date
    // Used from one task at a time (start, polls, stop).
    private let process: Process

    public init(name: String, executable: String, arguments: [String], logPath: String,
                environment: [String: String]? = nil) throws {
        self.name = name
        self.logPath = logPath
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            throw BenchFailure("\(name): \(executable) is not installed or not executable (hack/setup installs what Serin needs)")
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
        startedAt = Date()
        do {
            try p.run()
        } catch {
            throw BenchFailure("\(name): could not start \(executable): \(error)")
        }
        try? log.close()
        process = p
    }

    public var pid: Int32 { process.processIdentifier }
    public var isRunning: Bool { process.isRunning }

    /// "exited with status 1" or "killed by signal 9", once it has ended.
    public var exitDescription: String {
        if process.isRunning { return "running" }
        switch process.terminationReason {
        case .exit: return "exited with status \(process.terminationStatus)"
        case .uncaughtSignal: return "killed by signal \(process.terminationStatus)"
        @unknown default: return "ended (\(process.terminationStatus))"
        }
    }

    /// SIGTERM, wait up to `grace`, then SIGKILL. Waits use the wall clock (safe when cancelled).
    public func stop(grace: Double = 20) {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGTERM)
        if waitForExit(seconds: grace) { return }
        kill(process.processIdentifier, SIGKILL)
        _ = waitForExit(seconds: 5)
    }

    private func waitForExit(seconds: Double) -> Bool {
        let end = Date().addingTimeInterval(seconds)
        while process.isRunning, Date() < end { usleep(20_000) }
        return !process.isRunning
    }

    /// Resident set size in bytes (`VmRSS` of /proc/PID/status).
    var residentBytes: Double? { ProcStats.residentBytes(pid: pid) }
    /// User + system CPU seconds so far (/proc/PID/stat).
    var cpuSeconds: Double? { ProcStats.cpuSeconds(pid: pid) }

    /// The log's lines so far.
    func logLines() -> [String] {
        guard let text = try? String(contentsOfFile: logPath, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").map(String.init)
    }
}

/// Figures of a process from /proc.
enum ProcStats {
    static func residentBytes(pid: Int32) -> Double? { field("VmRSS", pid: pid) }

    /// A `kB` field of /proc/PID/status (`VmRSS`, `RssAnon`, `RssFile`) in bytes.
    static func field(_ name: String, pid: Int32) -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix(name + ":") {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            if fields.count >= 2, let kb = Double(fields[1]) { return kb * 1024 }
        }
        return nil
    }

    /// utime + stime in seconds. The command name (field 2) may hold spaces, so fields are
    /// counted after its closing parenthesis.
    static func cpuSeconds(pid: Int32) -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = text.lastIndex(of: ")")
        else { return nil }
        let rest = text[text.index(after: close)...].split(separator: " ", omittingEmptySubsequences: true)
        // rest[0] is field 3 (state); utime and stime are fields 14 and 15.
        guard rest.count > 12, let utime = Double(rest[11]), let stime = Double(rest[12]) else { return nil }
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        return (utime + stime) / (ticks > 0 ? ticks : 100)
    }

    /// Threads of the process (`Threads:` of /proc/PID/status).
    static func threads(pid: Int32) -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("Threads:") {
            return Int(line.split(separator: "\t").last.map { $0.trimmingCharacters(in: .whitespaces) } ?? "")
        }
        return nil
    }
}

/// A free TCP port on 127.0.0.1 (bound, read and released; the child binds it next).
public enum FreePort {
    public static func pick() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw BenchFailure("socket() failed") }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { throw BenchFailure("bind() failed") }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        guard named == 0 else { throw BenchFailure("getsockname() failed") }
        return Int(UInt16(bigEndian: addr.sin_port))
    }
}

/// A failure that stops the bench, with a message a person can act on.
public struct BenchFailure: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ message: String) { description = message }
}
