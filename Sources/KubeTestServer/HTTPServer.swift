import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

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
/// connection, chunked streaming bodies.
final class HTTPServer: Sendable {
    typealias Handler = @Sendable (HTTPRequest) async -> HTTPResponse
    typealias Connection = NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>

    let port: Int
    private let channel: Channel
    private let acceptTask: Task<Void, Never>

    private init(port: Int, channel: Channel, acceptTask: Task<Void, Never>) {
        self.port = port
        self.channel = channel
        self.acceptTask = acceptTask
    }

    static func start(port: Int, tls: NIOSSLContext?, handler: @escaping Handler) async throws -> HTTPServer {
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .bind(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls { try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls)) }
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    return try Connection(wrappingChannelSynchronously: channel)
                }
            }
        let boundPort = server.channel.localAddress?.port ?? port
        let channel = server.channel
        let task = Task {
            await withDiscardingTaskGroup { group in
                do {
                    try await server.executeThenClose { inbound in
                        for try await connection in inbound {
                            group.addTask { await serve(connection, handler: handler) }
                        }
                    }
                } catch {}
                group.cancelAll()
            }
        }
        return HTTPServer(port: boundPort, channel: channel, acceptTask: task)
    }

    /// Closes the listening socket first so that the accept loop drains and serves every
    /// connection already accepted (an accepted NIOAsyncChannel that is never run traps when
    /// it is released), then ends the open connections. Cancelling is only the fallback.
    func stop() async {
        try? await channel.close()
        let accept = acceptTask
        let fallback = Task {
            try? await Task.sleep(for: .seconds(2))
            if !Task.isCancelled { accept.cancel() }
        }
        await accept.value
        fallback.cancel()
    }

    private static func serve(_ connection: Connection, handler: Handler) async {
        try? await connection.executeThenClose { inbound, outbound in
            var head: HTTPRequestHead?
            var body: [UInt8] = []
            for try await part in inbound {
                switch part {
                case .head(let h):
                    head = h
                    body = []
                case .body(var buffer):
                    body += buffer.readBytes(length: buffer.readableBytes) ?? []
                case .end:
                    guard let h = head else { continue }
                    head = nil
                    let response = await handler(HTTPRequest(head: h, body: body))
                    try await write(response, to: outbound)
                    if !h.isKeepAlive { return }
                }
            }
        }
    }

    private static func write(_ response: HTTPResponse, to outbound: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>)
        async throws
    {
        try await outbound.write(.head(HTTPResponseHead(version: .http1_1, status: response.status, headers: response.headers)))
        switch response.body {
        case .bytes(let bytes):
            if !bytes.isEmpty { try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: bytes)))) }
        case .stream(let stream):
            for await chunk in stream {
                try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: chunk))))
            }
        }
        try await outbound.write(.end(nil))
    }
}
