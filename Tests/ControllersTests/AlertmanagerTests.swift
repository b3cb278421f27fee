import Controllers
import Foundation
import KubeCore
import NIOCore
import NIOPosix
import SerinAPI
import SerinTestSupport
import Testing

/// The `alertmanager` type against a real Alertmanager (Debian's prometheus-alertmanager) on
/// loopback: the alerts Serin posts are read back with `GET /api/v2/alerts`, and the release's
/// success resolves them.
@Suite("Alerts: a real Alertmanager receives and resolves a release's alerts", .serialized, .timeLimit(.minutes(1)),
       .enabled(if: FileManager.default.isExecutableFile(atPath: LocalPeers.alertmanager),
                "needs Debian's prometheus-alertmanager (hack/setup)"))
struct AlertmanagerTests {
    static let binary = LocalPeers.alertmanager
    static let config = """
    route:
      receiver: "null"
      group_wait: 1s
    receivers:
    - name: "null"
    """

    /// A port nothing listens on (bound by the kernel, then released).
    static func freePort() async throws -> Int {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).get()
        let port = channel.localAddress?.port ?? 0
        try await channel.close()
        return port
    }

    static func alerts(_ base: String) async throws -> [JSONValue] {
        try JSONValue(parsing: await runCurl(["-s", "\(base)/api/v2/alerts"])).arrayValue ?? []
    }

    @Test("a warning and an error become two firing alerts with Serin's labels; Succeeded resolves both")
    func firesAndResolves() async throws {
        let rig = try await AlertVendorRig.start()
        let port = try await Self.freePort()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("serin-am-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try Self.config.write(to: dir.appendingPathComponent("am.yml"), atomically: true, encoding: .utf8)
        let am = try LocalPeerProcess(Self.binary, [
            "--config.file=am.yml", "--storage.path=data", "--web.listen-address=127.0.0.1:\(port)",
            "--cluster.listen-address=",
        ], directory: dir)
        defer { am.stop() }
        let base = "http://127.0.0.1:\(port)"
        do {
            let ready = await am.wait { (try? await runCurl(["-sf", "\(base)/-/ready"]))?.isEmpty == false }
            #expect(ready, "Alertmanager did not start: \(am.output)")
            try await rig.provider("am", ["type": "alertmanager", "address": .string(base)])
            let now = Date()
            let out = await rig.deliver([AlertVendorRig.message("NewRevision", .info, at: now),
                                         AlertVendorRig.message("Halt", .warn, at: now),
                                         AlertVendorRig.message("RollingBack", .error, text: "Rolling back shop.ops", at: now)],
                                        to: "am")
            #expect(out.map(\.reason) == ["Halt", "RollingBack"])
            #expect(!out.map(\.sent).contains(false), "\(out)")
            let firing = try await Self.alerts(base)
            #expect(firing.count == 2, "\(firing)")
            let bySeverity = Dictionary(firing.map { ($0["labels"]["severity"].stringValue ?? "", $0) }, uniquingKeysWith: { a, _ in a })
            let critical = try #require(bySeverity["critical"])
            #expect(critical["labels"]["alertname"] == "SerinRelease")
            #expect(critical["labels"]["namespace"] == "ops")
            #expect(critical["labels"]["name"] == "shop")
            #expect(critical["labels"]["kind"] == "Canary")
            #expect(critical["labels"]["release"] == "rev-1")
            #expect(critical["annotations"]["summary"] == "[error] Canary shop.ops: Rolling back shop.ops")
            #expect(critical["annotations"]["target"] == "Deployment/shop.ops")
            #expect(critical["status"]["state"] == "active")
            #expect(bySeverity["warning"]?["annotations"]["reason"] == "Halt")

            let resolved = await rig.deliver([AlertVendorRig.message("Succeeded", .info, at: Date())], to: "am")
            #expect(resolved.map(\.sent) == [true])
            let gone = await am.wait(timeout: .seconds(5)) { ((try? await Self.alerts(base)) ?? [JSONValue.null]).isEmpty }
            let left = (try? await Self.alerts(base)) ?? []
            #expect(gone, "\(left)")
        } catch {
            await rig.stop()
            throw error
        }
        await rig.stop()
    }
}
