import Foundation
import HTTPServing
import Synchronization

/// A stand-in Prometheus on 127.0.0.1 whose answers the test scripts per query: a value,
/// no data, a raw (possibly garbage) body, or an answer held back for a while. Every query
/// is logged with the time it arrived, so tests can count the checks that preceded a step.
final class ScriptedPrometheus: Sendable {
    enum Answer: Sendable {
        /// A one-sample vector (nil: an empty vector, "no data").
        case value(Double?)
        case raw(status: Int, contentType: String, body: String)
        indirect case delayed(Duration, Answer)
    }
    typealias Script = @Sendable (_ query: String) -> Answer

    struct Query: Sendable {
        var time: Double
        var text: String
    }

    private let server = Mutex<LocalHTTPServer?>(nil)
    private let log = Mutex<[Query]>([])
    private let script = Mutex<Script>({ _ in .value(100) })

    var port: Int { server.withLock { $0?.port ?? 0 } }
    var address: String { "http://127.0.0.1:\(port)" }
    var queries: [Query] { log.withLock { $0 } }

    func setScript(_ s: @escaping Script) { script.withLock { $0 = s } }

    private init() {}

    static func start() async throws -> ScriptedPrometheus {
        let prometheus = ScriptedPrometheus()
        let server = try await LocalHTTPServer.start { [prometheus] request in await prometheus.answer(request) }
        prometheus.server.withLock { $0 = server }
        return prometheus
    }

    func stop() async { await server.withLock { $0 }?.stop() }

    /// The Prometheus JSON for an instant query answer.
    static func body(_ value: Double?) -> String {
        let result = value.map { #"[{"metric":{},"value":[1800000000,"\#($0)"]}]"# } ?? "[]"
        return #"{"status":"success","data":{"resultType":"vector","result":\#(result)}}"#
    }

    /// The scripted answer to a query sent in the form body or the query string, after its delay.
    func answer(_ request: HTTPServerRequest) async -> HTTPServerResponse {
        let query = HTTPServerRequest.fields(String(decoding: request.body, as: UTF8.self))["query"] ?? request.query["query"]
        if let query { log.withLock { $0.append(Query(time: TestTime.now, text: query)) } }
        var a: Answer = query.map { q in script.withLock { $0 }(q) }
            ?? .raw(status: 400, contentType: "application/json", body: #"{"status":"error","errorType":"bad_data","error":"no query"}"#)
        while case .delayed(let d, let inner) = a {
            try? await Task.sleep(for: d)
            a = inner
        }
        switch a {
        case .value(let v): return HTTPServerResponse(contentType: "application/json", text: Self.body(v))
        case .raw(let status, let contentType, let body): return HTTPServerResponse(status: status, contentType: contentType, text: body)
        case .delayed: return HTTPServerResponse(status: 500, text: "unreachable")
        }
    }
}
