import Foundation
import KubeCore
import SerinAPI
import SerinTestApp
import Testing
@testable import Analysis

/// Argo's wavefront, kayenta and skywalking providers: requests and answers in the shapes
/// of the vendors' API docs, including errors, empty answers and rate limits.
@Suite struct ArgoSaaSProviderTests {
    static func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

    @Test("wavefront: the chart API request; one series a number, several a list, NaN inconclusive, none an error")
    func wavefront() throws {
        let r = try WavefrontProvider.request(query: #"ts("istio.requestcount.count")"#, address: "example.wavefront.com",
                                              token: "wf-7e57", startMillis: 1_700_000_000_000)
        let c = try #require(URLComponents(string: r.url))
        #expect(c.scheme == "https" && c.host == "example.wavefront.com" && c.path == "/api/v2/chart/api")
        let q = Dictionary(uniqueKeysWithValues: (c.queryItems ?? []).map { ($0.name, $0.value ?? "") })
        #expect(q == ["q": #"ts("istio.requestcount.count")"#, "s": "1700000000000", "g": "s", "p": "1", "i": "false"])
        let bearer = r.headers.contains { $0.0 == "Authorization" && $0.1 == "Bearer wf-7e57" }
        #expect(bearer)

        let one = #"{"name":"q","query":"q","timeseries":[{"label":"istio.requestcount.count","host":"web","tags":{},"data":[[1700000000,0.97]]}],"granularity":1}"#
        guard case .answer(let a, _) = try WavefrontProvider.outcome(Self.bytes(one)) else { Issue.record("not an answer"); return }
        #expect(a.value == .number(0.97))
        let two = #"{"timeseries":[{"label":"a","data":[[1,0.5]]},{"label":"b","data":[[1,0.25]]}]}"#
        guard case .answer(let b, _) = try WavefrontProvider.outcome(Self.bytes(two)) else { Issue.record("not an answer"); return }
        #expect(b.value == .array([.number(0.5), .number(0.25)]))
        let nan = #"{"timeseries":[{"label":"a","data":[]}]}"#
        guard case .finished(let p, _, _) = try WavefrontProvider.outcome(Self.bytes(nan)) else { Issue.record("no verdict"); return }
        #expect(p == .inconclusive)
        var message = ""
        do { _ = try WavefrontProvider.outcome(Self.bytes(#"{"query":"q","timeseries":[]}"#)) } catch { message = "\(error)" }
        #expect(message == "No TimeSeries found in response from Wavefront")
        do { _ = try WavefrontProvider.outcome(Self.bytes(#"{"status":{"result":"ERROR","message":"Query syntax error","code":400}}"#)) } catch { message = "\(error)" }
        #expect(message == "Wavefront: Query syntax error")
        #expect(WavefrontProvider.problems(analysis: ["query": "ts(x)"]) == ["address: is required; write the Wavefront host, e.g. example.wavefront.com"])
    }

    @Test("skywalking: the GraphQL request with $duration in minutes; data as result; errors and no data")
    func skywalking() throws {
        let end = Date(timeIntervalSince1970: 1_700_000_000)  // 2023-11-14 22:13 UTC
        let r = try SkyWalkingProvider.request(query: "query q($duration: Duration!) { x }", address: "http://oap:12800/", end: end, interval: 180)
        #expect(r.method == "POST" && r.url == "http://oap:12800/graphql")
        let body = try JSONValue(parsing: r.body ?? [])
        #expect(body["variables"]["duration"] == ["start": "2023-11-14 2210", "end": "2023-11-14 2213", "step": "MINUTE"])
        let answer = #"{"data":{"service_apdex":{"label":null,"values":{"values":[{"value":9950},{"value":9990}]}}}}"#
        guard case .answer(let a, _) = try SkyWalkingProvider.outcome(Self.bytes(answer)) else { Issue.record("not an answer"); return }
        let (phase, _) = AnalysisRunEvaluator.judge(value: a.value, successCondition: "all(result.service_apdex.values.values, {asFloat(.value) >= 9900})",
                                                    failureCondition: nil)
        #expect(phase == .successful)
        guard case .finished(let p, let m, _) = try SkyWalkingProvider.outcome(Self.bytes(#"{"data":null}"#)) else { Issue.record("no verdict"); return }
        #expect(p == .failed && m == "no results returned from SkyWalking query")
        var message = ""
        do {
            _ = try SkyWalkingProvider.outcome(Self.bytes(#"{"errors":[{"message":"Validation error of type FieldUndefined: Field 'readMetricsValue' in type 'Query' is undefined"}],"data":null}"#))
        } catch { message = "\(error)" }
        #expect(message.hasPrefix("SkyWalking GraphQL: Validation error of type FieldUndefined"))
        #expect(SkyWalkingProvider.problems(analysis: ["address": "oap:12800", "query": "q", "interval": "3m"]).count == 1)
    }

    @Test("kayenta: scopes and thresholds as the execution request; the score judged by pass and marginal")
    func kayenta() throws {
        let settings: JSONValue = [
            "address": "https://kayenta.example.com", "application": "guestbook", "canaryConfigName": "my-test",
            "thresholds": ["pass": 90, "marginal": 75],
            "scopes": [["name": "default",
                        "controlScope": ["scope": "app=guestbook and rollouts-pod-template-hash=abc", "step": 60, "start": "2024-01-01T00:00:00Z", "end": "2024-01-01T00:10:00Z"],
                        "experimentScope": ["scope": "app=guestbook and rollouts-pod-template-hash=def", "step": 60, "start": "2024-01-01T00:00:00Z", "end": "2024-01-01T00:10:00Z"]]],
        ]
        #expect(KayentaProvider.problems(analysis: settings) == [])
        let body = KayentaProvider.executionRequest(settings)
        #expect(body["thresholds"] == ["pass": 90, "marginal": 75])
        #expect(body["scopes"]["default"]["experimentScope"]["scope"] == "app=guestbook and rollouts-pod-template-hash=def")
        func score(_ s: Double) throws -> AnalysisPhase? {
            let json: JSONValue = ["complete": true, "result": ["judgeResult": ["score": ["score": .double(s)]]]]
            guard case .finished(let p, _, let md) = try KayentaProvider.judged(json, pass: 90, marginal: 75, metadata: ["canaryExecutionId": "e1"]) else { return nil }
            #expect(md["score"] == "\(Int(s))")
            return p
        }
        #expect(try score(95) == .successful)
        #expect(try score(80.5) == .inconclusive)
        #expect(try score(12) == .failed)
        guard case .running(let md) = try KayentaProvider.judged(["complete": false], pass: 90, marginal: 75, metadata: ["canaryExecutionId": "e1"]) else {
            Issue.record("not running"); return
        }
        #expect(md["canaryExecutionId"] == "e1")
        let missing = { _ = try KayentaProvider.judged(["complete": true, "result": [:]], pass: 90, marginal: 75, metadata: [:]) }
        #expect(throws: MetricSpecError.self, performing: missing)
        #expect(KayentaProvider.problems(analysis: ["address": "kayenta:8090"]).count == 5)
    }

    @Test("prometheus rangeQuery: now() expressions and RFC 3339 times; every point of the answer in order")
    func rangeQuery() throws {
        let now = Date(timeIntervalSince1970: 1_700_000_000)
        let (start, end, step) = try PrometheusRange.window(PrometheusRangeQuery(start: #"now() - duration("5m")"#, end: "now()", step: "1m"), now: now)
        #expect(start == now.addingTimeInterval(-300) && end == now && step == 60)
        #expect(try PrometheusRange.time("2023-11-14T22:13:20Z", now: now, field: "start") == now)
        #expect(PrometheusRange.problems(PrometheusRangeQuery(start: "yesterday", end: "now()", step: "0s")) == [
            #"rangeQuery.start: "yesterday" is not now(), now() - duration("5m") or an RFC 3339 time"#,
            #"rangeQuery.step: "0s" is not a positive duration such as 1m"#,
        ])
        let backwards = { _ = try PrometheusRange.window(PrometheusRangeQuery(start: "now()", end: #"now() - duration("1m")"#, step: "1m"), now: now) }
        #expect(throws: MetricSpecError.self, performing: backwards)
        let matrix = PromResult.matrix([PromSeries(labels: [:], points: [PromPoint(timestamp: 1, value: 300), PromPoint(timestamp: 2, value: 950)])])
        #expect(PrometheusRange.values(matrix) == [300, 950])
    }
}
