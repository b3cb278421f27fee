import HTTPServing
import NIOCore

/// A request as the small server hands it to a route function.
public typealias SmallHTTPRequest = HTTPServerRequest

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
/// route function. `onSent` runs as the answer goes out, with the seconds since the request
/// was read (used for latency histograms).
final class SmallHTTPServer: Sendable {
    typealias Route = @Sendable (SmallHTTPRequest) -> SmallHTTPResponse
    typealias Sent = @Sendable (SmallHTTPRequest, SmallHTTPResponse, Double) -> Void

    private let server: LocalHTTPServer
    var port: Int { server.port }

    private init(server: LocalHTTPServer) { self.server = server }

    static func start(route: @escaping Route, onSent: Sent? = nil) async throws -> SmallHTTPServer {
        let server = try await LocalHTTPServer.start { request in
            let started = ContinuousClock.now
            let response = route(request)
            if response.delaySeconds > 0 { try? await Task.sleep(for: .seconds(response.delaySeconds)) }
            let elapsed = ContinuousClock.now - started
            onSent?(request, response, Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
            return HTTPServerResponse(status: response.status, contentType: response.contentType, headers: response.headers,
                                      body: response.body)
        }
        return SmallHTTPServer(server: server)
    }

    func stop() async { await server.stop() }
}

extension String {
    /// Percent-decoding and `+` as space, as form and query strings use them.
    var removingPercentEncodingSimple: String { HTTPServerRequest.percentDecoded(self) }
}
