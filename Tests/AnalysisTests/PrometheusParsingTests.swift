import Testing
@testable import Analysis

@Suite struct PrometheusParsingTests {
    func parse(_ body: String, status: Int = 200, contentType: String? = "application/json") throws -> PromResponse {
        try PrometheusResponseParser.parse(httpStatus: status, contentType: contentType, body: Array(body.utf8))
    }

    @Test func vectorWithSpecialValues() throws {
        let r = try parse(#"""
        {"status":"success","data":{"resultType":"vector","result":[
          {"metric":{"service":"a"},"value":[1700000000.5,"0.97"]},
          {"metric":{"service":"b"},"value":[1700000000.5,"NaN"]},
          {"metric":{"service":"c"},"value":[1700000000.5,"+Inf"]},
          {"metric":{"service":"d"},"value":[1700000000.5,"-Inf"]}]}}
        """#)
        guard case .vector(let s) = r.result else { Issue.record("not a vector"); return }
        #expect(s.count == 4)
        #expect(s[0].labels == ["service": "a"] && s[0].value == 0.97 && s[0].timestamp == 1_700_000_000.5)
        #expect(s[1].value.isNaN)
        #expect(s[2].value == .infinity)
        #expect(s[3].value == -.infinity)
    }

    @Test func scalarMatrixStringAndWarnings() throws {
        let scalar = try parse(#"{"status":"success","data":{"resultType":"scalar","result":[1,"42"]},"warnings":["slow"]}"#)
        #expect(scalar.result == .scalar(timestamp: 1, value: 42))
        #expect(scalar.warnings == ["slow"])
        let matrix = try parse(#"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1,"1"],[2,"2.5"]]}]}}"#)
        #expect(matrix.result == .matrix([PromSeries(labels: [:], points: [PromPoint(timestamp: 1, value: 1), PromPoint(timestamp: 2, value: 2.5)])]))
        let string = try parse(#"{"status":"success","data":{"resultType":"string","result":[3,"hello"]}}"#)
        #expect(string.result == .string(timestamp: 3, value: "hello"))
    }

    @Test func errorBody() {
        let operation5 = {
            try parse(#"{"status":"error","errorType":"bad_data","error":"parse error at char 5"}"#, status: 400)
        }
        #expect(throws: PrometheusError.queryFailed(errorType: "bad_data", error: "parse error at char 5", httpStatus: 400), performing: operation5)
    }

    @Test func notPrometheusQuotesAnExcerpt() {
        do {
            _ = try parse("<html><head><title>Sign in</title></head><body>Please log in</body></html>", contentType: "text/html")
            Issue.record("HTML accepted")
        } catch {
            let text = "\(error)"
            #expect(text.contains("not a Prometheus API answer (HTTP 200, text/html)"))
            #expect(text.contains("<title>Sign in</title>"))
        }
        do {
            _ = try parse("Bad Gateway\n", status: 502, contentType: "text/plain")
            Issue.record("502 accepted")
        } catch {
            #expect("\(error)" == "not a Prometheus API answer (HTTP 502, text/plain): \"Bad Gateway\"")
        }
        do {
            _ = try parse(String(repeating: "garbage ", count: 100), contentType: nil)
        } catch {
            let text = "\(error)"
            #expect(text.count < 200, "excerpt is short")
            #expect(text.hasSuffix("…\""))
        }
        let operation1 = { try parse(#"{"hello":"world"}"#) }
        #expect(throws: PrometheusError.self, performing: operation1)
    }

    @Test func singleValueRule() throws {
        #expect(try SingleValue.from(.vector([])) == .noData(reason: "the query returned no series"))
        #expect(try SingleValue.from(.vector([PromSample(labels: [:], timestamp: 0, value: .nan)]))
            == .noData(reason: "the query returned NaN"))
        #expect(try SingleValue.from(.scalar(timestamp: 0, value: 3)) == .value(3))
        #expect(try SingleValue.from(.vector([PromSample(labels: ["a": "b"], timestamp: 0, value: 0.5)])) == .value(0.5))
        do {
            _ = try SingleValue.from(.vector([
                PromSample(labels: ["service": "a", "status": "200"], timestamp: 0, value: 1),
                PromSample(labels: ["service": "b"], timestamp: 0, value: 2),
            ]))
            Issue.record("several series accepted")
        } catch {
            #expect("\(error)" == "query returned 2 series, expected exactly one: {service=\"a\", status=\"200\"}, {service=\"b\"}")
        }
        let operation6 = {
            try SingleValue.from(.matrix([PromSeries(labels: [:], points: [])]))
        }
        #expect(throws: PrometheusError.unexpectedResultType("matrix"), performing: operation6)
    }

    @Test func durations() throws {
        #expect(try DurationString.seconds("60s") == 60)
        #expect(try DurationString.seconds("1m") == 60)
        #expect(try DurationString.seconds("1h30m") == 5400)
        #expect(try DurationString.seconds("500ms") == 0.5)
        #expect(try DurationString.seconds("1.5m") == 90)
        let operation2 = { try DurationString.seconds("5 minutes") }
        #expect(throws: DurationString.ParseError.self, performing: operation2)
        let operation3 = { try DurationString.seconds("") }
        #expect(throws: DurationString.ParseError.self, performing: operation3)
        let operation4 = { try DurationString.seconds("10") }
        #expect(throws: DurationString.ParseError.self, performing: operation4)
    }

    @Test func credentialsNeverDescribeSecrets() {
        let c = MetricCredentials(bearerToken: "tok-123456", username: "admin", password: "hunter22",
                                  headers: ["X-Scope-OrgID": "tenant-secret"])
        let d = "\(c) \(String(reflecting: c))"
        for secret in ["tok-123456", "hunter22", "tenant-secret"] { #expect(!d.contains(secret)) }
        #expect(d.contains("bearer token") && d.contains("basic auth") && d.contains("X-Scope-OrgID"))
        #expect(c.redact("echo tok-123456 and hunter22") == "echo [redacted] and [redacted]")
        let e = PrometheusEndpoint(address: "https://user:pw-secret@prom.example:9090/prefix", credentials: c)
        #expect(!e.description.contains("pw-secret"))
        #expect(e.displayAddress == "https://prom.example:9090/prefix")
    }
}
