import Foundation
import KubeCore
import SerinTestApp
import Testing
@testable import Analysis

/// Datadog's v1 query and v2 scalar APIs: the requests as sent and answers in the shapes of
/// Datadog's API reference (series with pointlists, scalar columns, errors, rate limits).
@Suite struct DatadogProviderTests {
    static let v1Answer = #"""
        {"status":"ok","res_type":"time_series","series":[{"metric":"system.cpu.idle","attributes":{},"display_name":"system.cpu.idle","unit":null,"pointlist":[[1575317847000,98.7],[1575317848000,99.1]],"end":1575317848000,"interval":1,"length":2,"start":1575317847000,"expression":"system.cpu.idle{host:foo}","scope":"host:foo","query_index":0,"aggregation":"avg","tag_set":[]}],"from_date":1575317847000,"group_by":[],"to_date":1575317848000,"query":"system.cpu.idle{host:foo}","message":"","values":[],"times":[]}
        """#

    static func json(_ s: String, status: Int = 200, headers: [(String, String)] = []) -> SmallHTTPResponse {
        SmallHTTPResponse(status: status, contentType: "application/json", body: s, headers: headers)
    }

    static let keys = MetricCredentials(secretData: ["datadog_api_key": "api-0f1e", "datadog_application_key": "app-9d8c"])

    func flagger(_ response: SmallHTTPResponse, credentials: MetricCredentials = keys)
        async throws -> (Result<SingleValue, any Error>, [SmallHTTPRequest]) {
        let server = try await CannedServer.start(routes: ["/api/v1/query": response])
        let prometheus = PrometheusClient()
        let provider = DatadogProvider(clients: MetricClients(prometheus: prometheus))
        let endpoint = MetricEndpoint(address: server.baseURL, credentials: credentials, timeout: 5, window: 60)
        let outcome: Result<SingleValue, any Error>
        do { outcome = .success(try await provider.query("sum:requests{env:prod}", endpoint: endpoint).singleValue()) } catch {
            outcome = .failure(error)
        }
        let requests = server.requests
        try await prometheus.shutdown()
        await server.stop()
        return (outcome, requests)
    }

    @Test func flaggerQueryTakesTheFirstPointOfTenIntervals() async throws {
        let (outcome, requests) = try await flagger(Self.json(Self.v1Answer))
        guard case .success(.value(let v)) = outcome else { Issue.record("\(outcome)"); return }
        #expect(v == 98.7)
        let r = try #require(requests.first)
        #expect(r.method == "GET")
        #expect(r.path == "/api/v1/query")
        #expect(r.query["query"] == "sum:requests{env:prod}")
        let from = Int(r.query["from"] ?? "") ?? 0, to = Int(r.query["to"] ?? "") ?? 0
        #expect(to - from == 600)
        let condition1 = r.headers.contains { $0.0.lowercased() == "dd-api-key" && $0.1 == "api-0f1e" }
        #expect(condition1)
        let condition2 = r.headers.contains { $0.0.lowercased() == "dd-application-key" && $0.1 == "app-9d8c" }
        #expect(condition2)
    }

    @Test func flaggerEdges() async throws {
        let (empty, _) = try await flagger(Self.json(#"{"status":"ok","series":[],"query":"x"}"#))
        guard case .success(.noData) = empty else { Issue.record("\(empty)"); return }
        let (forbidden, _) = try await flagger(Self.json(#"{"errors":["Forbidden"]}"#, status: 403))
        guard case .failure(let e403) = forbidden else { Issue.record("\(forbidden)"); return }
        #expect("\(e403)" == #"Datadog answered HTTP 403: {"errors":["Forbidden"]}"#)
        let (limited, _) = try await flagger(Self.json(#"{"errors":["Rate limit exceeded"]}"#, status: 429,
                                                       headers: [("X-RateLimit-Limit", "100"), ("X-RateLimit-Reset", "42")]))
        guard case .failure(let e429) = limited else { Issue.record("\(limited)"); return }
        #expect("\(e429)" == "Datadog is rate limiting the requests (HTTP 429); retry after 42s")
        // A key missing from the Secret is named; the present key's value is not shown.
        let (missing, requests) = try await flagger(Self.json(Self.v1Answer),
                                                    credentials: MetricCredentials(secretData: ["datadog_api_key": "api-0f1e"]))
        guard case .failure(let eKey) = missing else { Issue.record("\(missing)"); return }
        #expect("\(eKey)".contains("needs the key datadog_application_key"))
        #expect(!"\(eKey)".contains("api-0f1e"))
        #expect(requests.isEmpty)
    }

    @Test func argoV1TakesTheLastPoint() throws {
        #expect(try DatadogProvider.v1Value(Array(Self.v1Answer.utf8), point: .last) == 99.1)
        #expect(try DatadogProvider.v1Value(Array(#"{"series":[{"pointlist":[]}]}"#.utf8), point: .last) == nil)
    }

    @Test func argoV2ScalarRequestAndAnswers() throws {
        let keys = DatadogProvider.DatadogKeys(api: "a", app: "b")
        let r = try DatadogProvider.v2Request(
            queries: ["a": "sum:requests.errors{service:x}.as_count()", "b": "sum:requests{service:x}.as_count()"],
            formula: "a / b", aggregator: "last", address: "https://api.datadoghq.eu/", from: 1_700_000_000,
            to: 1_700_000_300, keys: keys, timeout: 10)
        #expect(r.method == "POST")
        #expect(r.url == "https://api.datadoghq.eu/api/v2/query/scalar")
        let body = try JSONValue(parsing: r.body ?? [])
        #expect(body[path: ["data", "type"]] == "scalar_request")
        #expect(body[path: ["data", "attributes", "from"]] == 1_700_000_000_000)
        #expect(body[path: ["data", "attributes", "to"]] == 1_700_000_300_000)
        #expect(body[path: ["data", "attributes", "formulas"]] == [["formula": "a / b"]])
        #expect(body[path: ["data", "attributes", "queries"]][0] == [
            "aggregator": "last", "data_source": "metrics", "name": "a", "query": "sum:requests.errors{service:x}.as_count()",
        ])
        let one = #"{"data":{"type":"scalar_response","attributes":{"columns":[{"name":"a","values":[0.0042],"type":"number","meta":{"unit":null}}]}}}"#
        #expect(try DatadogProvider.v2Value(Array(one.utf8)).value == .number(0.0042))
        let none = #"{"data":{"type":"scalar_response","attributes":{"columns":[{"name":"a","values":[],"type":"number"}]}}}"#
        #expect(try DatadogProvider.v2Value(Array(none.utf8)).value == .null)
        let grouped = #"{"data":{"type":"scalar_response","attributes":{"columns":[{"name":"service","type":"group","values":[["service:a"],["service:b"]]},{"name":"a","type":"number","values":[1.5,7]}]}}}"#
        #expect(try DatadogProvider.v2Value(Array(grouped.utf8)).value == .array([.number(1.5), .number(7)]))
        let failed = #"{"data":{"type":"scalar_response","attributes":{"columns":[]}},"errors":"Error parsing query: unable to parse sum:requests{: Rule 'scope_expr' didn't match"}"#
        let run = { _ = try DatadogProvider.v2Value(Array(failed.utf8)) }
        #expect(throws: MetricSpecError.self, performing: run)
    }

    @Test func argoSettingsProblems() throws {
        func problems(_ yaml: String) throws -> [String] { DatadogProvider.problems(analysis: try JSONValue(yaml: yaml)) }
        #expect(try problems("{apiVersion: v2, interval: 5m, query: 'sum:x{*}'}") == [])
        #expect(try problems("{apiVersion: v2, queries: {a: 'x', b: 'y'}, formula: 'a / b'}") == [])
        #expect(try problems("{apiVersion: v2}") == ["query: a query or queries is required"])
        #expect(try problems("{apiVersion: v2, queries: {a: x, b: y}}") == ["formula: several queries need a formula that combines them"])
        #expect(try problems("{query: x, aggregator: last}") == ["aggregator: apiVersion v1 has no aggregator; use apiVersion: v2"])
        #expect(try problems("{apiVersion: v3, query: x}") == ["apiVersion: \"v3\" is not v1 or v2"])
        #expect(try problems("{apiVersion: v2, query: x, secretRef: {namespaced: true}}") == ["secretRef.name: a namespaced secretRef needs the Secret's name"])
    }

    /// Argo's `DD_API_KEY`, `DD_APP_KEY`, `DD_ADDRESS` on the operator: used when the metric names
    /// no Secret and all three are set; otherwise the Secret is looked for (here: no API to read it).
    @Test func argoEnvironmentCredentials() async throws {
        let server = try await CannedServer.start(routes: ["/api/v1/query": Self.json(Self.v1Answer)])
        let prometheus = PrometheusClient()
        var provider = DatadogProvider(clients: MetricClients(prometheus: prometheus))
        provider.environment = ["DD_API_KEY": "env-api-77aa", "DD_APP_KEY": "env-app-88bb", "DD_ADDRESS": server.baseURL]
        let context = AnalysisProviderContext(run: AnalysisRunIdentity(name: "run", namespace: "shop", uid: "u1"), metricName: "errors")
        let measured = try await provider.measure(analysis: try JSONValue(yaml: "{query: 'sum:requests.errors{*}', interval: 5m}"), context: context)
        guard case .answer(let answer, _) = measured else { Issue.record("\(measured)"); return }
        #expect(answer.value == .number(99.1))
        let r = try #require(server.requests.first)
        #expect(r.header("DD-API-KEY") == "env-api-77aa")
        #expect(r.header("DD-APPLICATION-KEY") == "env-app-88bb")
        let named = { () async -> String in
            do { _ = try await provider.measure(analysis: try JSONValue(yaml: "{query: x, secretRef: {name: dd}}"), context: context); return "" } catch {
                return "\(error)"
            }
        }
        #expect(await named().contains("needs the Kubernetes API to read its Secret"))
        provider.environment = ["DD_API_KEY": "env-api-77aa", "DD_APP_KEY": "env-app-88bb"]
        let partial = { () async -> String in
            do { _ = try await provider.measure(analysis: try JSONValue(yaml: "{query: x}"), context: context); return "" } catch { return "\(error)" }
        }
        #expect(await partial().contains("needs the Kubernetes API to read its Secret"))
        #expect(server.requests.count == 1)
        try await prometheus.shutdown()
        await server.stop()
    }
}
