import Foundation
import SerinTestApp
import Testing
@testable import Analysis

/// The client against canned answers from a local server: every edge a real deployment shows.
@Suite struct PrometheusClientTests {
    static func json(_ s: String, status: Int = 200, delay: Double = 0) -> SmallHTTPResponse {
        SmallHTTPResponse(status: status, contentType: "application/json", body: s, delaySeconds: delay)
    }

    func withServer(_ routes: [String: SmallHTTPResponse], fallback: SmallHTTPResponse? = nil,
                    _ body: (CannedServer, PrometheusClient) async throws -> Void) async throws {
        let server = try await CannedServer.start(
            routes: routes, fallback: fallback ?? SmallHTTPResponse(status: 404, body: "404 page not found\n"))
        let client = PrometheusClient()
        do {
            try await body(server, client)
        } catch {
            try? await client.shutdown()
            await server.stop()
            throw error
        }
        try await client.shutdown()
        await server.stop()
    }

    @Test func edgesOfAnInstantQuery() async throws {
        let cases: [(String, SmallHTTPResponse, (Result<SingleValue, any Error>) -> Bool)] = [
            ("empty vector", Self.json(#"{"status":"success","data":{"resultType":"vector","result":[]}}"#),
             { if case .success(.noData) = $0 { return true }; return false }),
            ("NaN", Self.json(#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"NaN"]}]}}"#),
             { if case .success(.noData(let r)) = $0 { return r.contains("NaN") }; return false }),
            ("one value", Self.json(#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"99.5"]}]}}"#),
             { if case .success(.value(99.5)) = $0 { return true }; return false }),
            ("scalar", Self.json(#"{"status":"success","data":{"resultType":"scalar","result":[1,"7"]}}"#),
             { if case .success(.value(7)) = $0 { return true }; return false }),
            ("several series", Self.json(#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{"pod":"a"},"value":[1,"1"]},{"metric":{"pod":"b"},"value":[1,"2"]}]}}"#),
             { if case .failure(let e) = $0 { return "\(e)".contains("{pod=\"a\"}, {pod=\"b\"}") }; return false }),
            ("error body", Self.json(#"{"status":"error","errorType":"bad_data","error":"1:5: parse error: unexpected \"}\""}"#, status: 400),
             { if case .failure(let e) = $0 { return "\(e)".hasPrefix("Prometheus query error (bad_data, HTTP 400): 1:5: parse error") }; return false }),
            ("HTML", SmallHTTPResponse(status: 200, contentType: "text/html", body: "<!DOCTYPE html><html><body>Grafana login</body></html>"),
             { if case .failure(let e) = $0 { return "\(e)".contains("not a Prometheus API answer (HTTP 200, text/html): \"<!DOCTYPE html>") }; return false }),
            ("502 from a proxy", SmallHTTPResponse(status: 502, contentType: "text/html", body: "<html><body><h1>502 Bad Gateway</h1></body></html>"),
             { if case .failure(let e) = $0 { return "\(e)".contains("HTTP 502") && "\(e)".contains("502 Bad Gateway") }; return false }),
        ]
        for (name, response, check) in cases {
            try await withServer(["/api/v1/query": response]) { server, client in
                let ep = PrometheusEndpoint(address: server.baseURL, timeout: 5)
                let outcome: Result<SingleValue, any Error>
                do { outcome = .success(try SingleValue.from(try await client.query("up", endpoint: ep).result)) } catch {
                    outcome = .failure(error)
                }
                #expect(check(outcome), "\(name): \(outcome)")
            }
        }
    }

    @Test func rangeQueryGivesAMatrix() async throws {
        let body = #"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"service":"a"},"values":[[10,"1"],[11,"+Inf"],[12,"3"]]}]}}"#
        try await withServer(["/prefix/api/v1/query_range": Self.json(body)]) { server, client in
            let ep = PrometheusEndpoint(address: server.baseURL + "/prefix/", timeout: 5)
            let end = Date(timeIntervalSince1970: 12)
            let r = try await client.queryRange("rate(x[1m])", start: end.addingTimeInterval(-2), end: end, step: 1, endpoint: ep)
            guard case .matrix(let s) = r.result else { Issue.record("not a matrix"); return }
            #expect(s[0].points.map(\.value) == [1, .infinity, 3])
            let sent = try #require(server.requests.first)
            let form = String(decoding: sent.body, as: UTF8.self)
            #expect(sent.method == "POST")
            #expect(form.contains("query=rate%28x%5B1m%5D%29") && form.contains("start=10.000") && form.contains("step=1"))
        }
    }

    @Test func credentialsAreSentAndNeverShown() async throws {
        // The proxy echoes the Authorization header back in its error: it must come out redacted.
        let echo = SmallHTTPResponse(status: 401, contentType: "text/plain", body: "denied for Bearer s3cr3t-token-value")
        try await withServer(["/api/v1/query": echo]) { server, client in
            let creds = MetricCredentials(bearerToken: "s3cr3t-token-value", headers: ["X-Scope-OrgID": "team-a"])
            do {
                _ = try await client.query("up", endpoint: PrometheusEndpoint(address: server.baseURL, credentials: creds))
                Issue.record("401 accepted")
            } catch {
                #expect(!"\(error)".contains("s3cr3t-token-value"))
                #expect("\(error)".contains("[redacted]"))
            }
            let h = try #require(server.requests.first).headers
            let condition1 = h.contains { $0.0.lowercased() == "authorization" && $0.1 == "Bearer s3cr3t-token-value" }
            #expect(condition1)
            let condition2 = h.contains { $0.0 == "X-Scope-OrgID" && $0.1 == "team-a" }
            #expect(condition2)
        }
        try await withServer(["/api/v1/query": Self.json(#"{"status":"success","data":{"resultType":"scalar","result":[1,"1"]}}"#)]) { server, client in
            let url = server.baseURL.replacingOccurrences(of: "http://", with: "http://alice:wonder-pw@")
            _ = try await client.query("up", endpoint: PrometheusEndpoint(address: url))
            let h = try #require(server.requests.first).headers
            let condition3 = h.contains { $0.0.lowercased() == "authorization" && $0.1 == "Basic " + Data("alice:wonder-pw".utf8).base64EncodedString() }
            #expect(condition3)
        }
    }

    @Test func timeoutSlowAndRefused() async throws {
        let ok = #"{"status":"success","data":{"resultType":"scalar","result":[1,"5"]}}"#
        try await withServer(["/api/v1/query": Self.json(ok, delay: 0.3)]) { server, client in
            // Slow but inside the timeout: answered.
            let slow = try await client.query("up", endpoint: PrometheusEndpoint(address: server.baseURL, timeout: 3))
            #expect(slow.result == .scalar(timestamp: 1, value: 5))
            // Slower than the timeout: a timeout error, promptly.
            let started = Date()
            do {
                _ = try await client.query("up", endpoint: PrometheusEndpoint(address: server.baseURL, timeout: 0.1))
                Issue.record("no timeout")
            } catch {
                #expect(error as? PrometheusError == .timeout(address: server.baseURL, seconds: 0.1))
                #expect("\(error)".contains("did not answer within 0.1s"))
            }
            #expect(Date().timeIntervalSince(started) < 2)
        }
        // A port nobody listens on: take one from a server and stop it.
        let gone = try await CannedServer.start()
        let url = gone.baseURL
        await gone.stop()
        let client = PrometheusClient()
        do {
            _ = try await client.query("up", endpoint: PrometheusEndpoint(address: url, timeout: 5))
            Issue.record("connected to a closed port")
        } catch {
            #expect("\(error)" == "cannot reach Prometheus at \(url): connection refused")
        }
        do {
            _ = try await client.query("up", endpoint: PrometheusEndpoint(address: "not a url"))
            Issue.record("accepted a bad address")
        } catch {
            #expect(error as? PrometheusError == .invalidAddress("(invalid address)") || "\(error)".contains("invalid Prometheus address"))
        }
        try await client.shutdown()
    }
}
