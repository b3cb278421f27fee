import Foundation
import KubeCore
import SerinAPI
import SerinTestApp
import Testing
@testable import Analysis

/// Argo's web provider against a canned server on loopback: the request as sent (method,
/// path, query, headers, body, OAuth2 token exchange) and the answer as judged.
@Suite struct WebProviderTests {
    static func json(_ s: String, status: Int = 200, delay: Double = 0, headers: [(String, String)] = []) -> SmallHTTPResponse {
        SmallHTTPResponse(status: status, contentType: "application/json", body: s, delaySeconds: delay, headers: headers)
    }

    static func metric(_ web: String, success: String? = nil, failure: String? = nil) throws -> AnalysisMetric {
        AnalysisMetric(name: "webmetric", successCondition: success, failureCondition: failure,
                       provider: try JSONValue(yaml: "web: \(web)").decode(as: AnalysisMetricProvider.self))
    }

    func measure(_ routes: [String: SmallHTTPResponse], web: (String) -> String, success: String? = nil,
                 failure: String? = nil, credentials: MetricCredentials = .none)
        async throws -> (AnalysisMeasurement, [SmallHTTPRequest]) {
        let server = try await CannedServer.start(routes: routes)
        let client = PrometheusClient()
        let m = try Self.metric(web(server.baseURL), success: success, failure: failure)
        let result = await AnalysisMeasurer(client: client).measure(m, credentials: credentials)
        let requests = server.requests
        try await client.shutdown()
        await server.stop()
        return (result, requests)
    }

