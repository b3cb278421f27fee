import Controllers
import Foundation
import HTTPServing
import KubeCore
import KubeRuntime
import Logging
import Metrics
import NIOCore
import NIOHTTP1
import NIOPosix
import SerinAPI
import Synchronization

/// A server that accepts connections and reads requests but never answers: a provider that hangs.
final class SilentHTTPServer: Sendable {
    private let server = Mutex<LocalHTTPServer?>(nil)
    private let seen = Mutex(0)

    var port: Int { server.withLock { $0?.port ?? 0 } }
    var baseURL: String { "http://127.0.0.1:\(port)" }
    /// Requests that arrived.
    var requests: Int { seen.withLock { $0 } }

    private init() {}

    static func start() async throws -> SilentHTTPServer {
        let silent = SilentHTTPServer()
        let server = try await LocalHTTPServer.start { [silent] _ in
            silent.seen.withLock { $0 += 1 }
            // Hold the request until the server stops (cancellation ends the wait).
            try? await Task.sleep(for: .seconds(3600))
            return HTTPServerResponse(status: 503, text: "stopped\n")
        }
        silent.server.withLock { $0 = server }
        return silent
    }

    func stop() async { await server.withLock { $0 }?.stop() }
}

/// Counters by label and dimensions; every other metric is dropped.
final class CountingMetrics: MetricsFactory {
    final class Store: Sendable {
        let counts = Mutex<[String: Int64]>([:])
    }
    private let store = Store()

    static func key(_ label: String, _ dims: [(String, String)]) -> String {
        label + "{" + dims.sorted { $0.0 < $1.0 }.map { "\($0.0)=\($0.1)" }.joined(separator: ",") + "}"
    }

    func value(_ label: String, _ dims: [(String, String)]) -> Int64 {
        store.counts.withLock { $0[Self.key(label, dims)] ?? 0 }
    }

    func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        Handler(key: Self.key(label, dimensions), store: store)
    }
    func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        NOOPMetricsHandler.instance
    }
    func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler { NOOPMetricsHandler.instance }
    func destroyCounter(_ handler: any CounterHandler) {}
    func destroyRecorder(_ handler: any RecorderHandler) {}
    func destroyTimer(_ handler: any TimerHandler) {}

    final class Handler: CounterHandler {
        let key: String
        let store: Store
        init(key: String, store: Store) {
            self.key = key
            self.store = store
        }
        func increment(by amount: Int64) { store.counts.withLock { $0[key, default: 0] += amount } }
        func reset() { store.counts.withLock { $0[key] = 0 } }
    }
}

/// Every log line (message and metadata), to check what is and is not logged.
final class CapturedLogs: Sendable {
    private let lines = Mutex<[String]>([])
    var all: [String] { lines.withLock { $0 } }
    func append(_ line: String) { lines.withLock { $0.append(line) } }

    func handler(label: String) -> any LogHandler { Handler(logs: self) }

    struct Handler: LogHandler {
        let logs: CapturedLogs
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .debug
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            let merged = metadata.merging(event.metadata ?? [:]) { $1 }
            let meta = merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            logs.append("\(event.level) \(event.message) \(meta)")
        }
    }
}
