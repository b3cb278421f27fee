import Foundation

/// The in-repo application for analysis tests and demos: serves `/` and `/api/...` with a
/// configurable fraction of 500s and added latency, exports `/metrics` (Prometheus text),
/// and takes `/admin/config?errorRate=0.1&latencyMs=600` at runtime.
public final class TestApp: Sendable {
    public struct Config: Sendable, Hashable {
        /// Fraction of `/` and `/api/...` answers that are 500, 0...1. Spread evenly (every
        /// tenth request at 0.1), so that short runs show the configured rate.
        public var errorRate: Double
        /// Added latency in milliseconds.
        public var latencyMs: Double
        public init(errorRate: Double = 0, latencyMs: Double = 0) {
            self.errorRate = errorRate
            self.latencyMs = latencyMs
        }
    }

    public let service: String
    public let port: Int
    public let metrics: RequestMetrics
    private let state: LockedState
    private let server: SmallHTTPServer

    public var baseURL: String { "http://127.0.0.1:\(port)" }

    private init(service: String, port: Int, metrics: RequestMetrics, state: LockedState, server: SmallHTTPServer) {
        self.service = service
        self.port = port
        self.metrics = metrics
        self.state = state
        self.server = server
    }

    /// Starts on 127.0.0.1 with a port the OS chooses.
    public static func start(service: String, config: Config = Config()) async throws -> TestApp {
        let metrics = RequestMetrics(service: service)
        let state = LockedState(config)
        let server = try await SmallHTTPServer.start(
            route: { req in route(req, state: state, metrics: metrics) },
            onSent: { req, resp, seconds in
                if isApp(req.path) { metrics.observe(status: resp.status, seconds: seconds) }
            })
        return TestApp(service: service, port: server.port, metrics: metrics, state: state, server: server)
    }

    public var config: Config {
        get { state.config }
    }

    public func setConfig(_ c: Config) { state.set(c) }

    public func stop() async { await server.stop() }

    static func isApp(_ path: String) -> Bool { path == "/" || path == "/api" || path.hasPrefix("/api/") }

    static func route(_ req: SmallHTTPRequest, state: LockedState, metrics: RequestMetrics) -> SmallHTTPResponse {
        if isApp(req.path) {
            let (fail, latency) = state.nextRequest()
            return SmallHTTPResponse(status: fail ? 500 : 200, body: fail ? "error\n" : "ok\n", delaySeconds: latency)
        }
        switch req.path {
        case "/metrics":
            return SmallHTTPResponse(contentType: "text/plain; version=0.0.4; charset=utf-8", body: metrics.exposition())
        case "/healthz":
            return SmallHTTPResponse(body: "ok\n")
        case "/admin/config":
            var c = state.config
            if let s = req.query["errorRate"] {
                guard let v = Double(s), v >= 0, v <= 1 else {
                    return SmallHTTPResponse(status: 400, body: "errorRate must be a number in 0...1\n")
                }
                c.errorRate = v
            }
            if let s = req.query["latencyMs"] {
                guard let v = Double(s), v >= 0, v <= 60_000 else {
                    return SmallHTTPResponse(status: 400, body: "latencyMs must be a number in 0...60000\n")
                }
                c.latencyMs = v
            }
            state.set(c)
            return SmallHTTPResponse(contentType: "application/json",
                                     body: "{\"errorRate\":\(c.errorRate),\"latencyMs\":\(c.latencyMs)}\n")
        default:
            return SmallHTTPResponse(status: 404, body: "not found\n")
        }
    }
}

final class LockedState: @unchecked Sendable {
    private let lock = NSLock()
    private var current: TestApp.Config
    private var served = 0
    private var failed = 0

    init(_ c: TestApp.Config) { current = c }

    var config: TestApp.Config {
        lock.lock()
        defer { lock.unlock() }
        return current
    }

    func set(_ c: TestApp.Config) {
        lock.lock()
        current = c
        served = 0
        failed = 0
        lock.unlock()
    }

    /// Whether this request fails, keeping failures at `errorRate` of requests so far; and its latency.
    func nextRequest() -> (Bool, Double) {
        lock.lock()
        defer { lock.unlock() }
        served += 1
        let fail = Double(failed + 1) <= current.errorRate * Double(served) + 1e-9
        if fail { failed += 1 }
        return (fail, current.latencyMs / 1000)
    }
}
