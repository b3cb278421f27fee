import Foundation

/// A server that answers with fixed responses, for testing clients against every edge
/// (HTML login pages, proxy errors, slow answers). Routes match the path exactly; the
/// fallback answers everything else.
public final class CannedServer: Sendable {
    public let port: Int
    private let server: SmallHTTPServer
    private let log: RequestLog

    public var baseURL: String { "http://127.0.0.1:\(port)" }

    private init(port: Int, server: SmallHTTPServer, log: RequestLog) {
        self.port = port
        self.server = server
        self.log = log
    }

    public static func start(routes: [String: SmallHTTPResponse] = [:],
                             fallback: SmallHTTPResponse = SmallHTTPResponse(status: 404, body: "not found\n"))
        async throws -> CannedServer {
        let log = RequestLog()
        let server = try await SmallHTTPServer.start(route: { req in
            log.append(req)
            return routes[req.path] ?? fallback
        })
        return CannedServer(port: server.port, server: server, log: log)
    }

    /// Requests received so far (to check what a client sent).
    public var requests: [SmallHTTPRequest] { log.all }

    public func stop() async { await server.stop() }
}

final class RequestLog: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [SmallHTTPRequest] = []
    func append(_ r: SmallHTTPRequest) {
        lock.lock()
        items.append(r)
        lock.unlock()
    }
    var all: [SmallHTTPRequest] {
        lock.lock()
        defer { lock.unlock() }
        return items
    }
}
