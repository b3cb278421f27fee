import Foundation
import KubeCore
#if canImport(Glibc)
import Glibc
#endif

/// `serin operator` as a child process against the bench cluster, with leader election on.
struct BenchOperator: Sendable {
    let process: ChildProcess
    let healthPort: Int

    static func start(options: BenchOptions, cluster: BenchCluster, logName: String) throws -> BenchOperator {
        let port = try FreePort.pick()
        let address = "127.0.0.1:\(port)"
        let process = try ChildProcess(
            name: "operator", executable: options.serinBinary,
            arguments: [
                "operator", "--kubeconfig", cluster.kubeconfig,
                "--metrics-server", cluster.prometheus.baseURL, "--provider", "gatewayapi",
                "--leader-elect", "true", "--lease-namespace", BenchManifests.leaseNamespace,
                "--kube-api-qps", "\(options.operatorQPS)", "--kube-api-burst", "\(options.operatorBurst)",
                "--workers", "\(options.operatorWorkers)",
                // One ops server for /metrics, /healthz and /readyz.
                "--metrics-address", address, "--health-address", address,
                "--log-format", "json", "--log-level", "info",
            ],
            logPath: options.workDirectory + "/\(logName).log")
        return BenchOperator(process: process, healthPort: port)
    }

    var pid: Int32 { process.pid }

    func checkRunning() throws {
        if !process.isRunning {
            throw BenchFailure("the operator \(process.exitDescription) (log: \(process.logPath))")
        }
    }

    /// Whether GET /readyz answers 200 (caches synced).
    func isReady() -> Bool { HTTPProbe.status(port: healthPort, path: "/readyz") == 200 }

    /// Polls /readyz every 10 ms; the wall-clock time of the first 200, nil at the limit.
    func waitReady(deadline: BenchDeadline, limit: Duration) async throws -> Date? {
        var seen: Date?
        _ = try await deadline.wait(limit: limit, every: .milliseconds(10)) {
            try checkRunning()
            if isReady() {
                seen = Date()
                return true
            }
            return false
        }
        return seen
    }

    /// Sum and count of `serin_reconcile_duration_seconds` for `controller` from /metrics.
    func reconcileDurations(controller: String) -> (sum: Double, count: Double)? {
        guard let r = HTTPProbe.get(port: healthPort, path: "/metrics"), r.status == 200 else { return nil }
        var sum: Double?
        var count: Double?
        for line in r.body.split(separator: "\n") where line.hasPrefix("serin_reconcile_duration_seconds_")
            && line.contains("controller=\"\(controller)\"")
        {
            guard let value = line.split(separator: " ").last.flatMap({ Double($0) }) else { continue }
            if line.hasPrefix("serin_reconcile_duration_seconds_sum") { sum = value }
            if line.hasPrefix("serin_reconcile_duration_seconds_count") { count = value }
        }
        guard let sum, let count else { return nil }
        return (sum, count)
    }

    /// Time of the first log line whose `msg` is `message` (from its `ts`).
    func logTime(of message: String) -> Date? {
        for line in process.logLines() where line.contains(message) {
            guard let obj = try? JSONValue(parsing: line), obj["msg"].stringValue == message,
                let ts = obj["ts"].stringValue
            else { continue }
            if let d = KubeTime.parse(ts) { return d }
        }
        return nil
    }

    /// Log lines at warning level or above (to explain a failed measurement).
    func problems(limit: Int = 5) -> [String] {
        Array(process.logLines().filter { $0.contains(#""level":"warning""#) || $0.contains(#""level":"error""#) }
            .prefix(limit))
    }

    func stop() { process.stop(grace: 20) }
}

/// A blocking HTTP/1.0 GET on 127.0.0.1 with a short timeout.
enum HTTPProbe {
    /// The status code, or nil.
    static func status(port: Int, path: String, timeoutMillis: Int = 500) -> Int? {
        get(port: port, path: path, timeoutMillis: timeoutMillis, maxBytes: 64)?.status
    }

    /// Status and body (read until the server closes, at most `maxBytes`), or nil.
    static func get(port: Int, path: String, timeoutMillis: Int = 2000, maxBytes: Int = 8 << 20) -> (status: Int, body: String)? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var tv = timeval(tv_sec: timeoutMillis / 1000, tv_usec: (timeoutMillis % 1000) * 1000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { return nil }
        let request = Array("GET \(path) HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n".utf8)
        guard request.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, 0) }) == request.count else { return nil }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        while received.count < maxBytes {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            received += buffer[0..<n]
        }
        guard received.count > 12 else { return nil }
        // "HTTP/1.1 200 OK"
        let text = String(decoding: received, as: UTF8.self)
        let parts = text.prefix(32).split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, let status = Int(parts[1]) else { return nil }
        let body = text.range(of: "\r\n\r\n").map { String(text[$0.upperBound...]) } ?? ""
        return (status, body)
    }
}
