import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The demo's temporary directory: configs, the kubeconfig, Prometheus storage and one log
/// file per process, so that a failure can point at the right log.
struct DemoWorkspace: Sendable {
    let root: String

    static func create() throws -> DemoWorkspace {
        var template = Array((NSTemporaryDirectory() + "serin-demo-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else {
            throw DemoFailure("could not create a temporary directory in \(NSTemporaryDirectory())")
        }
        return DemoWorkspace(root: String(cString: made))
    }

    func path(_ name: String) -> String { root + "/" + name }

    var kubeconfig: String { path("kubeconfig") }
    var operatorLog: String { path("operator.log") }
    var prometheusLog: String { path("prometheus.log") }
    var haproxyLog: String { path("haproxy.log") }
    var haproxySocket: String { path("haproxy.sock") }

    func write(_ name: String, _ text: String) throws {
        try text.write(toFile: path(name), atomically: true, encoding: .utf8)
    }

    /// The last `lines` lines of a log, for failure reports.
    func tail(_ file: String, lines: Int = 15) -> String {
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { return "" }
        return text.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines).joined(separator: "\n")
    }

    func remove() { try? FileManager.default.removeItem(atPath: root) }
}

/// Why the demo stopped short: printed as the reason, exit code 1.
struct DemoFailure: Error, CustomStringConvertible {
    var description: String
    init(_ message: String) { description = message }
}
