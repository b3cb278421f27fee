import Foundation
import KubeCore
import SerinTestApp
import Testing
@testable import Analysis

/// Dynatrace's metrics API v2 (`/api/v2/metrics/query`), answers in the shapes of Dynatrace's
/// API reference: a result with data series, an empty result, an error object, a rate limit.
@Suite struct DynatraceProviderTests {
    static let answer = #"""
        {"totalCount":1,"nextPageKey":null,"resolution":"Inf","result":[{"metricId":"builtin:service.response.time:filter(eq(dt.entity.service,SERVICE-ABCDEFG0123456789)):percentile(95)","dataPointCountRatio":3.6E-6,"dimensionCountRatio":5.0E-5,"data":[{"dimensions":[],"dimensionMap":{},"timestamps":[1764655200000],"values":[231487.5]}]}]}
        """#
    static let token = MetricCredentials(secretData: ["dynatrace_token": "dt0c01.ABC.secretpart"])
    static let selector = "builtin:service.response.time:filter(eq(dt.entity.service,SERVICE-ABCDEFG0123456789)):percentile(95)\n"

    func run(_ response: SmallHTTPResponse, credentials: MetricCredentials = token)
        async throws -> (Result<SingleValue, any Error>, [SmallHTTPRequest]) {
        let (o, r, _) = try await ProviderRun.query(DynatraceProvider.init(clients:), routes: ["/api/v2/metrics/query": response],
                                                    query: Self.selector, credentials: credentials, window: 60)
        return (o, r)
    }

    @Test func queryTakesTheFirstValueOverTenIntervalsWithTheApiToken() async throws {
        let (outcome, requests) = try await run(ProviderRun.json(Self.answer))
        guard case .success(.value(let v)) = outcome else { Issue.record("\(outcome)"); return }
        #expect(v == 231487.5)
        let r = try #require(requests.first)
        #expect(r.method == "GET")
        #expect(r.query["metricSelector"] == "builtin:service.response.time:filter(eq(dt.entity.service,SERVICE-ABCDEFG0123456789)):percentile(95)")
        #expect(r.query["resolution"] == "Inf")
        let from = Int64(r.query["from"] ?? "") ?? 0, to = Int64(r.query["to"] ?? "") ?? 0
        #expect(to - from == 600_000)
        #expect(r.header("Authorization") == "Api-Token dt0c01.ABC.secretpart")
    }

    @Test func emptyNullErrorsAndRateLimits() async throws {
        let (empty, _) = try await run(ProviderRun.json(#"{"totalCount":0,"nextPageKey":null,"resolution":"Inf","result":[]}"#))
        guard case .success(.noData) = empty else { Issue.record("\(empty)"); return }
        let noSeries = #"{"totalCount":1,"result":[{"metricId":"builtin:x","data":[]}]}"#
        let (none, _) = try await run(ProviderRun.json(noSeries))
        guard case .success(.noData) = none else { Issue.record("\(none)"); return }
        let nullValue = #"{"totalCount":1,"result":[{"metricId":"builtin:x","data":[{"dimensions":[],"timestamps":[1764655200000],"values":[null]}]}]}"#
        let (null, _) = try await run(ProviderRun.json(nullValue))
        guard case .success(.noData) = null else { Issue.record("\(null)"); return }
        let bad = #"{"error":{"code":400,"message":"Cannot parse metric selector: Unexpected character at position 12."}}"#
        let (e400, _) = try await run(ProviderRun.json(bad, status: 400))
        guard case .failure(let error400) = e400 else { Issue.record("\(e400)"); return }
        #expect("\(error400)" == "Dynatrace answered HTTP 400: Cannot parse metric selector: Unexpected character at position 12.")
        let (e429, _) = try await run(ProviderRun.json(#"{"error":{"code":429,"message":"Too Many Requests"}}"#, status: 429,
                                                       headers: [("Retry-After", "17")]))
        guard case .failure(let error429) = e429 else { Issue.record("\(e429)"); return }
        #expect("\(error429)" == "Dynatrace is rate limiting the requests (HTTP 429); retry after 17s")
        let (missing, requests) = try await run(ProviderRun.json(Self.answer), credentials: MetricCredentials(secretData: ["token": "x"]))
        guard case .failure(let eKey) = missing else { Issue.record("\(missing)"); return }
        #expect("\(eKey)".contains("needs the key dynatrace_token"))
        #expect(requests.isEmpty)
    }

    @Test func anEchoedTokenIsRedacted() async throws {
        let echo = #"{"error":{"code":401,"message":"Token dt0c01.ABC.secretpart is not valid"}}"#
        let (outcome, _) = try await run(ProviderRun.json(echo, status: 401))
        guard case .failure(let e) = outcome else { Issue.record("\(outcome)"); return }
        #expect("\(e)" == "Dynatrace answered HTTP 401: Token [redacted] is not valid")
    }
}
