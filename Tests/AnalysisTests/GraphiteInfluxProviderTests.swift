import Foundation
import KubeCore
import SerinAPI
import SerinTestApp
import Testing
@testable import Analysis

/// Graphite's render API and InfluxDB's two query languages: requests and answers in the
/// shapes of their documentation, against canned servers (the real servers run in
/// ControllersTests' RealGraphiteInfluxTests).
@Suite struct GraphiteInfluxProviderTests {
    func run<P: MetricProvider>(_ type: P.Type, _ query: String, routes: [String: SmallHTTPResponse],
                                secret: [String: String] = [:]) async throws -> (Result<SingleValue, any Error>, [SmallHTTPRequest]) {
        let server = try await CannedServer.start(routes: routes)
        let prometheus = PrometheusClient()
        let provider = P(clients: MetricClients(prometheus: prometheus))
        let endpoint = MetricEndpoint(address: server.baseURL, credentials: MetricCredentials(secretData: secret), timeout: 5, window: 60)
        let outcome: Result<SingleValue, any Error>
        do { outcome = .success(try await provider.query(query, endpoint: endpoint).singleValue()) } catch { outcome = .failure(error) }
        let requests = server.requests
        try await prometheus.shutdown()
        await server.stop()
        return (outcome, requests)
    }

    static func json(_ s: String, status: Int = 200) -> SmallHTTPResponse {
        SmallHTTPResponse(status: status, contentType: "application/json", body: s)
    }

    // MARK: - Graphite

    @Test("graphite: the query's whitespace folded, parameters sorted with format=json, under the address's path")
    func graphiteURL() throws {
        let url = try GraphiteProvider.renderURL(address: "http://graphite.monitoring/proxy/", query: """
        target=summarize(
          asPercent(sumSeries(app.web.*.ok), sumSeries(app.web.*.all)),
          '1m', 'avg')&from=-5min
        """)
        #expect(url == "http://graphite.monitoring/proxy/render?format=json&from=-5min&target=summarize%28%20asPercent%28sumSeries%28app.web.%2A.ok%29%2C%20sumSeries%28app.web.%2A.all%29%29%2C%20%271m%27%2C%20%27avg%27%29")
        let noTarget = { _ = try GraphiteProvider.renderURL(address: "http://g", query: "from=-5min") }
        #expect(throws: MetricSpecError.self, performing: noTarget)
    }

