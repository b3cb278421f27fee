import Foundation
import HTTPServing

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

/// The dashboard's HTTP server: the project's `LocalHTTPServer`, with the headers every page
/// carries.
final class DashboardHTTPServer: Sendable {
    typealias Handler = @Sendable (DashboardRequest) async -> DashboardResponse
    private let server: LocalHTTPServer
    var port: Int { server.port }

    private init(server: LocalHTTPServer) { self.server = server }

    static func start(host: String, port: Int, handler: @escaping Handler) async throws -> DashboardHTTPServer {
        let server = try await LocalHTTPServer.start(host: host, port: port) { request in
            var headers: [String: String] = [:]
            for (name, value) in request.headers { headers[name.lowercased()] = value }
            let target = request.rawQuery.isEmpty ? request.path : "\(request.path)?\(request.rawQuery)"
            return answer(await handler(DashboardRequest(method: request.method, path: target, headers: headers, body: request.body)))
        }
        return DashboardHTTPServer(server: server)
    }

    func stop() async { await server.stop() }

    /// The pages are the binary's own; nothing else may run in them.
    static let pageHeaders = [
        ("Content-Security-Policy", "default-src 'self'; img-src 'self' data:"),
        ("X-Content-Type-Options", "nosniff"),
        ("Cache-Control", "no-store"),
    ]

    static func answer(_ response: DashboardResponse) -> HTTPServerResponse {
        switch response {
        case .data(let status, let type, let body):
            return HTTPServerResponse(status: status, contentType: type, headers: pageHeaders, body: body)
        case .events(let events):
            let chunks = AsyncStream<[UInt8]> { continuation in
                let forward = Task {
                    for await text in events { continuation.yield(Array(text.utf8)) }
                    continuation.finish()
                }
                continuation.onTermination = { _ in forward.cancel() }
            }
            return HTTPServerResponse(contentType: "text/event-stream", headers: pageHeaders, stream: chunks)
        }
    }
}
