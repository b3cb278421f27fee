import Logging
import NIOCore
import NIOHTTP1
import NIOPosix

/// The tester's HTTP/1.1 server: each connection is read in a task of its own and its
/// requests answered in order by `Tester.handle` (which may wait minutes for a command).
public final class TesterServer: Sendable {
    public let tester: Tester
    public let port: Int
    private let channel: NIOAsyncChannel<NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>, Never>
    private let accepting: Task<Void, Never>

    /// Largest request body read; webhook payloads are small.
    static let maxBody = 1 << 20

    private init(tester: Tester, port: Int,
                 channel: NIOAsyncChannel<NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>, Never>,
                 accepting: Task<Void, Never>) {
        self.tester = tester
        self.port = port
        self.channel = channel
        self.accepting = accepting
    }

    public var baseURL: String {
        let host = tester.options.host == "0.0.0.0" ? "127.0.0.1" : tester.options.host
        return "http://\(host):\(port)"
    }

    /// Binds `options.host:options.port` and starts answering.
    public static func start(options: TesterOptions) async throws -> TesterServer {
        let tester = Tester(options: options)
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: options.host, port: options.port) { child in
                child.eventLoop.makeCompletedFuture {
                    try child.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    return try NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>(
                        wrappingChannelSynchronously: child)
                }
            }
        guard let port = channel.channel.localAddress?.port else {
            try? await channel.channel.close()
            throw TesterServerError.noPort
        }
        let logger = options.logger
        let accepting = Task {
            do {
                try await channel.executeThenClose { inbound in
                    try await withThrowingDiscardingTaskGroup { group in
                        for try await connection in inbound {
                            group.addTask { await serve(connection, tester: tester, logger: logger) }
                        }
                    }
                }
            } catch {
                logger.debug("tester server stopped accepting", metadata: ["error": "\(error)"])
            }
        }
        return TesterServer(tester: tester, port: port, channel: channel, accepting: accepting)
    }

    /// Stops accepting and closes the listening socket; commands already running finish on
    /// their own (each is bounded by its timeout).
    public func stop() async {
        try? await channel.channel.close()
        accepting.cancel()
        _ = await accepting.value
    }

    /// Waits until the server stops (the listening socket is closed).
    public func wait() async { _ = await accepting.value }

    static func serve(_ connection: NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>, tester: Tester,
                      logger: Logger) async {
        do {
            try await connection.executeThenClose { inbound, outbound in
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
                        let path = String(h.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? "/")
                        let response = tooLarge
                            ? TesterResponse(413, "the body is larger than \(maxBody) bytes")
                            : await tester.handle(TesterRequest(method: h.method.rawValue, path: path, body: body))
                        var headers = HTTPHeaders()
                        headers.add(name: "Content-Type", value: response.contentType)
                        headers.add(name: "Content-Length", value: String(response.body.count))
                        if !h.isKeepAlive { headers.add(name: "Connection", value: "close") }
                        try await outbound.write(.head(HTTPResponseHead(
                            version: h.version, status: HTTPResponseStatus(statusCode: response.status), headers: headers)))
                        try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: response.body))))
                        try await outbound.write(.end(nil))
                        if !h.isKeepAlive { return }
                    }
                }
            }
        } catch {
            logger.debug("tester connection ended", metadata: ["error": "\(error)"])
        }
    }
}

public enum TesterServerError: Error { case noPort }
