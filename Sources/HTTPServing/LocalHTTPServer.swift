import NIOCore
import NIOHTTP1
import NIOPosix

/// A request as `LocalHTTPServer` hands it to its handler.
public struct HTTPServerRequest: Sendable {
    public var method: String
    /// The path without the query string.
    public var path: String
    /// What follows `?` in the request target, as sent.
    public var rawQuery: String
    /// Header names and values in the order sent.
    public var headers: [(String, String)]
    public var body: [UInt8]
    /// The body was larger than the server's `maxBody` (and was not read).
    public var bodyTooLarge: Bool

    public init(method: String, path: String, rawQuery: String = "", headers: [(String, String)] = [], body: [UInt8] = [],
                bodyTooLarge: Bool = false) {
        self.method = method
        self.path = path
        self.rawQuery = rawQuery
        self.headers = headers
        self.body = body
        self.bodyTooLarge = bodyTooLarge
    }

    /// The query string's fields, percent-decoded (`+` as space).
    public var query: [String: String] { Self.fields(rawQuery) }

    /// The first value of header `name` (case-insensitive).
    public func header(_ name: String) -> String? {
        let n = name.lowercased()
        return headers.first { $0.0.lowercased() == n }?.1
    }

    /// `a=1&b=2` as fields, percent-decoded (`+` as space): query strings and form bodies.
    public static func fields(_ text: String) -> [String: String] {
        var out: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            out[percentDecoded(String(kv[0]))] = kv.count == 2 ? percentDecoded(String(kv[1])) : ""
        }
        return out
    }

    /// Percent-decoding with `+` as space, as form and query strings use them.
    public static func percentDecoded(_ text: String) -> String {
        var out: [UInt8] = []
        var bytes = Array(text.utf8)[...]
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

/// An answer of `LocalHTTPServer`'s handler.
public struct HTTPServerResponse: Sendable {
    public var status: Int
    public var contentType: String
    public var headers: [(String, String)]
    public var body: [UInt8]

    public init(status: Int = 200, contentType: String = "text/plain; charset=utf-8", headers: [(String, String)] = [],
                body: [UInt8]) {
        self.status = status
        self.contentType = contentType
        self.headers = headers
        self.body = body
    }

    public init(status: Int = 200, contentType: String = "text/plain; charset=utf-8", headers: [(String, String)] = [],
                text: String) {
        self.init(status: status, contentType: contentType, headers: headers, body: Array(text.utf8))
    }
}

/// The one small HTTP/1.1 server of the project (the ops endpoints, the webhook tester, the
/// demo application, the tests' scripted servers): each connection is read in a task of its
/// own and its requests answered in order by an async handler, which may take its time
/// (a tester command, a delayed answer) without holding up other connections.
public final class LocalHTTPServer: Sendable {
    public typealias Handler = @Sendable (HTTPServerRequest) async -> HTTPServerResponse
    typealias Listener = NIOAsyncChannel<NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>, Never>

    public let port: Int
    private let listener: Listener
    private let accepting: Task<Void, Never>

    private init(port: Int, listener: Listener, accepting: Task<Void, Never>) {
        self.port = port
        self.listener = listener
        self.accepting = accepting
    }

    /// Binds `host:port` (port 0: one the system picks) and starts answering. Bodies larger
    /// than `maxBody` are not read: the handler sees `bodyTooLarge`.
    public static func start(host: String = "127.0.0.1", port: Int = 0, backlog: Int32 = 256, maxBody: Int = 1 << 20,
                             handler: @escaping Handler) async throws -> LocalHTTPServer {
        let listener = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: backlog)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: host, port: port) { child in
                child.eventLoop.makeCompletedFuture {
                    try child.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    return try NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>(wrappingChannelSynchronously: child)
                }
            }
        guard let bound = listener.channel.localAddress?.port else {
            try? await listener.channel.close()
            throw LocalHTTPServerError.noPort
        }
        let accepting = Task<Void, Never> {
            try? await listener.executeThenClose { inbound in
                try await withThrowingDiscardingTaskGroup { group in
                    for try await connection in inbound {
                        group.addTask { await serve(connection, maxBody: maxBody, handler: handler) }
                    }
                }
            }
        }
        return LocalHTTPServer(port: bound, listener: listener, accepting: accepting)
    }

    /// Stops accepting and closes the listening socket; answers in progress finish on their own.
    public func stop() async {
        try? await listener.channel.close()
        accepting.cancel()
        _ = await accepting.value
    }

    /// Waits until the server stops (the listening socket is closed).
    public func wait() async { _ = await accepting.value }

    static func serve(_ connection: NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>, maxBody: Int,
                      handler: Handler) async {
        try? await connection.executeThenClose { inbound, outbound in
            var head: HTTPRequestHead?
            var body: [UInt8] = []
            var tooLarge = false
            for try await part in inbound {
                switch part {
                case .head(let h):
                    head = h
                    body = []
                    tooLarge = false
                case .body(var buffer):
                    if body.count + buffer.readableBytes > maxBody {
                        tooLarge = true
                    } else if let bytes = buffer.readBytes(length: buffer.readableBytes) {
                        body += bytes
                    }
                case .end:
                    guard let h = head else { continue }
                    head = nil
                    let target = h.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
                    let request = HTTPServerRequest(
                        method: h.method.rawValue, path: String(target.first ?? "/"),
                        rawQuery: target.count == 2 ? String(target[1]) : "",
                        headers: h.headers.map { ($0.name, $0.value) }, body: tooLarge ? [] : body, bodyTooLarge: tooLarge)
                    let response = await handler(request)
                    var headers = HTTPHeaders()
                    headers.add(name: "Content-Type", value: response.contentType)
                    headers.add(name: "Content-Length", value: String(response.body.count))
                    for (name, value) in response.headers { headers.add(name: name, value: value) }
                    if !h.isKeepAlive { headers.add(name: "Connection", value: "close") }
                    try await outbound.write(.head(HTTPResponseHead(
                        version: h.version, status: HTTPResponseStatus(statusCode: response.status), headers: headers)))
                    try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: response.body))))
                    try await outbound.write(.end(nil))
                    if !h.isKeepAlive { return }
                }
            }
        }
    }
}

public enum LocalHTTPServerError: Error { case noPort }