    @Test("graphite (Flagger): the last non-null point; Basic credentials from the Secret; nulls only is no data; errors named")
    func graphiteFlagger() async throws {
        let answer = #"[{"target":"errors","tags":{"name":"errors"},"datapoints":[[1.5,1700000000],[null,1700000010],["2.5",1700000020],[null,1700000030]]}]"#
        let (ok, requests) = try await run(GraphiteProvider.self, "target=errors", routes: ["/render": Self.json(answer)],
                                           secret: ["username": "reader", "password": "pa55-graphite"])
        guard case .success(.value(let v)) = ok else { Issue.record("\(ok)"); return }
        #expect(v == 2.5)
        let r = try #require(requests.first)
        #expect(r.query["target"] == "errors" && r.query["format"] == "json")
        let basic = "Basic " + Data("reader:pa55-graphite".utf8).base64EncodedString()
        let sentBasic = r.headers.contains { $0.0.lowercased() == "authorization" && $0.1 == basic }
        #expect(sentBasic)
        let (nulls, _) = try await run(GraphiteProvider.self, "target=errors",
                                       routes: ["/render": Self.json(#"[{"target":"errors","datapoints":[[null,1],[null,2]]}]"#)])
        guard case .success(.noData) = nulls else { Issue.record("\(nulls)"); return }
        let (none, _) = try await run(GraphiteProvider.self, "target=errors", routes: ["/render": Self.json("[]")])
        guard case .success(.noData) = none else { Issue.record("\(none)"); return }
        let (bad, _) = try await run(GraphiteProvider.self, "target=nosuchFunction(x)",
                                     routes: ["/render": SmallHTTPResponse(status: 400, body: "Unknown function nosuchFunction")])
        guard case .failure(let e) = bad else { Issue.record("\(bad)"); return }
        #expect("\(e)" == "Graphite answered HTTP 400: Unknown function nosuchFunction")
        let (half, sent) = try await run(GraphiteProvider.self, "target=errors", routes: [:], secret: ["username": "reader"])
        guard case .failure(let k) = half else { Issue.record("\(half)"); return }
        #expect("\(k)".contains("needs the key password"))
        #expect(sent.isEmpty)
    }

    @Test("graphite (Argo): result is the first series' non-null values; no series is an error; settings checked")
    func graphiteArgo() async throws {
        let server = try await CannedServer.start(routes: ["/render": Self.json(#"[{"target":"rate","datapoints":[[99.5,1],[null,2],[97.25,3]]},{"target":"other","datapoints":[[1,1]]}]"#)])
        let prometheus = PrometheusClient()
        let provider = GraphiteProvider(clients: MetricClients(prometheus: prometheus))
        let m = try await provider.measure(analysis: ["address": .string(server.baseURL), "query": "target=rate"],
                                           context: AnalysisProviderContext(run: AnalysisRunIdentity(), metricName: "rate"))
        try await prometheus.shutdown()
        await server.stop()
        guard case .answer(let a, _) = m else { Issue.record("\(m)"); return }
        #expect(a.value == .array([.number(99.5), .number(97.25)]))
        let (phase, _) = AnalysisRunEvaluator.judge(value: a.value, successCondition: "result[0] >= 90.000000", failureCondition: nil)
        #expect(phase == .successful)
        #expect(GraphiteProvider.problems(analysis: ["query": "target=x"]) == [
            "address: is required; write the Graphite web address such as http://graphite.monitoring",
        ])
        #expect(GraphiteProvider.problems(analysis: ["address": "graphite:8080", "query": " "]).count == 2)
    }

    // MARK: - InfluxDB

    static let fluxAnswer = """
    #datatype,string,long,dateTime:RFC3339,dateTime:RFC3339,dateTime:RFC3339,double,string,string,string
    #group,false,false,true,true,false,false,true,true,true
    #default,_result,,,,,,,,
    ,result,table,_start,_stop,_time,_value,_field,_measurement,destination_workload
    ,,0,2024-01-01T00:00:00Z,2024-01-01T00:15:00Z,2024-01-01T00:05:00Z,0.004,rate,errors,"web, primary"
    ,,0,2024-01-01T00:00:00Z,2024-01-01T00:15:00Z,2024-01-01T00:10:00Z,0.006,rate,errors,"web, primary"

    #datatype,string,long,dateTime:RFC3339,dateTime:RFC3339,long,string
    #group,false,false,true,true,false,true
    #default,count,,,,,
    ,result,table,_start,_stop,_value,_field
    ,,1,2024-01-01T00:00:00Z,2024-01-01T00:15:00Z,42,requests

    """

    @Test("flux: annotated CSV of several tables gives every record's typed _value; an error table is an error")
    func fluxCSV() throws {
        #expect(try FluxCSV.values(Self.fluxAnswer) == [.number(0.004), .number(0.006), .number(42)])
        let failed = "#datatype,string,string\n#group,true,true\n#default,,\n,error,reference\n,\"compilation failed: undefined identifier \"\"frm\"\"\",897\n"
        let parse = { _ = try FluxCSV.values(failed) }
        #expect(throws: MetricSpecError.self, performing: parse)
        var message = ""
        do { _ = try FluxCSV.values(failed) } catch { message = "\(error)" }
        #expect(message == #"InfluxDB: compilation failed: undefined identifier "frm""#)
        #expect(try FluxCSV.values("") == [])
    }

    @Test("influxdb (Flagger, Flux): POST /api/v2/query?org= with the token; the first value; no record is no data")
    func influxFlux() async throws {
        let csv = SmallHTTPResponse(status: 200, contentType: "text/csv; charset=utf-8", body: Self.fluxAnswer)
        let query = #"from(bucket: "default") |> range(start: -2h) |> count()"#
        let (ok, requests) = try await run(InfluxDBProvider.self, query, routes: ["/api/v2/query": csv],
                                           secret: ["token": "influx-t0ken", "org": "acme"])
        guard case .success(.value(let v)) = ok else { Issue.record("\(ok)"); return }
        #expect(v == 0.004)
        let r = try #require(requests.first)
        #expect(r.method == "POST" && r.query["org"] == "acme")
        let tokenSent = r.headers.contains { $0.0.lowercased() == "authorization" && $0.1 == "Token influx-t0ken" }
        #expect(tokenSent)
        let body = try JSONValue(parsing: r.body)
        #expect(body["query"] == .string(query) && body["type"] == "flux")
        #expect(body["dialect"]["annotations"] == ["datatype", "group", "default"])
        let (empty, _) = try await run(InfluxDBProvider.self, query, routes: ["/api/v2/query": SmallHTTPResponse(body: "\r\n")],
                                       secret: ["token": "influx-t0ken", "org": "acme"])
        guard case .success(.noData) = empty else { Issue.record("\(empty)"); return }
        let (denied, _) = try await run(InfluxDBProvider.self, query,
                                        routes: ["/api/v2/query": Self.json(#"{"code":"unauthorized","message":"unauthorized access"}"#, status: 401)],
                                        secret: ["token": "influx-t0ken", "org": "acme"])
        guard case .failure(let e) = denied else { Issue.record("\(denied)"); return }
        #expect("\(e)" == #"InfluxDB answered HTTP 401: {"code":"unauthorized","message":"unauthorized access"}"#)
        let (limited, _) = try await run(InfluxDBProvider.self, query,
                                         routes: ["/api/v2/query": Self.json(#"{"code":"too many requests","message":"org exceeded quota"}"#, status: 429)],
                                         secret: ["token": "influx-t0ken", "org": "acme"])
        guard case .failure(let l) = limited else { Issue.record("\(limited)"); return }
        #expect("\(l)".contains("InfluxDB is rate limiting the requests (HTTP 429)"))
        let (noOrg, sent) = try await run(InfluxDBProvider.self, query, routes: [:], secret: ["token": "influx-t0ken"])
        guard case .failure(let o) = noOrg else { Issue.record("\(noOrg)"); return }
        #expect("\(o)".contains("needs the key org"))
        #expect(sent.isEmpty)
    }

    @Test("influxdb (InfluxQL): GET /query with q, db and epoch; the first value column; a statement error named")
    func influxQL() async throws {
        let answer = #"{"results":[{"statement_id":0,"series":[{"name":"requests","columns":["time","mean"],"values":[[1700000000,0.75]]}]}]}"#
        let (ok, requests) = try await run(InfluxDBProvider.self, "SELECT mean(errors) FROM requests WHERE time > now() - 5m",
                                           routes: ["/query": Self.json(answer)], secret: ["database": "metrics", "username": "u", "password": "p"])
        guard case .success(.value(let v)) = ok else { Issue.record("\(ok)"); return }
        #expect(v == 0.75)
        let r = try #require(requests.first)
        #expect(r.method == "GET" && r.query["db"] == "metrics" && r.query["q"] == "SELECT mean(errors) FROM requests WHERE time > now() - 5m")
        let failed = #"{"results":[{"statement_id":0,"error":"database not found: metrics"}]}"#
        var message = ""
        do { _ = try InfluxDBProvider.influxQLValues(Array(failed.utf8)) } catch { message = "\(error)" }
        #expect(message == "InfluxDB: database not found: metrics")
        #expect(try InfluxDBProvider.influxQLValues(Array(#"{"results":[{"statement_id":0}]}"#.utf8)) == [])
        #expect(InfluxDBProvider.isInfluxQL("  select 1") && !InfluxDBProvider.isInfluxQL("from(bucket: \"b\")"))
        #expect(InfluxDBProvider.problems(analysis: ["profile": "x"]).count == 1)
    }
}
