import Analysis
import Controllers
import Foundation
import KubeCore
import SerinAPI
import Testing

/// The AnalysisRun controller against the test API server (CRDs from crds/) and a fake
/// Prometheus over real HTTP. Conditions hoisted out of #expect (Swift 6.3 closure miscompile).
@Suite("AnalysisRun controller", .serialized, .timeLimit(.minutes(2)))
struct AnalysisRunControllerTests {
    @Test("healthy values: the seed template's run ends Successful with its measurements in status")
    func healthy() async throws {
        try await AnalysisRunEnvironment.with { env in
            env.prometheus.set {
                $0.successRate = 0.99
                $0.durationMs = 120
            }
            await env.startOperator()
            try await env.createRun("order-service-analysis-ok", try env.seedRunSpec(count: 2))
            let done = await env.waitPhase("order-service-analysis-ok", "Successful")
            #expect(done)

            let status = await env.run("order-service-analysis-ok")["status"]
            let results = status["metricResults"].arrayValue ?? []
            let names = results.compactMap { $0["name"].stringValue }
            #expect(names == ["success-rate", "avg-response-time"])
            for r in results {
                #expect(r["phase"] == "Successful")
                #expect(r["count"].intValue == 2)
                let ms = r["measurements"].arrayValue ?? []
                #expect(ms.count == 2)
                let phases = ms.compactMap { $0["phase"].stringValue }
                #expect(phases == ["Successful", "Successful"])
                let stamped = ms.allSatisfy { $0["startedAt"].stringValue != nil && $0["finishedAt"].stringValue != nil }
                #expect(stamped)
            }
            let rateValue = results.first?["measurements"][0]["value"].stringValue
            #expect(rateValue == "[0.99]")
            let latencyValue = results.last?["measurements"][0]["value"].stringValue
            #expect(latencyValue == "[120]")
            #expect(status["runSummary"]["successful"].intValue == 2)

            // The queries reached the fake with the argument substituted, two of each.
            let queries = env.prometheus.queries
            let rendered = queries.filter { $0.contains(#"service="order-service""#) }
            #expect(rendered.count == 4)
            #expect(queries.count == 4)
            let running = await env.hasEvent("order-service-analysis-ok", reason: "AnalysisRunRunning", type: "Normal",
                                             containing: ["success-rate"])
            #expect(running)
            let succeeded = await env.hasEvent("order-service-analysis-ok", reason: "AnalysisRunSuccessful",
                                               type: "Normal", containing: ["AnalysisRun order-service-analysis-ok Successful"])
            #expect(succeeded)

            // A finished run is a record: more time measures nothing more.
            let more = await env.drive(timeout: .milliseconds(300)) { false }
            #expect(!more)
            #expect(env.prometheus.queries.count == 4)
        }
    }

    @Test("success-rate at 0.90 ends the run Failed with an Event naming the metric and value")
    func failing() async throws {
        try await AnalysisRunEnvironment.with { env in
            env.prometheus.set {
                $0.successRate = 0.90
                $0.durationMs = 120
            }
            await env.startOperator()
            try await env.createRun("order-service-analysis-x", try env.seedRunSpec(count: 3))
            let failed = await env.waitPhase("order-service-analysis-x", "Failed")
            #expect(failed)

            let status = await env.run("order-service-analysis-x")["status"]
            let results = status["metricResults"].arrayValue ?? []
            let rate = results.first { $0["name"] == "success-rate" }
            #expect(rate?["phase"] == "Failed")
            #expect(rate?["measurements"][0]["phase"] == "Failed")
            #expect(rate?["measurements"][0]["value"] == "[0.9]")
            let message = status["message"].stringValue ?? ""
            #expect(message.contains("success-rate"), "\(message)")

            let event = await env.hasEvent(
                "order-service-analysis-x", reason: "AnalysisRunFailed", type: "Warning",
                containing: ["AnalysisRun order-service-analysis-x Failed: success-rate 0.9 (result[0] >= 0.95 is false)"])
            let messages = await env.events(about: "order-service-analysis-x").map { $0["message"] }
            #expect(event, "\(messages)")
        }
    }

    @Test("terminate ends a run without a count Successful and it measures no more")
    func terminate() async throws {
        try await AnalysisRunEnvironment.with { env in
            env.prometheus.set { $0.successRate = 0.99 }
            await env.startOperator()
            // The service name comes from a Secret, read through the API.
            _ = try await env.client.create(.secrets, namespace: env.namespace, [
                "apiVersion": "v1", "kind": "Secret",
                "metadata": ["name": "analysis-args", "namespace": .string(env.namespace)],
                "data": ["service": .string(Data("hidden-service".utf8).base64EncodedString())],
            ])
            let fromSecret = AnalysisArgument(
                name: "service-name",
                valueFrom: AnalysisArgumentValueFrom(secretKeyRef: AnalysisSecretKeyRef(name: "analysis-args", key: "service")))
            try await env.createRun("open-ended", try env.seedRunSpec(count: nil, serviceName: fromSecret))
            let measuring = await env.drive { await env.measurementCount("open-ended") >= 4 }
            #expect(measuring)
            let phaseWhileRunning = await env.phase("open-ended")
            #expect(phaseWhileRunning == "Running")
            let used = env.prometheus.queries.filter { $0.contains(#"service="hidden-service""#) }
            #expect(!used.isEmpty)
            let stored = await env.run("open-ended")["status"].serialized()
            #expect(!stored.contains("hidden-service"))

            _ = try await env.client.patch(.analysisRuns, namespace: env.namespace, name: "open-ended", type: .merge,
                                           ["spec": ["terminate": true]])
            let ended = await env.waitPhase("open-ended", "Successful")
            #expect(ended)
            let status = await env.run("open-ended")["status"]
            #expect(status["message"] == "run terminated")
            let asked = env.prometheus.queries.count
            _ = await env.drive(timeout: .milliseconds(300)) { false }
            #expect(env.prometheus.queries.count == asked)
            let event = await env.hasEvent("open-ended", reason: "AnalysisRunSuccessful", type: "Normal",
                                           containing: ["terminated"])
            #expect(event)
        }
    }

    @Test("a successCondition that does not parse ends the run in Error with the position")
    func badCondition() async throws {
        try await AnalysisRunEnvironment.with { env in
            await env.startOperator()
            var spec = try env.seedRunSpec(count: 2)
            spec.metrics[0].successCondition = "result[0] >= >= 0.95"
            try await env.createRun("bad-condition", spec)
            let errored = await env.waitPhase("bad-condition", "Error")
            #expect(errored)
            let message = await env.run("bad-condition")["status"]["message"].stringValue ?? ""
            #expect(message.contains("success-rate"), "\(message)")
            #expect(message.contains("successCondition"), "\(message)")
            #expect(message.contains("position"), "\(message)")
            #expect(env.prometheus.queries.isEmpty)
            let event = await env.hasEvent("bad-condition", reason: "AnalysisRunError", type: "Warning",
                                           containing: ["AnalysisRun bad-condition Error", "position"])
            #expect(event)
        }
    }

    @Test("a missing authentication Secret is the measurement's error, named, and nothing is queried")
    func missingCredentials() async throws {
        try await AnalysisRunEnvironment.with { env in
            await env.startOperator()
            var spec = try env.seedRunSpec(count: 2)
            spec.metrics = [spec.metrics[0]]
            spec.metrics[0].consecutiveErrorLimit = 0
            spec.metrics[0].provider.prometheus?.authentication =
                PrometheusAuthentication(secretRef: MetricProviderSecretRef(name: "prometheus-token"))
            try await env.createRun("no-credentials", spec)
            let errored = await env.waitPhase("no-credentials", "Error")
            #expect(errored)
            let status = await env.run("no-credentials")["status"]
            let measurement = status["metricResults"][0]["measurements"][0]
            #expect(measurement["phase"] == "Error")
            let text = measurement["message"].stringValue ?? ""
            #expect(text.contains("Secret microservices/prometheus-token"), "\(text)")
            let runMessage = status["message"].stringValue ?? ""
            #expect(runMessage.contains("prometheus-token"), "\(runMessage)")
            #expect(env.prometheus.queries.isEmpty)
        }
    }
}
