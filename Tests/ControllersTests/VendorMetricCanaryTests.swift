import Controllers
import Foundation
import HTTPServing
import KubeCore
import SerinAPI
import Synchronization
import Testing

/// Flagger's `type: dynatrace` and `type: splunk` MetricTemplates through the Canary controller:
/// scripted vendor APIs on loopback that answer only with the token from the template's Secret.
@Suite("Canary controller: Dynatrace and Splunk MetricTemplates", .serialized, .timeLimit(.minutes(3)))
struct VendorMetricCanaryTests {
    /// Creates the Secret and template, runs the canary to Succeeded at `good`, then to Failed at `bad`.
    func run(type: String, secret: [String: JSONValue], server: ScriptedHTTPServer, query: String,
             set: (Double) -> Void, good: Double, bad: Double, threshold: JSONValue, leaked: String) async throws {
        try await CanaryEnvironment.with { env in
            let ns = env.namespace
            _ = try await env.client.create(.secrets, namespace: ns, [
                "apiVersion": "v1", "kind": "Secret", "metadata": ["name": .string(type)], "stringData": .object(secret),
            ])
            _ = try await env.client.create(.metricTemplates, namespace: ns, [
                "apiVersion": "serin.dev/v1alpha1", "kind": "MetricTemplate", "metadata": ["name": .string(type), "namespace": .string(ns)],
                "spec": ["provider": ["type": .string(type), "address": .string(server.baseURL), "secretRef": ["name": .string(type)]],
                         "query": .string(query)],
            ])
            try await env.createDeployment("web", image: "web:1")
            await env.startOperator(provider: "istio")
            try await env.createCanary("web", metrics: [["name": "check", "interval": "1m", "templateRef": ["name": .string(type)],
                                                         "thresholdRange": threshold]], maxWeight: 10)
            #expect(await env.waitPhase("web", "Initialized"))
            set(good)
            try await env.setImage("web", "web:2")
            #expect(await env.waitPhase("web", "Succeeded"))
            #expect(await env.status("web")["metricResults"][0]["value"].doubleValue == good)
            set(bad)
            try await env.setImage("web", "web:3")
            #expect(await env.waitPhase("web", "Failed"))
            #expect(await env.status("web")["metricResults"][0]["value"].doubleValue == bad)
            #expect(!(await env.status("web").serialized().contains(leaked)))
        }
    }

    @Test("dynatrace: a fast p95 promotes, a slow one rolls back")
    func dynatrace() async throws {
        let server = try await ScriptedHTTPServer.start()
        let value = Mutex<Double>(0)
        server.script { req in
            guard req.path == "/api/v2/metrics/query" else { return (404, #"{"error":{"code":404,"message":"Not found"}}"#) }
            guard req.headers["authorization"] == "Api-Token dt0c01.SERIN.token" else {
                return (401, #"{"error":{"code":401,"message":"Missing authorization parameter."}}"#)
            }
            let v = value.withLock { $0 }
            return (200, #"{"totalCount":1,"nextPageKey":null,"resolution":"Inf","result":[{"metricId":"builtin:service.response.time:percentile(95)","data":[{"dimensions":[],"dimensionMap":{},"timestamps":[1764655200000],"values":[\#(v)]}]}]}"#)
        }
        defer { Task { await server.stop() } }
        try await run(type: "dynatrace", secret: ["dynatrace_token": "dt0c01.SERIN.token"], server: server,
                      query: "builtin:service.response.time:filter(eq(dt.entity.service,SERVICE-{{ target }})):percentile(95)",
                      set: { v in value.withLock { $0 = v } }, good: 120_000, bad: 900_000, threshold: ["max": 500_000], leaked: "dt0c01.SERIN.token")
        let selectors = server.requests.compactMap { HTTPServerRequest.fields($0.query)["metricSelector"] }
        #expect(selectors.contains("builtin:service.response.time:filter(eq(dt.entity.service,SERVICE-web)):percentile(95)"))
    }

    @Test("splunk: a high success percentage promotes, a low one rolls back")
    func splunk() async throws {
        let server = try await ScriptedHTTPServer.start()
        let value = Mutex<Double>(0)
        server.script { req in
            guard req.method == "POST", req.path == "/v2/signalflow/execute" else { return (404, #"{"code":404,"message":"Not found"}"#) }
            guard req.headers["x-sf-token"] == "sfx-SERIN-token" else { return (401, #"{"code":401,"message":"Unauthorized"}"#) }
            let v = value.withLock { $0 }
            return (200, """
                event: control-message
                data: {"event":"STREAM_START","timestampMs":1764655200000}

                event: metadata
                data: {"tsId":"AAAAAFf0Q9s","properties":{"sf_type":"MetricTimeSeries"}}

                event: data
                data: {"data":[{"tsId":"AAAAAFf0Q9s","value":\(v)}],"logicalTimestampMs":1764655200000}

                event: control-message
                data: {"event":"END_OF_CHANNEL","timestampMs":1764655260000}


                """)
        }
        defer { Task { await server.stop() } }
        try await run(type: "splunk", secret: ["sf_token_key": "sfx-SERIN-token"], server: server,
                      query: "data('traces.count', filter=filter('sf_service', '{{ target }}')).sum().publish()",
                      set: { v in value.withLock { $0 = v } }, good: 99.5, bad: 80, threshold: ["min": 99], leaked: "sfx-SERIN-token")
        let programs = server.requests.map(\.body)
        #expect(programs.contains("data('traces.count', filter=filter('sf_service', 'web')).sum().publish()"))
    }
}
