import Foundation
import HTTPServing
import Synchronization

/// A request as the scripted server saw it.
struct ScriptedRequest: Sendable {
    var method: String
    var path: String
    var body: String
    /// Header values by lower-cased name.
    var headers: [String: String] = [:]
    /// What follows `?` in the request target.
    var query: String = ""

    /// `application/x-www-form-urlencoded` body fields.
    var form: [String: String] { HTTPServerRequest.fields(body) }
}

/// An HTTP/1.1 server on 127.0.0.1 whose answers a test scripts with a closure (a fake
/// Prometheus, webhook receivers). Every request is logged.
final class ScriptedHTTPServer: Sendable {
    typealias Handler = @Sendable (ScriptedRequest) -> (status: Int, body: String)
    private let server = Mutex<LocalHTTPServer?>(nil)
    private let log = Mutex<[ScriptedRequest]>([])
    private let handler = Mutex<Handler>({ _ in (404, "not found\n") })

    var port: Int { server.withLock { $0?.port ?? 0 } }
    var baseURL: String { "http://127.0.0.1:\(port)" }
    var requests: [ScriptedRequest] { log.withLock { $0 } }

    func script(_ h: @escaping Handler) { handler.withLock { $0 = h } }

    private init() {}

    static func start() async throws -> ScriptedHTTPServer {
        let scripted = ScriptedHTTPServer()
        let server = try await LocalHTTPServer.start { [scripted] request in
            var headers: [String: String] = [:]
            for (name, value) in request.headers { headers[name.lowercased()] = value }
            let req = ScriptedRequest(method: request.method, path: request.path, body: String(decoding: request.body, as: UTF8.self),
                                      headers: headers, query: request.rawQuery)
            scripted.log.withLock { $0.append(req) }
            let (status, text) = scripted.handler.withLock { $0 }(req)
            return HTTPServerResponse(status: status, contentType: "application/json", text: text)
        }
        scripted.server.withLock { $0 = server }
        return scripted
    }

    func stop() async { await server.withLock { $0 }?.stop() }
}

/// A fake Prometheus: answers `/api/v1/query` for the three builtin checks with values the
/// test sets (nil: an empty vector, "no data").
final class FakePrometheus: Sendable {
    struct Values: Sendable {
        var successRate: Double? = 99.9
        var durationMs: Double? = 120
        var errorRate: Double? = 0.1
    }
    let server: ScriptedHTTPServer
    private let values = Mutex(Values())

    var address: String { server.baseURL }
    var queries: [String] { server.requests.compactMap { $0.form["query"] } }

    func set(_ f: (inout Values) -> Void) { values.withLock { f(&$0) } }

    private init(server: ScriptedHTTPServer) { self.server = server }

    static func start() async throws -> FakePrometheus {
        let server = try await ScriptedHTTPServer.start()
        let prom = FakePrometheus(server: server)
        server.script { [prom] req in
            guard req.path == "/api/v1/query", let q = req.form["query"] else { return (404, "{}") }
            let v = prom.values.withLock { $0 }
            let value: Double?
            if q.contains("histogram_quantile") {
                value = v.durationMs
            } else if q.contains("!~\"5..\"") {
                value = v.successRate
            } else if q.contains("=~\"5..\"") {
                value = v.errorRate
            } else {
                return (400, #"{"status":"error","errorType":"bad_data","error":"unknown query"}"#)
            }
            let result = value.map { #"[{"metric":{},"value":[1800000000,"\#($0)"]}]"# } ?? "[]"
            return (200, #"{"status":"success","data":{"resultType":"vector","result":\#(result)}}"#)
        }
        return prom
    }

    func stop() async { await server.stop() }
}
