import Foundation
import KubeCore
import SerinAPI
import SerinTestApp
import Testing
@testable import Analysis

/// Argo's Prometheus `rangeQuery` and `authentication.sigv4` through the measurer, against a
/// canned Prometheus: the range asked, every point judged, each query SigV4-signed for `aps`.
@Suite struct PrometheusRangeSigV4Tests {
    @Test("a signed range query: query_range from now() - 5m to now() every 1m; all(result, # < 1000) over every point")
    func signedRangeQuery() async throws {
        let matrix = #"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"service":"web"},"values":[[1700000000,"300"],[1700000060,"950"]]}]}}"#
        let server = try await CannedServer.start(routes: ["/workspaces/ws-1/api/v1/query_range": SmallHTTPResponse(
            status: 200, contentType: "application/json", body: matrix)])
        let client = PrometheusClient()
        let now = Date(timeIntervalSince1970: 1_700_000_300)
        var measurer = AnalysisMeasurer(client: client, now: { now })
        measurer.environment = ["AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"]
        let spec = PrometheusProviderSpec(address: server.baseURL + "/workspaces/ws-1", query: #"http_latency_ms{service="web"}"#,
                                          authentication: PrometheusAuthentication(sigv4: ["region": "us-east-1"]),
                                          rangeQuery: PrometheusRangeQuery(start: #"now() - duration("5m")"#, end: "now()", step: "1m"))
        let metric = AnalysisMetric(name: "latency", successCondition: "all(result, # < 1000)",
                                    provider: AnalysisMetricProvider(prometheus: spec))
        let m = await measurer.measure(metric)
        let requests = server.requests
        try await client.shutdown()
        await server.stop()
        #expect(m.phase == .successful, "\(m.message ?? "")")
        #expect(m.value == "[300,950]")
        let r = try #require(requests.first)
        let form = HTTPServerRequestFields.parse(String(decoding: r.body, as: UTF8.self))
        #expect(form["start"] == "1700000000.000" && form["end"] == "1700000300.000" && form["step"] == "60")
        let auth = r.headers.first { $0.0.lowercased() == "authorization" }?.1 ?? ""
        #expect(auth.hasPrefix("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/"), "\(auth)")
        #expect(auth.contains("/us-east-1/aps/aws4_request"))
        #expect(!(m.message ?? "").contains("wJalr"))
    }
}

/// `a=1&b=2` form fields.
enum HTTPServerRequestFields {
    static func parse(_ s: String) -> [String: String] {
        var out: [String: String] = [:]
        for part in s.split(separator: "&") {
            let kv = part.split(separator: "=", maxSplits: 1).map { String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String($0) }
            if kv.count == 2 { out[kv[0]] = kv[1] }
        }
        return out
    }
}
