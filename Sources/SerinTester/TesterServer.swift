import HTTPServing
import Logging

/// The tester's HTTP/1.1 server: each connection is read in a task of its own and its
/// requests answered in order by `Tester.handle` (which may wait minutes for a command).
public final class TesterServer: Sendable {
    public let tester: Tester
    private let server: LocalHTTPServer
    public var port: Int { server.port }
    /// Largest request body read; webhook payloads are small.
    static let maxBody = 1 << 20

    private init(tester: Tester, server: LocalHTTPServer) {
        self.tester = tester
        self.server = server
    }

    public var baseURL: String {
        let host = tester.options.host == "0.0.0.0" ? "127.0.0.1" : tester.options.host
        return "http://\(host):\(port)"
    }

    /// Binds `options.host:options.port` and starts answering.
    public static func start(options: TesterOptions) async throws -> TesterServer {
        let tester = Tester(options: options)
        let server = try await LocalHTTPServer.start(host: options.host, port: options.port, maxBody: maxBody) { request in
            let response = request.bodyTooLarge
                ? TesterResponse(413, "the body is larger than \(maxBody) bytes")
                : await tester.handle(TesterRequest(method: request.method, path: request.path, body: request.body))
            return HTTPServerResponse(status: response.status, contentType: response.contentType, body: response.body)
        }
        return TesterServer(tester: tester, server: server)
    }

    /// Stops accepting and closes the listening socket; commands already running finish on
    /// their own (each is bounded by its timeout).
    public func stop() async { await server.stop() }

    /// Waits until the server stops (the listening socket is closed).
    public func wait() async { await server.wait() }
}
