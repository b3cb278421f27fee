import Analysis
import Controllers
import Foundation
import KubeCore
import SerinAPI
import Synchronization
import Testing

/// AnalysisRuns measured by Argo's kayenta, wavefront and skywalking providers, and a Canary
/// with a Flagger cloudwatch MetricTemplate, each against a scripted server answering in the
/// vendor's documented shapes.
@Suite("AnalysisRun SaaS providers", .serialized, .timeLimit(.minutes(2)))
struct ArgoSaaSRunTests {
    static func metric(_ provider: String, success: String? = nil) throws -> AnalysisMetric {
        try AnalysisRunProviderTests.metric("m", provider: provider, count: 1, success: success)
    }

    @Test("kayenta: the judgement started, polled while incomplete, then judged by its score")
    func kayenta() async throws {
        let server = try await ScriptedHTTPServer.start()
        let polls = Mutex<[String: Int]>([:])
        server.script { req in
            switch (req.method, req.path) {
            case ("GET", "/canaryConfig"):
                return (200, #"[{"id":"cfg-7","name":"my-test","applications":["guestbook"]},{"id":"cfg-8","name":"other"}]"#)
            case ("POST", "/canary/cfg-7"):
                let body = (try? JSONValue(parsing: Array(req.body.utf8))) ?? .null
                let id = body["scopes"]["default"]["experimentScope"]["scope"].stringValue?.hasSuffix("good") == true ? "exec-good" : "exec-bad"
                return (200, #"{"canaryExecutionId":"\#(id)"}"#)
            case ("GET", let p) where p.hasPrefix("/canary/exec-"):
                let n = polls.withLock { $0[p, default: 0] += 1; return $0[p]! }
                if n < 2 { return (200, #"{"complete":false,"status":"running"}"#) }
                let score = p.hasSuffix("good") ? 96.5 : 40.0
                return (200, #"{"complete":true,"status":"succeeded","result":{"judgeResult":{"score":{"score":\#(score),"classification":"Pass"}}}}"#)
            default: return (404, "{}")
            }
        }
        defer { Task { await server.stop() } }
        try await AnalysisRunEnvironment.with { env in
            await env.startOperator()
            func provider(_ hash: String) -> String {
                """
                kayenta: {address: '\(server.baseURL)', application: guestbook, canaryConfigName: my-test,
                  metricsAccountName: prom, configurationAccountName: cfgs, storageAccountName: store,
                  thresholds: {pass: 90, marginal: 75},
                  scopes: [{name: default, controlScope: {scope: app=guestbook and hash=stable, step: 60},
                            experimentScope: {scope: app=guestbook and hash=\(hash), step: 60}}]}
                """
            }
            try await env.createRun("kayenta-good", AnalysisRunSpec(metrics: [try Self.metric(provider("good"))]))
            try await env.createRun("kayenta-bad", AnalysisRunSpec(metrics: [try Self.metric(provider("bad"))]))
            #expect(await env.waitPhase("kayenta-good", "Successful", timeout: .seconds(40)))
            #expect(await env.waitPhase("kayenta-bad", "Failed", timeout: .seconds(40)))
            let m = await env.run("kayenta-good")["status"]["metricResults"][0]["measurements"][0]
            #expect(m["metadata"]["canaryExecutionId"] == "exec-good")
            #expect(m["metadata"]["score"] == "96")
        }
        let starts = server.requests.filter { $0.method == "POST" }
        let q = starts.first?.query ?? ""
        #expect(q.contains("application=guestbook") && q.contains("metricsAccountName=prom") && q.contains("storageAccountName=store"))
    }

    @Test("skywalking and wavefront: good answers Successful, bad Failed; wavefront's token from its Secret stays out of status")
    func skywalkingAndWavefront() async throws {
        let server = try await ScriptedHTTPServer.start()
        let token = "wf-token-5eaf00d"
        server.script { req in
            switch req.path {
            case "/graphql":
                let good = req.body.contains("\\\"good\\\"")
                let v = good ? 9950 : 8000
                return (200, #"{"data":{"service_apdex":{"label":null,"values":{"values":[{"value":\#(v)},{"value":9990}]}}}}"#)
            case "/api/v2/chart/api":
                guard req.headers["authorization"] == "Bearer \(token)" else { return (401, #"{"status":{"result":"ERROR","message":"bad token \#(token)","code":401}}"#) }
                let v = req.query.contains("good") ? 0.99 : 0.5
                return (200, #"{"query":"q","timeseries":[{"label":"rate","host":"web","tags":{},"data":[[1700000000,\#(v)]]}]}"#)
            default: return (404, "{}")
            }
        }
        defer { Task { await server.stop() } }
        try await AnalysisRunEnvironment.with { env in
            // Argo's key is the address the metric names; for a URL, its host.
            let tokens: [String: JSONValue] = ["127.0.0.1": .string(token)]
            _ = try await env.client.create(.secrets, namespace: env.namespace, [
                "apiVersion": "v1", "kind": "Secret", "metadata": ["name": "wavefront-api-tokens"], "stringData": .object(tokens),
            ])
            await env.startOperator()
            func sky(_ name: String) -> String {
                "skywalking: {address: '\(server.baseURL)', interval: 3m, query: 'query q($duration: Duration!) { service_apdex: readMetricsValues(condition: {name: \"service_apdex\", entity: {scope: Service, serviceName: \"\(name)\", normal: true}}, duration: $duration) { label values { values { value } } } }'}"
            }
            let apdex = "all(result.service_apdex.values.values, {asFloat(.value) >= 9900})"
            try await env.createRun("sky-good", AnalysisRunSpec(metrics: [try Self.metric(sky("good"), success: apdex)]))
            try await env.createRun("sky-bad", AnalysisRunSpec(metrics: [try Self.metric(sky("bad"), success: apdex)]))
            func wf(_ name: String) -> String { "wavefront: {address: '\(server.baseURL)', query: 'ts(\"\(name).rate\")'}" }
            try await env.createRun("wf-good", AnalysisRunSpec(metrics: [try Self.metric(wf("good"), success: "result >= 0.95")]))
            try await env.createRun("wf-bad", AnalysisRunSpec(metrics: [try Self.metric(wf("bad"), success: "result >= 0.95")]))
            #expect(await env.waitPhase("sky-good", "Successful"))
            #expect(await env.waitPhase("sky-bad", "Failed"))
            #expect(await env.waitPhase("wf-good", "Successful"))
            #expect(await env.waitPhase("wf-bad", "Failed"))
            let text = await env.run("wf-good")["status"].serialized()
            #expect(!text.contains(token))
        }
        let graphql = server.requests.first { $0.path == "/graphql" }
        let variables = (try? JSONValue(parsing: Array((graphql?.body ?? "").utf8)))?["variables"]["duration"]["step"]
        #expect(variables == "MINUTE")
    }

    @Test("cloudwatch MetricTemplate: a signed GetMetricData in the template's region; promoted on a low rate, rolled back on a high one")
    func cloudWatchCanary() async throws {
        let server = try await ScriptedHTTPServer.start()
        let rate = Mutex<Double>(0.5)
        let secretKey = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
        server.script { req in
            guard req.method == "POST", req.headers["x-amz-target"] == "GraniteServiceVersion20100801.GetMetricData",
                  req.headers["authorization"]?.contains("/us-east-1/monitoring/aws4_request") == true else {
                return (400, #"{"__type":"com.amazon.coral.service#MissingAuthenticationTokenException","message":"Missing Authentication Token"}"#)
            }
            let v = rate.withLock { $0 }
            return (200, #"{"MetricDataResults":[{"Id":"e1","Label":"5xx","StatusCode":"Complete","Timestamps":[1700000000],"Values":[\#(v)]}],"Messages":[]}"#)
        }
        defer { Task { await server.stop() } }
        try await CanaryEnvironment.with { env in
            let ns = env.namespace
            _ = try await env.client.create(.secrets, namespace: ns, [
                "apiVersion": "v1", "kind": "Secret", "metadata": ["name": "aws"],
                "stringData": ["aws_access_key_id": "AKIDEXAMPLE", "aws_secret_access_key": .string(secretKey)],
            ])
            _ = try await env.client.create(.metricTemplates, namespace: ns, [
                "apiVersion": "serin.dev/v1alpha1", "kind": "MetricTemplate",
                "metadata": ["name": "cloudwatch-error-rate", "namespace": .string(ns)],
                "spec": ["provider": ["type": "cloudwatch", "region": "us-east-1", "address": .string(server.baseURL), "secretRef": ["name": "aws"]],
                         "query": """
                         [{"Id": "e1", "Expression": "m1 / m2 * 100"},
                          {"Id": "m1", "ReturnData": false, "MetricStat": {"Period": 60, "Stat": "Sum", "Metric": {"Namespace": "app",
                            "MetricName": "errors", "Dimensions": [{"Name": "app", "Value": "{{ target }}"}]}}},
                          {"Id": "m2", "ReturnData": false, "MetricStat": {"Period": 60, "Stat": "Sum", "Metric": {"Namespace": "app",
                            "MetricName": "requests", "Dimensions": [{"Name": "app", "Value": "{{ target }}"}]}}}]
                         """],
            ])
            try await env.createDeployment("web", image: "web:1")
            await env.startOperator(provider: "istio")
            try await env.createCanary("web", metrics: [["name": "errors", "interval": "1m", "templateRef": ["name": "cloudwatch-error-rate"],
                                                          "thresholdRange": ["max": 1]]], maxWeight: 20)
            #expect(await env.waitPhase("web", "Initialized"))
            try await env.setImage("web", "web:2")
            #expect(await env.waitPhase("web", "Succeeded"))
            let result = try #require(await env.status("web")["metricResults"].arrayValue?.first)
            #expect(result["value"].doubleValue == 0.5)
            rate.withLock { $0 = 12 }
            try await env.setImage("web", "web:3")
            #expect(await env.waitPhase("web", "Failed"))
            #expect(!(await env.status("web").serialized().contains(secretKey)))
        }
        let sent = server.requests.first?.body ?? ""
        #expect(sent.contains(#""Value":"web""#))
    }
}
