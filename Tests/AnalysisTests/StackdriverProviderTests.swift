import _CryptoExtras
import Foundation
import KubeCore
import SerinTestApp
import Testing
@testable import Analysis

/// Google Cloud Monitoring: a service-account key exchanged for a token (the JWT's RS256
/// signature checked with the key's public half), MQL `timeSeries:query` answers in the shape
/// of Google's REST reference, the metadata server without a key, and the PromQL endpoint.
@Suite struct StackdriverProviderTests {
    static let mql = "fetch k8s_container | metric 'istio.io/service/server/response_latencies' | align delta(1m) | every 1m | group_by [], [p99: percentile(value.response_latencies, 99)]"
    static let answer = #"""
        {"timeSeriesDescriptor":{"pointDescriptors":[{"key":"p99","valueType":"DOUBLE","metricKind":"GAUGE","unit":"ms"}]},"timeSeriesData":[{"pointData":[{"values":[{"doubleValue":212.5}],"timeInterval":{"startTime":"2026-12-02T06:00:00Z","endTime":"2026-12-02T06:00:00Z"}},{"values":[{"doubleValue":300}],"timeInterval":{"startTime":"2026-12-02T05:59:00Z","endTime":"2026-12-02T05:59:00Z"}}]}]}
        """#
    static let tokenAnswer = #"{"access_token":"ya29.c0AfH6SMtestToken","expires_in":3599,"token_type":"Bearer"}"#
    static let queryPath = "/v3/projects/shop-prod/timeSeries:query"

    /// A key file as the console downloads it, with a fresh 2048-bit key and `token_uri` on `base`.
    static func keyFile(_ key: _RSA.Signing.PrivateKey, base: String) -> String {
        let json: JSONValue = [
            "type": "service_account", "project_id": "shop-prod", "private_key_id": "4f1c2d3e",
            "private_key": .string(key.pkcs8PEMRepresentation), "client_email": "flagger@shop-prod.iam.gserviceaccount.com",
            "client_id": "1234567890", "token_uri": .string(base + "/token"),
        ]
        return json.serialized()
    }

    /// Runs one MQL query with a key whose token URI is the canned server itself.
    func run(query answer: SmallHTTPResponse, secret: (String) -> [String: String])
        async throws -> (Result<SingleValue, any Error>, [SmallHTTPRequest]) {
        let server = try await CannedServer.start(routes: ["/token": ProviderRun.json(Self.tokenAnswer), Self.queryPath: answer])
        let prometheus = PrometheusClient()
        let provider = StackdriverProvider(clients: MetricClients(prometheus: prometheus))
        let endpoint = MetricEndpoint(address: server.baseURL, credentials: MetricCredentials(secretData: secret(server.baseURL)), timeout: 5)
        let outcome: Result<SingleValue, any Error>
        do { outcome = .success(try await provider.query(Self.mql, endpoint: endpoint).singleValue()) } catch { outcome = .failure(error) }
        let requests = server.requests
        try await prometheus.shutdown()
        await server.stop()
        return (outcome, requests)
    }

    @Test func aServiceAccountKeyIsExchangedForATokenAndTheFirstPointIsTheValue() async throws {
        let key = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let (outcome, requests) = try await run(query: ProviderRun.json(Self.answer)) { base in
            ["project": "shop-prod", "serviceAccountKey": Self.keyFile(key, base: base)]
        }
        guard case .success(.value(let v)) = outcome else { Issue.record("\(outcome)"); return }
        #expect(v == 212.5)
        let tokenRequests = requests.filter { $0.path == "/token" }
        let tokenRequest = try #require(tokenRequests.first)
        let form = SmallHTTPRequest.fields(tokenRequest.bodyText)
        #expect(form["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer")
        let parts = (form["assertion"] ?? "").split(separator: ".").map(String.init)
        try #require(parts.count == 3)
        let header = try JSONValue(parsing: Array(try #require(Self.unbase64URL(parts[0]))))
        #expect(header == ["alg": "RS256", "typ": "JWT", "kid": "4f1c2d3e"])
        let claims = try JSONValue(parsing: Array(try #require(Self.unbase64URL(parts[1]))))
        #expect(claims["iss"] == "flagger@shop-prod.iam.gserviceaccount.com")
        #expect(claims["scope"] == "https://www.googleapis.com/auth/monitoring.read")
        #expect(claims["aud"].stringValue?.hasSuffix("/token") == true)
        #expect((claims["exp"].intValue ?? 0) - (claims["iat"].intValue ?? 0) == 3600)
        let signature = _RSA.Signing.RSASignature(rawRepresentation: try #require(Self.unbase64URL(parts[2])))
        let signed = key.publicKey.isValidSignature(signature, for: Array((parts[0] + "." + parts[1]).utf8), padding: .insecurePKCS1v1_5)
        #expect(signed)
        let queries = requests.filter { $0.path == Self.queryPath }
        let q = try #require(queries.first)
        #expect(q.method == "POST")
        #expect(q.header("Authorization") == "Bearer ya29.c0AfH6SMtestToken")
        #expect(try JSONValue(parsing: q.body) == ["query": .string(Self.mql)])
    }

    @Test func emptyAnswersErrorsAndBadKeys() async throws {
        let key = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let secret = { (base: String) in ["project": "shop-prod", "serviceAccountKey": Self.keyFile(key, base: base)] }
        let empty = #"{"timeSeriesDescriptor":{"pointDescriptors":[{"key":"p99","valueType":"DOUBLE","metricKind":"GAUGE"}]}}"#
        let (none, _) = try await run(query: ProviderRun.json(empty), secret: secret)
        guard case .success(.noData) = none else { Issue.record("\(none)"); return }
        let int64 = #"{"timeSeriesData":[{"pointData":[{"values":[{"int64Value":"42"}]}]}]}"#
        let (count, _) = try await run(query: ProviderRun.json(int64), secret: secret)
        guard case .success(.value(42)) = count else { Issue.record("\(count)"); return }
        let invalid = #"{"error":{"code":400,"message":"Line 1, column 6: unknown table 'k8s_contaner'","status":"INVALID_ARGUMENT"}}"#
        let (bad, _) = try await run(query: ProviderRun.json(invalid, status: 400), secret: secret)
        guard case .failure(let e400) = bad else { Issue.record("\(bad)"); return }
        #expect("\(e400)" == "Cloud Monitoring answered HTTP 400: Line 1, column 6: unknown table 'k8s_contaner'")
        let quota = #"{"error":{"code":429,"message":"Quota exceeded","status":"RESOURCE_EXHAUSTED"}}"#
        let (limited, _) = try await run(query: ProviderRun.json(quota, status: 429), secret: secret)
        guard case .failure(let e429) = limited else { Issue.record("\(limited)"); return }
        #expect("\(e429)" == "Cloud Monitoring is rate limiting the requests (HTTP 429)")
        let (notAKey, requests) = try await run(query: ProviderRun.json(Self.answer)) { _ in
            ["project": "shop-prod", "serviceAccountKey": #"{"type":"authorized_user","client_id":"x"}"#]
        }
        guard case .failure(let eKey) = notAKey else { Issue.record("\(notAKey)"); return }
        #expect("\(eKey)".contains("not a Google service-account key"))
        #expect(requests.isEmpty)
    }

    @Test func withoutAKeyTheMetadataServerGivesTokenAndProject() async throws {
        let server = try await CannedServer.start(routes: [
            "/computeMetadata/v1/instance/service-accounts/default/token": ProviderRun.json(#"{"access_token":"ya29.metadataToken","expires_in":1800,"token_type":"Bearer"}"#),
            "/computeMetadata/v1/project/project-id": SmallHTTPResponse(body: "shop-prod"),
            Self.queryPath: ProviderRun.json(Self.answer),
        ])
        let prometheus = PrometheusClient()
        var provider = StackdriverProvider(clients: MetricClients(prometheus: prometheus))
        provider.environment = ["GCE_METADATA_HOST": "127.0.0.1:\(server.port)"]
        let answer = try await provider.query(Self.mql, endpoint: MetricEndpoint(address: server.baseURL, timeout: 5))
        #expect(answer.value == .number(212.5))
        let all = server.requests
        let flavored = all.filter { $0.path.hasPrefix("/computeMetadata") }.allSatisfy { $0.header("Metadata-Flavor") == "Google" }
        #expect(flavored)
        let auth = all.first { $0.path == Self.queryPath }?.header("Authorization")
        #expect(auth == "Bearer ya29.metadataToken")
        try await prometheus.shutdown()
        await server.stop()
    }

    @Test func thePrometheusCompatibleEndpointTakesPromQL() async throws {
        let base = "/v1/projects/shop-prod/location/global/prometheus"
        let key = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let server = try await CannedServer.start(routes: [
            "/token": ProviderRun.json(Self.tokenAnswer),
            base + "/api/v1/query": ProviderRun.json(#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1764655200,"0.25"]}]}}"#),
        ])
        let prometheus = PrometheusClient()
        let provider = StackdriverProvider(clients: MetricClients(prometheus: prometheus))
        let creds = MetricCredentials(secretData: ["serviceAccountKey": Self.keyFile(key, base: server.baseURL)])
        let answer = try await provider.query("sum(rate(istio_requests_total[1m]))", endpoint: MetricEndpoint(address: server.baseURL + base, credentials: creds, timeout: 5))
        #expect(try answer.singleValue() == .value(0.25))
        let auth = server.requests.first { $0.path.hasSuffix("/api/v1/query") }?.header("Authorization")
        #expect(auth == "Bearer ya29.c0AfH6SMtestToken")
        try await prometheus.shutdown()
        await server.stop()
    }

    static func unbase64URL(_ s: String) -> [UInt8]? {
        var t = s.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while t.count % 4 != 0 { t += "=" }
        return Data(base64Encoded: t).map { Array($0) }
    }
}
