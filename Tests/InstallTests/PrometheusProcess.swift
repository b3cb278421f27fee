import Foundation
import KubeCore
#if canImport(Glibc)
import Glibc
import SerinTestSupport
#endif

/// A real Prometheus (Debian's package) scraping one target every second, on a free loopback
/// port, queried with curl.
final class PrometheusProcess: @unchecked Sendable {
    static let binary = "/usr/bin/prometheus"
    static var isInstalled: Bool { FileManager.default.isExecutableFile(atPath: binary) }

    let process = Process()
    let directory: String
    let address: String

    private init(directory: String, address: String) {
        self.directory = directory
        self.address = address
    }

    /// A port the OS just handed out on 127.0.0.1 (Prometheus cannot report one it chose).
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
        guard bound == 0 else { throw POSIXError(.EADDRINUSE) }
        let named = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        guard named == 0 else { throw POSIXError(.EIO) }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    static func start(scraping target: String) async throws -> PrometheusProcess {
        let dir = NSTemporaryDirectory() + "serin-install-prom-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let config = """
        global:
          scrape_interval: 1s
          scrape_timeout: 900ms
        scrape_configs:
          - job_name: serin-metrics
            static_configs:
              - targets: ['\(target)']
                labels: {namespace: serin-system}
            # As the ServiceMonitor's honorLabels: the series' own namespace label wins.
            honor_labels: true
        """
        try config.write(toFile: dir + "/prometheus.yml", atomically: true, encoding: .utf8)
        let port = try freePort()
        let prom = PrometheusProcess(directory: dir, address: "http://127.0.0.1:\(port)")
        let p = prom.process
        // A shell parent that takes Prometheus down with it if this test process dies.
        let me = ProcessInfo.processInfo.processIdentifier
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", """
            "$0" "$@" & child=$!
            trap 'kill $child 2>/dev/null; wait $child; exit 0' TERM INT
            while kill -0 \(me) 2>/dev/null && kill -0 $child 2>/dev/null; do sleep 0.5; done
            kill $child 2>/dev/null; wait $child
            """, binary, "--config.file=\(dir)/prometheus.yml", "--storage.tsdb.path=\(dir)/data",
            "--web.listen-address=127.0.0.1:\(port)", "--log.level=warn"]
        _ = FileManager.default.createFile(atPath: dir + "/prometheus.log", contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: dir + "/prometheus.log"))
        p.standardOutput = log
        p.standardError = log
        p.standardInput = FileHandle.nullDevice
        try p.run()
        let ready = await eventually(timeout: .seconds(20), every: .milliseconds(100)) {
            guard p.isRunning else { return false }
            return (try? await prom.query("1"))?["status"] == "success"
        }
        guard ready else {
            let tail = (try? String(contentsOfFile: dir + "/prometheus.log", encoding: .utf8)) ?? ""
            prom.stop()
            throw PrometheusError(message: "Prometheus did not start on port \(port): \(tail.suffix(1500))")
        }
        return prom
    }

    /// `/api/v1/query` (instant, now): the whole response document.
    func query(_ promql: String) async throws -> JSONValue {
        let r = try await ProcessResult.run("/usr/bin/curl", ["-s", "-m", "5", "--data-urlencode", "query=\(promql)", address + "/api/v1/query"],
                                            timeout: .seconds(10))
        return try JSONValue(parsing: r.output)
    }

    func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(atPath: directory)
    }
}

struct PrometheusError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
