import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// A request to the dashboard.
struct DashboardRequest: Sendable {
    var method: String
    var path: String
    var headers: [String: String]
    var body: [UInt8]
}

/// An answer: a whole body, or a server-sent-events stream kept open until the browser leaves.
enum DashboardResponse: Sendable {
    case data(status: Int, contentType: String, body: [UInt8])
    case events(AsyncStream<String>)

    static func json(_ status: Int, _ text: String) -> DashboardResponse {
        .data(status: status, contentType: "application/json", body: Array(text.utf8))
    }
    static func text(_ status: Int, _ text: String) -> DashboardResponse {
        .data(status: status, contentType: "text/plain; charset=utf-8", body: Array(text.utf8))
    }
}

/// The dashboard's HTTP/1.1 server (NIO), answering each request with an async handler.
final class DashboardHTTPServer: Sendable {
    typealias Handler = @Sendable (DashboardRequest) async -> DashboardResponse
    let port: Int
    private let channel: any Channel

    private init(channel: any Channel, port: Int) {
        self.channel = channel
        self.port = port
    }

    static func start(host: String, port: Int, handler: @escaping Handler) async throws -> DashboardHTTPServer {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { child in
                child.eventLoop.makeCompletedFuture {
                    try child.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try child.pipeline.syncOperations.addHandler(RequestHandler(handler))
                }
            }
            .bind(host: host, port: port).get()
        return DashboardHTTPServer(channel: channel, port: channel.localAddress?.port ?? port)
    }

    func stop() async { try? await channel.close() }

    private final class RequestHandler: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart
        let handler: Handler
        // Touched only on the channel's event loop.
        private var head: HTTPRequestHead?
        private var body: [UInt8] = []
        private var streaming: Task<Void, Never>?

        init(_ handler: @escaping Handler) { self.handler = handler }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let h):
                head = h
                body = []
            case .body(var b):
                if body.count < 1 << 20 { body += b.readBytes(length: b.readableBytes) ?? [] }
            case .end:
                guard let h = head else { return }
                head = nil
                var headers: [String: String] = [:]
                for (name, value) in h.headers { headers[name.lowercased()] = value }
                let request = DashboardRequest(method: h.method.rawValue, path: h.uri, headers: headers, body: body)
                let channel = context.channel
                let keepAlive = h.isKeepAlive
                let version = h.version
                let handler = self.handler
                streaming = Task {
                    let response = await handler(request)
                    await Self.write(response, to: channel, version: version, keepAlive: keepAlive)
                }
            }
        }

        func channelInactive(context: ChannelHandlerContext) {
            streaming?.cancel()
            context.fireChannelInactive()
        }

        static func write(_ response: DashboardResponse, to channel: any Channel, version: HTTPVersion, keepAlive: Bool) async {
            var headers = HTTPHeaders()
            // The pages are the binary's own; nothing else may run in them.
            headers.add(name: "Content-Security-Policy", value: "default-src 'self'; img-src 'self' data:")
            headers.add(name: "X-Content-Type-Options", value: "nosniff")
            headers.add(name: "Cache-Control", value: "no-store")
            switch response {
            case .data(let status, let type, let body):
                headers.add(name: "Content-Type", value: type)
                headers.add(name: "Content-Length", value: "\(body.count)")
                headers.add(name: "Connection", value: keepAlive ? "keep-alive" : "close")
                let head = HTTPResponseHead(version: version, status: HTTPResponseStatus(statusCode: status), headers: headers)
                channel.write(HTTPServerResponsePart.head(head), promise: nil)
                channel.write(HTTPServerResponsePart.body(.byteBuffer(ByteBuffer(bytes: body))), promise: nil)
                try? await channel.writeAndFlush(HTTPServerResponsePart.end(nil))
                if !keepAlive { channel.close(promise: nil) }
            case .events(let stream):
                headers.add(name: "Content-Type", value: "text/event-stream")
                headers.add(name: "Transfer-Encoding", value: "chunked")
                let head = HTTPResponseHead(version: version, status: .ok, headers: headers)
                channel.writeAndFlush(HTTPServerResponsePart.head(head), promise: nil)
                for await chunk in stream {
                    guard channel.isActive else { break }
                    channel.writeAndFlush(HTTPServerResponsePart.body(.byteBuffer(ByteBuffer(string: chunk))), promise: nil)
                }
                channel.close(promise: nil)
            }
        }
    }
}
