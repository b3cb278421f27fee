import Logging
import Synchronization
import Testing
import KubeCore
@testable import SerinOperator

@Suite struct JSONLogHandlerTests {
    final class Lines: Sendable {
        let lines = Mutex<[String]>([])
        func append(_ s: String) { lines.withLock { $0.append(s) } }
        var all: [String] { lines.withLock { $0 } }
    }

    @Test func oneObjectPerLineWithContextAndNoSecrets() throws {
        let sink = Lines()
        var logger = Logger(label: "test") { JSONLogHandler(label: $0, level: .debug, sink: sink.append) }
        logger[metadataKey: "namespace"] = "shop"
        logger.info("Advance canary weight 10 → 15", metadata: [
            "name": "podinfo", "kind": "Canary", "reconcile_id": "r-1", "token": "s3cr3t",
            "headers": ["Authorization": "Bearer abc"],
        ])
        logger.debug("hidden?")
        logger.logLevel = .info
        logger.debug("not emitted")
        #expect(sink.all.count == 2)
        let first = try JSONValue(parsing: sink.all[0])
        #expect(first["msg"] == "Advance canary weight 10 → 15")
        #expect(first["level"] == "info")
        #expect(first["namespace"] == "shop")
        #expect(first["name"] == "podinfo")
        #expect(first["kind"] == "Canary")
        #expect(first["reconcile_id"] == "r-1")
        #expect(first["ts"].stringValue?.hasSuffix("Z") == true)
        #expect(!sink.all[0].contains("s3cr3t"))
        #expect(!sink.all[0].contains("Bearer abc"))
        #expect(!sink.all[0].contains("\n"))
    }
}
