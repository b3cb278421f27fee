import HTTPServing
import Prometheus

/// `/healthz`, `/readyz` and `/metrics` for the kubelet and Prometheus.
///
/// Kept on its own small server so that a stuck reconcile can never stop the liveness probe
/// from answering.
public final class OpsServer: Sendable {
    public typealias Check = @Sendable () -> (ok: Bool, detail: String)

    let server: LocalHTTPServer
    public var port: Int { server.port }

    public static func start(host: String, port: Int, registry: PrometheusCollectorRegistry,
                             live: @escaping Check, ready: @escaping Check) async throws -> OpsServer {
        let server = try await LocalHTTPServer.start(host: host, port: port, backlog: 64) { request in
            respond(request.path, registry: registry, live: live, ready: ready)
        }
        return OpsServer(server: server)
    }

    init(server: LocalHTTPServer) { self.server = server }

    public func stop() async { await server.stop() }

    static func respond(_ path: String, registry: PrometheusCollectorRegistry, live: Check, ready: Check) -> HTTPServerResponse {
        switch path {
        case "/healthz", "/livez":
            let (ok, detail) = live()
            return HTTPServerResponse(status: ok ? 200 : 503, text: ok ? "ok\n" : "unhealthy: \(detail)\n")
        case "/readyz":
            let (ok, detail) = ready()
            return HTTPServerResponse(status: ok ? 200 : 503, text: ok ? "ok\n" : "not ready: \(detail)\n")
        case "/metrics":
            return HTTPServerResponse(contentType: "text/plain; version=0.0.4; charset=utf-8", body: registry.emitToBuffer())
        default:
            return HTTPServerResponse(status: 404, text: "not found; try /healthz, /readyz or /metrics\n")
        }
    }
}
