import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
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

    let port: Int
    private let channel: any Channel
    private let log = Mutex<[Query]>([])
    private let script = Mutex<Script>({ _ in .value(100) })

    var address: String { "http://127.0.0.1:\(port)" }
    var queries: [Query] { log.withLock { $0 } }

    func setScript(_ s: @escaping Script) { script.withLock { $0 = s } }

    private init(channel: any Channel, port: Int) {
        self.channel = channel
        self.port = port
    }

    static func start() async throws -> ScriptedPrometheus {
        let box = Mutex<ScriptedPrometheus?>(nil)
        let bootstrap = ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(QueryHandler { query in
                        guard let server = box.withLock({ $0 }) else { return .raw(status: 503, contentType: "text/plain", body: "starting") }
                        server.log.withLock { $0.append(Query(time: TestTime.now, text: query)) }
                        return server.script.withLock { $0 }(query)
                    })
                }
            }
        let channel = try await bootstrap.bind(host: "127.0.0.1", port: 0).get()
        let server = ScriptedPrometheus(channel: channel, port: channel.localAddress?.port ?? 0)
        box.withLock { $0 = server }
        return server
    }

    func stop() async { try? await channel.close() }

    /// The Prometheus JSON for an instant query answer.
    static func body(_ value: Double?) -> String {
        let result = value.map { #"[{"metric":{},"value":[1800000000,"\#($0)"]}]"# } ?? "[]"
        return #"{"status":"success","data":{"resultType":"vector","result":\#(result)}}"#
    }

    private final class QueryHandler: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart
        let answer: @Sendable (String) -> Answer
        var head: HTTPRequestHead?
        var body: [UInt8] = []

        init(_ answer: @escaping @Sendable (String) -> Answer) { self.answer = answer }

        static func formField(_ body: String, _ name: String) -> String? {
            for pair in body.split(separator: "&") {
                let kv = pair.split(separator: "=", maxSplits: 1).map(String.init)
                guard kv.count == 2, kv[0] == name else { continue }
                return kv[1].replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? kv[1]
            }
            return nil
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let h):
                head = h
                body = []
            case .body(var b):
                body += b.readBytes(length: b.readableBytes) ?? []
            case .end:
                guard let h = head else { return }
                head = nil
                let text = String(decoding: body, as: UTF8.self)
                let query = Self.formField(text, "query")
                    ?? h.uri.split(separator: "?", maxSplits: 1).dropFirst().first.flatMap { Self.formField(String($0), "query") }
                var a: Answer = query.map(answer) ?? .raw(status: 400, contentType: "application/json",
                                                          body: #"{"status":"error","errorType":"bad_data","error":"no query"}"#)
                var delay: Duration = .zero
                while case .delayed(let d, let inner) = a {
                    delay += d
                    a = inner
                }
                let (status, contentType, payload): (Int, String, String)
                switch a {
                case .value(let v): (status, contentType, payload) = (200, "application/json", ScriptedPrometheus.body(v))
                case .raw(let s, let ct, let b): (status, contentType, payload) = (s, ct, b)
                case .delayed: (status, contentType, payload) = (500, "text/plain", "unreachable")
                }
                var headers = HTTPHeaders()
                headers.add(name: "Content-Type", value: contentType)
                headers.add(name: "Content-Length", value: "\(payload.utf8.count)")
                let responseHead = HTTPResponseHead(version: h.version, status: HTTPResponseStatus(statusCode: status), headers: headers)
                let send = { [self] in
                    context.write(self.wrapOutboundOut(.head(responseHead)), promise: nil)
                    context.write(self.wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: payload)))), promise: nil)
                    context.writeAndFlush(self.wrapOutboundOut(.end(nil)), promise: nil)
                }
                if delay > .zero {
                    let nanos = Int64(delay.seconds * 1e9)
                    context.eventLoop.assumeIsolated().scheduleTask(in: .nanoseconds(nanos)) { send() }
                } else {
                    send()
                }
            }
        }
    }
}
