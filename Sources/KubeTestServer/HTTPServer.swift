import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization

struct HTTPRequest: Sendable {
    var method: HTTPMethod
    var uri: String
    var path: String
    var query: [String: String]
    var headers: HTTPHeaders
    var body: [UInt8]

    init(head: HTTPRequestHead, body: [UInt8]) {
        method = head.method
        uri = head.uri
        headers = head.headers
        self.body = body
        let parts = head.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        path = String(parts.first ?? "")
        var q: [String: String] = [:]
        if parts.count > 1 {
            for pair in parts[1].split(separator: "&") {
                let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                let k = Self.percentDecode(String(kv[0]))
                q[k] = kv.count > 1 ? Self.percentDecode(String(kv[1])) : ""
            }
        }
        query = q
    }

    static func percentDecode(_ s: String) -> String {
        var out: [UInt8] = []
        var bytes = Array(s.utf8)[...]
        while let b = bytes.popFirst() {
            if b == UInt8(ascii: "+") {
                out.append(UInt8(ascii: " "))
            } else if b == UInt8(ascii: "%"), bytes.count >= 2,
                let v = UInt8(String(decoding: bytes.prefix(2), as: UTF8.self), radix: 16)
            {
                out.append(v)
                bytes = bytes.dropFirst(2)
            } else {
                out.append(b)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}

struct HTTPResponse: Sendable {
    enum Body: Sendable {
        case bytes([UInt8])
        /// Chunked: each element is written and flushed as it comes (watch streams).
        case stream(AsyncStream<[UInt8]>)
    }
    var status: HTTPResponseStatus
    var headers: HTTPHeaders
    var body: Body

    static func json(_ status: HTTPResponseStatus, _ value: [UInt8], contentType: String = "application/json") -> HTTPResponse {
        var h = HTTPHeaders()
        h.add(name: "Content-Type", value: contentType)
        h.add(name: "Content-Length", value: String(value.count))
        return HTTPResponse(status: status, headers: h, body: .bytes(value))
    }
}

/// HTTP/1.1 (optionally TLS) server on 127.0.0.1: keep-alive, one request at a time per
/// connection (NIO's pipelining handler queues the rest), chunked streaming bodies.
/// Classic channel handlers rather than NIOAsyncChannel: a connection accepted while the
/// server stops must not be able to trap.
final class HTTPServer: Sendable {
    typealias Handler = @Sendable (HTTPRequest) async -> HTTPResponse

    let port: Int
    private let channel: Channel
    private let connections: Connections

    final class Connections: Sendable {
        private let open = Mutex<[ObjectIdentifier: Channel]>([:])
        func add(_ c: Channel) {
            open.withLock { $0[ObjectIdentifier(c)] = c }
            c.closeFuture.whenComplete { [weak self] _ in self?.open.withLock { _ = $0.removeValue(forKey: ObjectIdentifier(c)) } }
        }
        func all() -> [Channel] { open.withLock { Array($0.values) } }
    }

    private init(port: Int, channel: Channel, connections: Connections) {
        self.port = port
        self.channel = channel
        self.connections = connections
    }

    static func start(port: Int, tls: NIOSSLContext?, handler: @escaping Handler) async throws -> HTTPServer {
        let connections = Connections()
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                connections.add(channel)
                return channel.eventLoop.makeCompletedFuture {
                    if let tls { try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls)) }
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(HTTPConnectionHandler(handler: handler))
                }
            }
            .bind(host: "127.0.0.1", port: port).get()
        return HTTPServer(port: channel.localAddress?.port ?? port, channel: channel, connections: connections)
    }

    func stop() async {
        try? await channel.close()
        for c in connections.all() { try? await c.close() }
    }
}

/// Collects one request, answers it from a Task, writes the response through the channel.
final class HTTPConnectionHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let handler: HTTPServer.Handler
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []
    private var running: Task<Void, Never>?

    init(handler: @escaping HTTPServer.Handler) { self.handler = handler }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h):
            head = h
            body = []
        case .body(var buffer):
            body += buffer.readBytes(length: buffer.readableBytes) ?? []
        case .end:
            guard let h = head else { return }
            head = nil
            let request = HTTPRequest(head: h, body: body)
            body = []
            let channel = context.channel
            let handler = self.handler
            let keepAlive = h.isKeepAlive
            running = Task { await respond(request, handler: handler, channel: channel, keepAlive: keepAlive) }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // TLS or protocol failures: this connection is done; the server carries on.
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        running?.cancel()
        running = nil
        context.fireChannelInactive()
    }

    static func write(_ response: HTTPResponse, to channel: Channel) async throws {
        try await channel.writeAndFlush(HTTPServerResponsePart.head(HTTPResponseHead(version: .http1_1, status: response.status, headers: response.headers))).get()
        switch response.body {
        case .bytes(let bytes):
            if !bytes.isEmpty { try await channel.writeAndFlush(HTTPServerResponsePart.body(.byteBuffer(ByteBuffer(bytes: bytes)))).get() }
        case .stream(let stream):
            for await chunk in stream {
                try await channel.writeAndFlush(HTTPServerResponsePart.body(.byteBuffer(ByteBuffer(bytes: chunk)))).get()
            }
        }
        try await channel.writeAndFlush(HTTPServerResponsePart.end(nil)).get()
    }
}

private func respond(_ request: HTTPRequest, handler: HTTPServer.Handler, channel: Channel, keepAlive: Bool) async {
    let response = await handler(request)
    do {
        try await HTTPConnectionHandler.write(response, to: channel)
        if !keepAlive { try await channel.close() }
    } catch {
        try? await channel.close()
    }
}
