import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
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
    var form: [String: String] {
        var out: [String: String] = [:]
        for pair in body.split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1).map(String.init)
            func decode(_ s: String) -> String {
                s.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? s
            }
            out[decode(kv[0])] = kv.count > 1 ? decode(kv[1]) : ""
        }
        return out
    }
}

/// An HTTP/1.1 server on 127.0.0.1 whose answers a test scripts with a closure (a fake
/// Prometheus, webhook receivers). Every request is logged.
final class ScriptedHTTPServer: Sendable {
    typealias Handler = @Sendable (ScriptedRequest) -> (status: Int, body: String)
    let port: Int
    private let channel: any Channel
    private let log = Mutex<[ScriptedRequest]>([])
    private let handler = Mutex<Handler>({ _ in (404, "not found\n") })

    var baseURL: String { "http://127.0.0.1:\(port)" }
    var requests: [ScriptedRequest] { log.withLock { $0 } }

    func script(_ h: @escaping Handler) { handler.withLock { $0 = h } }

    private init(channel: any Channel, port: Int) {
        self.channel = channel
        self.port = port
    }

    static func start() async throws -> ScriptedHTTPServer {
        let box = Mutex<ScriptedHTTPServer?>(nil)
        let bootstrap = ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(Handler1 { req in
                        guard let server = box.withLock({ $0 }) else { return (503, "starting") }
                        server.log.withLock { $0.append(req) }
                        return server.handler.withLock { $0 }(req)
                    })
                }
            }
        let channel = try await bootstrap.bind(host: "127.0.0.1", port: 0).get()
        let server = ScriptedHTTPServer(channel: channel, port: channel.localAddress?.port ?? 0)
        box.withLock { $0 = server }
        return server
    }

    func stop() async { try? await channel.close() }

    private final class Handler1: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart
        let respond: @Sendable (ScriptedRequest) -> (status: Int, body: String)
        var head: HTTPRequestHead?
        var body: [UInt8] = []

        init(_ respond: @escaping @Sendable (ScriptedRequest) -> (status: Int, body: String)) { self.respond = respond }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let h):
                head = h
                body = []
            case .body(var b):
                body += b.readBytes(length: b.readableBytes) ?? []
            case .end:
                guard let h = head else { return }
                let target = h.uri.split(separator: "?", maxSplits: 1).map(String.init)
                var requestHeaders: [String: String] = [:]
                for (name, value) in h.headers { requestHeaders[name.lowercased()] = value }
                let (status, text) = respond(ScriptedRequest(method: h.method.rawValue, path: target.first ?? "",
                                                             body: String(decoding: body, as: UTF8.self),
                                                             headers: requestHeaders, query: target.count > 1 ? target[1] : ""))
                var headers = HTTPHeaders()
                headers.add(name: "Content-Type", value: "application/json")
                headers.add(name: "Content-Length", value: "\(text.utf8.count)")
                let responseHead = HTTPResponseHead(version: h.version, status: HTTPResponseStatus(statusCode: status),
                                                    headers: headers)
                context.write(wrapOutboundOut(.head(responseHead)), promise: nil)
                context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: text)))), promise: nil)
                context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
                head = nil
            }
        }
    }
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
