import NIOCore
import NIOHTTP1
import NIOPosix

/// A request as the small server hands it to a route function.
public struct SmallHTTPRequest: Sendable {
    public var method: String
    /// Path without the query string.
    public var path: String
    public var query: [String: String]
    public var headers: [(String, String)]
    public var body: [UInt8]
}

/// An answer, optionally delayed (to model latency, slow servers and timeouts).
public struct SmallHTTPResponse: Sendable {
    public var status: Int
    public var contentType: String
    public var body: [UInt8]
    public var delaySeconds: Double
    /// Headers besides Content-Type and Content-Length (e.g. `Retry-After`).
    public var headers: [(String, String)] = []

    public init(status: Int = 200, contentType: String = "text/plain; charset=utf-8", body: String,
                delaySeconds: Double = 0, headers: [(String, String)] = []) {
        self.headers = headers
        self.status = status
        self.contentType = contentType
        self.body = Array(body.utf8)
        self.delaySeconds = delaySeconds
    }
}

/// An HTTP/1.1 server on 127.0.0.1 (port chosen by the OS) that answers every request with a
/// route function. `onSent` runs once the answer is written, with the seconds since the
/// request arrived (used for latency histograms).
final class SmallHTTPServer: Sendable {
    typealias Route = @Sendable (SmallHTTPRequest) -> SmallHTTPResponse
    typealias Sent = @Sendable (SmallHTTPRequest, SmallHTTPResponse, Double) -> Void

    let channel: any Channel
    let port: Int

    private init(channel: any Channel, port: Int) {
        self.channel = channel
        self.port = port
    }

    static func start(route: @escaping Route, onSent: Sent? = nil) async throws -> SmallHTTPServer {
        let bootstrap = ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(RouteHandler(route: route, onSent: onSent))
                }
            }
        let channel = try await bootstrap.bind(host: "127.0.0.1", port: 0).get()
        guard let port = channel.localAddress?.port else {
            try? await channel.close()
            throw SmallHTTPServerError.noPort
        }
        return SmallHTTPServer(channel: channel, port: port)
    }

    func stop() async {
        try? await channel.close()
    }
}

enum SmallHTTPServerError: Error { case noPort }

private final class RouteHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let route: SmallHTTPServer.Route
    let onSent: SmallHTTPServer.Sent?
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []
    private var started = NIODeadline.now()

    init(route: @escaping SmallHTTPServer.Route, onSent: SmallHTTPServer.Sent?) {
        self.route = route
        self.onSent = onSent
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h):
            head = h
            body = []
            started = .now()
        case .body(var buf):
            if body.count < 1 << 20, let bytes = buf.readBytes(length: buf.readableBytes) { body += bytes }
        case .end:
            guard let h = head else { return }
            head = nil
            let request = Self.request(h, body: body)
            let response = route(request)
            let keepAlive = h.isKeepAlive
            let version = h.version
            let started = self.started
            let write = { [self] in
                var headers = HTTPHeaders()
                headers.add(name: "Content-Type", value: response.contentType)
                headers.add(name: "Content-Length", value: String(response.body.count))
                for (k, v) in response.headers { headers.add(name: k, value: v) }
                if !keepAlive { headers.add(name: "Connection", value: "close") }
                let status = HTTPResponseStatus(statusCode: response.status)
                context.write(wrapOutboundOut(.head(HTTPResponseHead(version: version, status: status, headers: headers))),
                              promise: nil)
                var buf = context.channel.allocator.buffer(capacity: response.body.count)
                buf.writeBytes(response.body)
                context.write(wrapOutboundOut(.body(.byteBuffer(buf))), promise: nil)
                let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
                let elapsed = Double((NIODeadline.now() - started).nanoseconds) / 1e9
                onSent?(request, response, elapsed)
                let channel = context.channel
                if !keepAlive { done.whenComplete { _ in channel.close(promise: nil) } }
            }
            if response.delaySeconds > 0 {
                let delay = TimeAmount.nanoseconds(Int64(response.delaySeconds * 1e9))
                context.eventLoop.assumeIsolated().scheduleTask(in: delay) {
                    if context.channel.isActive { write() }
                }
            } else {
                write()
            }
        }
    }

    static func request(_ h: HTTPRequestHead, body: [UInt8]) -> SmallHTTPRequest {
        let parts = h.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        var query: [String: String] = [:]
        if parts.count == 2 {
            for pair in parts[1].split(separator: "&") {
                let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                let k = String(kv[0]).removingPercentEncodingSimple
                query[k] = kv.count == 2 ? String(kv[1]).removingPercentEncodingSimple : ""
            }
        }
        return SmallHTTPRequest(method: h.method.rawValue, path: String(parts.first ?? "/"), query: query,
                                headers: h.headers.map { ($0.name, $0.value) }, body: body)
    }
}

extension String {
    /// Percent-decoding and `+` as space, as form and query strings use them.
    var removingPercentEncodingSimple: String {
        var out: [UInt8] = []
        var bytes = Array(utf8)[...]
        while let b = bytes.popFirst() {
            if b == UInt8(ascii: "%"), bytes.count >= 2,
               let v = UInt8(String(decoding: bytes.prefix(2), as: UTF8.self), radix: 16) {
                out.append(v)
                bytes = bytes.dropFirst(2)
            } else if b == UInt8(ascii: "+") {
                out.append(UInt8(ascii: " "))
            } else {
                out.append(b)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