    @Test func getWithHeadersAndJSONPath() async throws {
        // The shape of Argo's docs example: {"data": {"ok": true}} cut by {$.data.ok}.
        let (m, reqs) = try await measure(["/api/v1/measurement": Self.json(#"{"data":{"ok":true,"rate":0.99}}"#)], web: {
            "{url: '\($0)/api/v1/measurement?service=podinfo', headers: [{key: Authorization, value: 'Bearer tok-9'}], jsonPath: '{$.data.ok}'}"
        }, success: "result == true")
        #expect(m.phase == .successful, "\(m)")
        #expect(m.value == "true")
        #expect(reqs.count == 1)
        #expect(reqs.first?.method == "GET")
        #expect(reqs.first?.query["service"] == "podinfo")
        let condition1 = reqs.first?.headers.contains { $0.0.lowercased() == "authorization" && $0.1 == "Bearer tok-9" } == true
        #expect(condition1)
    }

    @Test func numbersAndMapsFeedTheConditions() async throws {
        let routes = ["/m": Self.json(#"{"data":{"ok":true,"rate":0.93},"items":[{"name":"a","v":1},{"name":"b","v":7}]}"#)]
        let (low, _) = try await measure(routes, web: { "{url: '\($0)/m', jsonPath: '{$.data.rate}'}" }, success: "result >= 0.95")
        #expect(low.phase == .failed)
        #expect(low.value == "0.93")
        let (map, _) = try await measure(routes, web: { "{url: '\($0)/m', jsonPath: '{$.data}'}" },
                                         success: "result.ok == true && result['rate'] > 0.9")
        #expect(map.phase == .successful, "\(map)")
        let (filtered, _) = try await measure(routes, web: { "{url: '\($0)/m', jsonPath: '{$.items[?(@.name == \"b\")].v}'}" },
                                              failure: "result > 5")
        #expect(filtered.phase == .failed)
        #expect(filtered.value == "7")
        // Argo's default jsonPath is the whole answer.
        let (whole, _) = try await measure(routes, web: { "{url: '\($0)/m'}" }, success: "result.data.ok")
        #expect(whole.phase == .successful)
    }

    @Test func postsATextOrJSONBody() async throws {
        let routes = ["/q": Self.json(#"{"value": 3}"#)]
        let (m, reqs) = try await measure(routes, web: {
            "{url: '\($0)/q', method: POST, jsonBody: {service: podinfo, window: 5m}, jsonPath: '{$.value}'}"
        }, success: "result < 5")
        #expect(m.phase == .successful)
        #expect(reqs.first?.method == "POST")
        let condition2 = reqs.first?.headers.contains { $0.0.lowercased() == "content-type" && $0.1 == "application/json" } == true
        #expect(condition2)
        let sent = try JSONValue(parsing: reqs.first?.body ?? [])
        #expect(sent == ["service": "podinfo", "window": "5m"])
        let (put, putReqs) = try await measure(routes, web: { "{url: '\($0)/q', method: PUT, body: 'plain text', jsonPath: '{$.value}'}" })
        #expect(put.phase == .successful)
        #expect(putReqs.first?.method == "PUT")
        #expect(String(decoding: putReqs.first?.body ?? [], as: UTF8.self) == "plain text")
    }

    @Test func aTextAnswerIsOneString() async throws {
        let routes = ["/t": SmallHTTPResponse(status: 200, body: "It worked!")]
        let (ok, _) = try await measure(routes, web: { "{url: '\($0)/t'}" }, success: "result == 'It worked!'")
        #expect(ok.phase == .successful)
        let (no, _) = try await measure(routes, web: { "{url: '\($0)/t'}" }, success: "result == 'ok'")
        #expect(no.phase == .failed)
    }

    @Test func errorsNameTheCause() async throws {
        let routes = [
            "/500": Self.json(#"{"error":"internal"}"#, status: 500),
            "/429": Self.json(#"{"errors":["Rate limit exceeded"]}"#, status: 429, headers: [("Retry-After", "17")]),
            "/empty": Self.json(#"{"data":{}}"#),
            "/slow": Self.json(#"{"data":{"ok":true}}"#, delay: 3),
        ]
        let (e500, _) = try await measure(routes, web: { "{url: '\($0)/500', jsonPath: '{$.data.ok}'}" }, success: "result")
        #expect(e500.phase == .error)
        #expect(e500.message?.contains("answered HTTP 500") == true, "\(e500)")
        let (e429, _) = try await measure(routes, web: { "{url: '\($0)/429', jsonPath: '{$.data.ok}'}" }, success: "result")
        #expect(e429.phase == .error)
        #expect(e429.message?.contains("rate limiting the requests (HTTP 429); retry after 17s") == true, "\(e429)")
        let (empty, _) = try await measure(routes, web: { "{url: '\($0)/empty', jsonPath: '{$.data.ok}'}" }, success: "result")
        #expect(empty.phase == .error)
        #expect(empty.message?.contains("jsonPath {$.data.ok} found nothing") == true, "\(empty)")
        let (slow, _) = try await measure(routes, web: { "{url: '\($0)/slow', timeoutSeconds: 1, jsonPath: '{$.data.ok}'}" },
                                          success: "result")
        #expect(slow.phase == .error)
        #expect(slow.message?.contains("within 1s") == true, "\(slow)")
        let refused = try await measure([:], web: { _ in "{url: 'http://127.0.0.1:1/x'}" }).0
        #expect(refused.phase == .error)
        #expect(refused.message?.contains("cannot reach http://127.0.0.1:1/x") == true, "\(refused)")
    }

    @Test func oauth2ClientCredentialsToken() async throws {
        let routes = [
            "/token": Self.json(#"{"access_token":"at-5f2c","token_type":"bearer","expires_in":3600}"#),
            "/m": Self.json(#"{"data":{"ok":true}}"#),
        ]
        let secret = "s3cr3t-value"
        let (m, reqs) = try await measure(routes, web: {
            "{url: '\($0)/m', jsonPath: '{$.data.ok}', authentication: {oauth2: {tokenUrl: '\($0)/token', clientId: my-client-id, clientSecret: '\(secret)', scopes: [read, metrics]}}}"
        }, success: "result == true")
        #expect(m.phase == .successful, "\(m)")
        #expect(reqs.map(\.path) == ["/token", "/m"])
        let token = reqs[0]
        #expect(token.method == "POST")
        #expect(String(decoding: token.body, as: UTF8.self) == "grant_type=client_credentials&scope=read%20metrics")
        let basic = "Basic " + Data("my-client-id:\(secret)".utf8).base64EncodedString()
        let condition3 = token.headers.contains { $0.0.lowercased() == "authorization" && $0.1 == basic }
        #expect(condition3)
        let condition4 = reqs[1].headers.contains { $0.0.lowercased() == "authorization" && $0.1 == "Bearer at-5f2c" }
        #expect(condition4)

        // A refused client: the server's error is named, the secret is not.
        let denied = ["/token": Self.json(#"{"error":"invalid_client","error_description":"bad secret s3cr3t-value"}"#, status: 401)]
        var creds = MetricCredentials()
        creds.extraSecrets = [secret]
        let (d, _) = try await measure(denied, web: {
            "{url: '\($0)/m', authentication: {oauth2: {tokenUrl: '\($0)/token', clientId: id, clientSecret: '\(secret)'}}}"
        }, success: "result", credentials: creds)
        #expect(d.phase == .error)
        #expect(d.message?.contains("answered HTTP 401: invalid_client") == true, "\(d)")
        #expect(d.message?.contains(secret) == false)
    }

    @Test func settingsProblemsNameTheField() throws {
        func problems(_ yaml: String) throws -> [String] {
            WebProvider.problems(analysis: try JSONValue(yaml: yaml))
        }
        #expect(try problems("{jsonPath: '{$.a}'}") == ["url: is required; write the address to measure, e.g. http://my-service/metrics"])
        #expect(try problems("{url: 'http://a/x', body: '{}'}") == ["method: a body needs method POST or PUT"])
        #expect(try problems("{url: 'http://a/x', method: POST, body: x, jsonBody: {a: 1}}") == ["body: use either body or jsonBody, not both"])
        #expect(try problems("{url: 'http://a/x', method: DELETE}") == ["method: \"DELETE\" is not GET, POST or PUT; use one of them"])
        #expect(try problems("{url: 'http://a/x', jsonPath: '{$.a[}'}").first?.hasPrefix("jsonPath: jsonPath \"{$.a[}\": [ is not closed") == true)
        #expect(try problems("{url: '{{args.secret-url}}'}") == [])
        #expect(try problems("{url: 'http://a/x', authentication: {sigv4: {region: eu-west-1}}}") == [
            "authentication.sigv4: AWS SigV4 signing of web requests is not supported by Serin yet; use oauth2 or headers",
        ])
        #expect(try problems("{url: 'ftp://a/x'}").first?.hasPrefix("url:") == true)
        let spec = AnalysisRunSpec(metrics: [try Self.metric("{jsonPath: '{$.a}'}")])
        #expect(AnalysisRunEvaluator.validate(spec) == [
            "metric \"webmetric\" provider.web.url: is required; write the address to measure, e.g. http://my-service/metrics",
        ])
    }

    @Test func jsonPathSelector() throws {
        let doc: JSONValue = try JSONValue(parsing: #"{"a":{"b":[1,2,3]},"k":{"x y":"z"},"n":null}"#)
        #expect(try JSONPathSelector("{$}").select(doc) == [doc])
        #expect(try JSONPathSelector("{.a.b[0]}").select(doc) == [1])
        #expect(try JSONPathSelector("{$.a.b[-1]}").select(doc) == [3])
        #expect(try JSONPathSelector("{$.a.b[*]}").select(doc) == [1, 2, 3])
        #expect(try JSONPathSelector("{$.k['x y']}").select(doc) == ["z"])
        #expect(try JSONPathSelector("{$.missing}").select(doc) == [])
        #expect(try JSONPathSelector("{$.n}").select(doc) == [.null])
        let bad = { _ = try JSONPathSelector("{$.a") }
        #expect(throws: JSONPathSelector.ParseError.self, performing: bad)
    }
}

/// Argo's Prometheus `authentication.oauth2`: a client-credentials token, then the query with it.
@Suite struct PrometheusOAuth2Tests {
    @Test func theQueryCarriesTheToken() async throws {
        let server = try await CannedServer.start(routes: [
            "/token": WebProviderTests.json(#"{"access_token":"prom-tok-1","token_type":"bearer","expires_in":300}"#),
            "/api/v1/query": WebProviderTests.json(#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"0.99"]}]}}"#),
        ])
        let client = PrometheusClient()
        let provider = try JSONValue(yaml: """
            prometheus:
              address: \(server.baseURL)
              query: up
              authentication:
                oauth2: {tokenUrl: '\(server.baseURL)/token', clientId: c1, clientSecret: s3cr3t, scopes: [read]}
            """).decode(as: AnalysisMetricProvider.self)
        let m = await AnalysisMeasurer(client: client).measure(
            AnalysisMetric(name: "rate", successCondition: "result[0] >= 0.95", provider: provider))
        let requests = server.requests
        try await client.shutdown()
        await server.stop()
        #expect(m.phase == .successful, "\(m)")
        #expect(requests.map(\.path) == ["/token", "/api/v1/query"])
        let condition5 = requests.last?.headers.contains { $0.0.lowercased() == "authorization" && $0.1 == "Bearer prom-tok-1" } == true
        #expect(condition5)
    }
}
