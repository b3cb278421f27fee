import Foundation
import KubeCore
import SerinTestApp
import Testing
@testable import Analysis

/// Splunk Observability's SignalFlow HTTP API (`POST /v2/signalflow/execute`): the stream of
/// Server-Sent Events as SignalFlow's stream-messages reference has it (control messages,
/// metadata, data batches, errors), failures and rate limits.
@Suite struct SplunkProviderTests {
    static let program = """
        total = data('traces.count', filter=filter('sf_service', 'podinfo')).sum().publish(enable=False)
        success = data('traces.count', filter=filter('sf_service', 'podinfo') and filter('sf_error', 'false')).sum().publish(enable=False)
        ((success/total) * 100).publish()
        """
    static let token = MetricCredentials(secretData: ["sf_token_key": "sfx-Zq81kT0kEN"])

    /// A computation's stream: JSON of a message may span several `data:` lines.
    static func stream(_ values: [Double], tsIds: [String] = ["AAAAAFf0Q9s"]) -> String {
        var out = """
            event: control-message
            data: {
            data:   "event" : "STREAM_START",
            data:   "timestampMs" : 1764655200000
            data: }

            event: control-message
            data: {"event":"JOB_START","handle":"FxZ3abcAAAA","timestampMs":1764655200012}

            """
        for id in tsIds {
            out += "\nevent: metadata\ndata: {\"tsId\":\"\(id)\",\"properties\":{\"sf_key\":[\"sf_originatingMetric\"],\"sf_originatingMetric\":\"traces.count\",\"sf_type\":\"MetricTimeSeries\"}}\n"
        }
        for (i, v) in values.enumerated() {
            let points = tsIds.map { "{\"tsId\":\"\($0)\",\"value\":\(v)}" }.joined(separator: ",")
            out += "\nevent: data\ndata: {\"data\":[\(points)],\"logicalTimestampMs\":\(1_764_655_200_000 + i * 60000)}\n"
        }
        out += "\nevent: control-message\ndata: {\"event\":\"END_OF_CHANNEL\",\"timestampMs\":1764655260000}\n\n"
        return out
    }

    func run(_ response: SmallHTTPResponse, credentials: MetricCredentials = token)
        async throws -> (Result<SingleValue, any Error>, [SmallHTTPRequest]) {
        let (o, r, _) = try await ProviderRun.query(SplunkProvider.init(clients:), routes: ["/v2/signalflow/execute": response],
                                                    query: Self.program, credentials: credentials, window: 60)
        return (o, r)
    }

    static func sse(_ text: String) -> SmallHTTPResponse { SmallHTTPResponse(contentType: "text/event-stream", body: text) }

    @Test func theLastDatapointOfTheProgramOverTenIntervals() async throws {
        let (outcome, requests) = try await run(Self.sse(Self.stream([97.5, 99.25])))
        guard case .success(.value(let v)) = outcome else { Issue.record("\(outcome)"); return }
        #expect(v == 99.25)
        let r = try #require(requests.first)
        #expect(r.method == "POST")
        #expect(r.bodyText == Self.program)
        #expect(r.header("X-SF-Token") == "sfx-Zq81kT0kEN")
        #expect(r.header("Content-Type") == "text/plain")
        #expect(r.query["immediate"] == "true")
        let start = Int64(r.query["start"] ?? "") ?? 0, stop = Int64(r.query["stop"] ?? "") ?? 0
        #expect(stop - start == 600_000)
    }

    @Test func noDatapointsSeveralSeriesAndErrors() async throws {
        let (empty, _) = try await run(Self.sse(Self.stream([])))
        guard case .success(.noData) = empty else { Issue.record("\(empty)"); return }
        let (several, _) = try await run(Self.sse(Self.stream([1], tsIds: ["AAAAAFf0Q9s", "AAAAAH2mE1c"])))
        guard case .failure(let eSeveral) = several else { Issue.record("\(several)"); return }
        #expect("\(eSeveral)".contains("published 2 time series; the program must publish one"))
        let failed = "event: error\ndata: {\"errors\":[{\"code\":\"ANALYTICS_PROGRAM_COMPILATION_ERROR\",\"message\":\"Unknown function 'dta'\"}]}\n\n"
        let (programError, _) = try await run(Self.sse(failed))
        guard case .failure(let eProgram) = programError else { Issue.record("\(programError)"); return }
        #expect("\(eProgram)" == "Splunk SignalFlow: the program failed: ANALYTICS_PROGRAM_COMPILATION_ERROR: Unknown function 'dta'")
        let (unauthorized, _) = try await run(ProviderRun.json(#"{"code":401,"message":"Unauthorized","errorType":"UNAUTHORIZED"}"#, status: 401))
        guard case .failure(let e401) = unauthorized else { Issue.record("\(unauthorized)"); return }
        #expect("\(e401)" == "Splunk SignalFlow answered HTTP 401: Unauthorized (UNAUTHORIZED)")
        let (limited, _) = try await run(ProviderRun.json(#"{"code":429,"message":"Too many requests"}"#, status: 429, headers: [("Retry-After", "3")]))
        guard case .failure(let e429) = limited else { Issue.record("\(limited)"); return }
        #expect("\(e429)" == "Splunk SignalFlow is rate limiting the requests (HTTP 429); retry after 3s")
        let (missing, requests) = try await run(Self.sse(Self.stream([1])), credentials: .none)
        guard case .failure(let eKey) = missing else { Issue.record("\(missing)"); return }
        #expect("\(eKey)".contains("needs the key sf_token_key"))
        #expect(requests.isEmpty)
    }

    @Test func flaggersApiAddressIsSentToTheStreamHost() throws {
        #expect(try SplunkProvider.streamBase("https://api.us1.signalfx.com") == "https://stream.us1.signalfx.com")
        #expect(try SplunkProvider.streamBase("wss://stream.eu0.signalfx.com/") == "https://stream.eu0.signalfx.com")
        #expect(try SplunkProvider.streamBase("http://127.0.0.1:8080") == "http://127.0.0.1:8080")
        let r = try SplunkProvider.request("data('x').publish()", address: "https://api.us1.signalfx.com", token: "t",
                                           start: 1, stop: 2, timeout: 5)
        #expect(r.url == "https://stream.us1.signalfx.com/v2/signalflow/execute?start=1&stop=2&immediate=true")
    }
}
