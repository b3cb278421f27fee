import Foundation
import KubeCore
import SerinTestApp
import Testing
@testable import Analysis

/// New Relic: Flagger's Insights query API against a canned server, and Argo's NerdGraph
/// request and answers in the shapes of New Relic's API docs (results, errors, none).
@Suite struct NewRelicProviderTests {
    static let keys = MetricCredentials(secretData: ["newrelic_account_id": "2750", "newrelic_query_key": "NRIQ-c0ffee"])

    func flagger(_ response: SmallHTTPResponse, credentials: MetricCredentials = keys)
        async throws -> (Result<SingleValue, any Error>, [SmallHTTPRequest]) {
        let server = try await CannedServer.start(routes: ["/v1/accounts/2750/query": response])
        let prometheus = PrometheusClient()
        let provider = NewRelicProvider(clients: MetricClients(prometheus: prometheus))
        let endpoint = MetricEndpoint(address: server.baseURL, credentials: credentials, timeout: 5, window: 120)
        let outcome: Result<SingleValue, any Error>
        do {
            outcome = .success(try await provider.query("SELECT percentage(count(*), WHERE error IS true) AS result FROM Transaction",
                                                        endpoint: endpoint).singleValue())
        } catch {
            outcome = .failure(error)
        }
        let requests = server.requests
        try await prometheus.shutdown()
        await server.stop()
        return (outcome, requests)
    }

    static func json(_ s: String, status: Int = 200) -> SmallHTTPResponse {
        SmallHTTPResponse(status: status, contentType: "application/json", body: s)
    }

    @Test func flaggerInsightsQuery() async throws {
        let (outcome, requests) = try await flagger(Self.json(#"{"results":[{"result":1.25}],"metadata":{"eventTypes":["Transaction"]}}"#))
        guard case .success(.value(let v)) = outcome else { Issue.record("\(outcome)"); return }
        #expect(v == 1.25)
        let r = try #require(requests.first)
        #expect(r.method == "GET")
        #expect(r.query["nrql"] == "SELECT percentage(count(*), WHERE error IS true) AS result FROM Transaction SINCE 120 seconds ago")
        let condition1 = r.headers.contains { $0.0.lowercased() == "x-query-key" && $0.1 == "NRIQ-c0ffee" }
        #expect(condition1)
    }

    @Test func flaggerEdges() async throws {
        let (none, _) = try await flagger(Self.json(#"{"results":[{"result":null}]}"#))
        guard case .success(.noData) = none else { Issue.record("\(none)"); return }
        let (empty, _) = try await flagger(Self.json(#"{"results":[]}"#))
        guard case .success(.noData) = empty else { Issue.record("\(empty)"); return }
        let (denied, _) = try await flagger(Self.json(#"{"error":"Invalid query key"}"#, status: 403))
        guard case .failure(let e) = denied else { Issue.record("\(denied)"); return }
        #expect("\(e)" == #"New Relic answered HTTP 403: {"error":"Invalid query key"}"#)
        let (limited, _) = try await flagger(Self.json(#"{"error":"Rate limit exceeded"}"#, status: 429))
        guard case .failure(let e429) = limited else { Issue.record("\(limited)"); return }
        #expect("\(e429)".contains("rate limiting the requests (HTTP 429)"))
        let (missing, requests) = try await flagger(Self.json("{}"), credentials: MetricCredentials(secretData: ["newrelic_account_id": "2750"]))
        guard case .failure(let eKey) = missing else { Issue.record("\(missing)"); return }
        #expect("\(eKey)".contains("needs the key newrelic_query_key"))
        #expect(requests.isEmpty)
    }

    @Test func argoNerdGraph() throws {
        #expect(try NewRelicProvider.nerdGraphURL(region: nil, override: nil) == "https://api.newrelic.com/graphql")
        #expect(try NewRelicProvider.nerdGraphURL(region: "eu", override: nil) == "https://api.eu.newrelic.com/graphql")
        let r = NewRelicProvider.nerdGraphRequest(url: "https://api.newrelic.com/graphql", key: "NRAK-1", account: 12345,
                                                  nrql: "SELECT count(*) FROM Transaction", timeout: 30)
        #expect(r.method == "POST")
        let condition2 = r.headers.contains { $0.0 == "API-Key" && $0.1 == "NRAK-1" }
        #expect(condition2)
        let body = try JSONValue(parsing: r.body ?? [])
        #expect(body["variables"] == ["accountId": 12345, "query": "SELECT count(*) FROM Transaction", "timeout": 30])
        #expect(body["query"].stringValue?.contains("nrql(query: $query, timeout: $timeout) { results }") == true)

        let one = #"{"data":{"actor":{"account":{"nrql":{"results":[{"successRate":99.2,"count":1200}]}}}}}"#
        guard case .answer(let a, _) = try NewRelicProvider.nerdGraphOutcome(Array(one.utf8)) else { Issue.record("not an answer"); return }
        #expect(a.value == .object(["successRate": .number(99.2), "count": .number(1200)]))
        let (phase, _) = AnalysisRunEvaluator.judge(value: a.value, successCondition: "result.successRate >= 99", failureCondition: nil)
        #expect(phase == .successful)
        let none = #"{"data":{"actor":{"account":{"nrql":{"results":[]}}}}}"#
        guard case .finished(let p, let m, _) = try NewRelicProvider.nerdGraphOutcome(Array(none.utf8)) else { Issue.record("no verdict"); return }
        #expect(p == .failed && m == "no results returned from NRQL query")
        let failed = #"{"data":{"actor":{"account":{"nrql":null}}},"errors":[{"message":"NRQL Syntax Error: Error at line 1 position 8","path":["actor","account","nrql"]}]}"#
        let run = { _ = try NewRelicProvider.nerdGraphOutcome(Array(failed.utf8)) }
        #expect(throws: MetricSpecError.self, performing: run)
        #expect(NewRelicProvider.problems(analysis: ["profile": "x"]) == ["query: is required; write the NRQL query"])
    }
}
