import Foundation
import KubeCore
import SerinTestApp
import Testing
@testable import Analysis

/// One MetricTemplate query against a canned vendor server on loopback: the outcome (a value,
/// no data, or the error) and the requests the server saw.
enum ProviderRun {
    static func json(_ s: String, status: Int = 200, headers: [(String, String)] = []) -> SmallHTTPResponse {
        SmallHTTPResponse(status: status, contentType: "application/json", body: s, headers: headers)
    }

    static func query<P: MetricProvider>(_ make: (MetricClients) -> P, routes: [String: SmallHTTPResponse], query: String,
                                         credentials: MetricCredentials, window: Double = 60, path: String = "")
        async throws -> (Result<SingleValue, any Error>, [SmallHTTPRequest], String) {
        let server = try await CannedServer.start(routes: routes)
        let prometheus = PrometheusClient()
        let provider = make(MetricClients(prometheus: prometheus))
        let endpoint = MetricEndpoint(address: server.baseURL + path, credentials: credentials, timeout: 5, window: window)
        let outcome: Result<SingleValue, any Error>
        do { outcome = .success(try await provider.query(query, endpoint: endpoint).singleValue()) } catch {
            outcome = .failure(error)
        }
        let requests = server.requests
        try await prometheus.shutdown()
        await server.stop()
        return (outcome, requests, server.baseURL)
    }
}

extension SmallHTTPRequest {
    var bodyText: String { String(decoding: body, as: UTF8.self) }
}
