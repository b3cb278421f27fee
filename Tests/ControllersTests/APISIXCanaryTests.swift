import Controllers
import Foundation
import KubeCore
import SerinAPI
import SerinTestSupport
import Testing
import Traffic

/// Flagger's apisix tutorial and Argo's apisix example through the controllers, every
/// ApisixRoute checked by the APISIX ingress controller's real CRD (strict field validation).
@Suite("Controllers: APISIX", .serialized, .timeLimit(.minutes(3)))
struct APISIXCanaryTests {
    @Test("provider apisix: the canary ApisixRoute follows the analysis; the user's is never written; revertOnDeletion removes the copy")
    func flaggerAPISIX() async throws {
        try await CanaryEnvironment.with { env in
            let ns = env.namespace
            await env.startOperator(provider: "kubernetes")
            let user = try await env.client.create(.apisixRoutes, namespace: ns, [
                "apiVersion": "apisix.apache.org/v2", "kind": "ApisixRoute", "metadata": ["name": "podinfo", "namespace": .string(ns)],
                "spec": ["http": [["name": "method", "match": ["hosts": ["app.example.com"], "methods": ["GET"], "paths": ["/*"]],
                                   "backends": [["serviceName": "podinfo", "servicePort": 80]]]]],
            ])
            let spec: JSONValue = ["provider": "apisix", "service": ["port": 80, "targetPort": 9898],
                                   "routeRef": ["apiVersion": "apisix.apache.org/v2", "kind": "ApisixRoute", "name": "podinfo"]]
            let sequence = try await RouterCanaryScenario.promote(env, spec: spec, resource: .apisixRoutes, name: "podinfo-podinfo-canary") {
                APISIXRouter.readWeights(route: $0, primary: "podinfo-primary", canary: "podinfo-canary")?.canary
            }
            #expect(sequence == [0, 25, 50, 0])
            let copy = try await env.client.get(.apisixRoutes, namespace: ns, name: "podinfo-podinfo-canary")
            #expect(copy[path: ["spec", "http"]][0]["priority"] == 10000)
            let after = try await env.client.get(.apisixRoutes, namespace: ns, name: "podinfo")
            #expect(after[path: ["metadata", "resourceVersion"]] == user[path: ["metadata", "resourceVersion"]], "the user's ApisixRoute was written")
            #expect(try await RouterCanaryScenario.deleteRemoves(env, resource: .apisixRoutes, name: "podinfo-podinfo-canary"))
        }
    }

    @Test("provider apisix: a missing routeRef ApisixRoute is reported by name, and nothing is written")
    func missingRoute() async throws {
        try await CanaryEnvironment.with { env in
            let ns = env.namespace
            try await env.createDeployment("podinfo", image: "ghcr.io/stefanprodan/podinfo:6.0.0")
            await env.startOperator(provider: "kubernetes")
            _ = try await env.client.create(.canaries, namespace: ns, RouterCanaryScenario.canary(ns, spec: [
                "provider": "apisix", "service": ["port": 80],
                "routeRef": ["apiVersion": "apisix.apache.org/v2", "kind": "ApisixRoute", "name": "podinfo"],
            ]))
            let reported = await env.drive {
                await env.events(about: "podinfo").contains {
                    ($0["message"].stringValue ?? "").contains("ApisixRoute podinfo (spec.routeRef) not found in namespace \(ns)")
                }
            }
            #expect(reported)
            #expect((try? await env.client.get(.apisixRoutes, namespace: ns, name: "podinfo-podinfo-canary")) == nil)
        }
    }

    static func argoRoute(_ ns: String) -> JSONValue {
        ["apiVersion": "apisix.apache.org/v2", "kind": "ApisixRoute", "metadata": ["name": "rollouts-apisix-route", "namespace": .string(ns)],
         "spec": ["http": [["name": "rollouts-apisix", "match": ["paths": ["/*"], "methods": ["GET"]],
                            "backends": [["serviceName": "web-stable", "servicePort": 80], ["serviceName": "web-canary", "servicePort": 80]]]]]]
    }

    static let weight: @Sendable (JSONValue) -> Int? = { route in
        APISIXRouter.readWeights(route: route, primary: "web-stable", canary: "web-canary")?.canary
    }

    @Test("trafficRouting.apisix: the rule's backend weights follow setWeight and return to 0")
    func argoWeights() async throws {
        try await RolloutEnvironment.with { env in
            _ = try await env.client.create(.apisixRoutes, namespace: env.namespace, Self.argoRoute(env.namespace))
            let routing: JSONValue = ["apisix": ["route": ["name": "rollouts-apisix-route", "rules": ["rollouts-apisix"]]]]
            let outcome = try await RouterRolloutScenario.walk(env, routing: routing, weight: 30, resource: .apisixRoutes,
                                                              name: "rollouts-apisix-route", canaryWeight: Self.weight)
            #expect(outcome.pausedAtWeight, "\(outcome.sequence)")
            #expect(outcome.healthy)
            #expect(outcome.endedAtZero, "\(outcome.sequence)")
        }
    }

    @Test("trafficRouting.apisix setHeaderRoute: a canary-only ApisixRoute named after the managed route, removed at the end")
    func argoHeaderRoute() async throws {
        try await RolloutEnvironment.with { env in
            let ns = env.namespace
            _ = try await env.client.create(.apisixRoutes, namespace: ns, Self.argoRoute(ns))
            let routing: JSONValue = ["managedRoutes": [["name": "set-header"]],
                                      "apisix": ["route": ["name": "rollouts-apisix-route", "rules": ["rollouts-apisix"]]]]
            let steps: [JSONValue] = [["setHeaderRoute": ["name": "set-header", "match": [["headerName": "trace", "headerValue": ["exact": "debug"]]]]],
                                      ["pause": [:]], ["setWeight": 20], ["pause": [:]]]
            _ = try await RolloutCanaryControllerTests.deploy(env, steps: steps, routing: routing)
            try await env.setImage("web", "web:2")
            let paused = await env.drive(step: .seconds(1)) { await env.phase("web") == "Paused" }
            #expect(paused)
            let created = await env.drive(step: .seconds(1), timeout: .seconds(10)) {
                (try? await env.client.get(.apisixRoutes, namespace: ns, name: "set-header")) != nil
            }
            let status = await env.status("web"), events = await env.events(about: "web").map { $0["message"] }
            #expect(created, "\(status) \(events)")
            let header = try await env.client.get(.apisixRoutes, namespace: ns, name: "set-header")
            let rule = header[path: ["spec", "http"]][0]
            #expect(rule["backends"] == [["serviceName": "web-canary", "servicePort": 80, "weight": 100]])
            #expect(rule[path: ["match", "exprs"]] == [["subject": ["scope": "Header", "name": "trace"], "op": "Equal", "value": "debug"]])
            #expect(rule["priority"] == 1)
            #expect(header.ownerReferences.first?["kind"] == "Rollout")
            try await env.annotate("web", ManualControlAnnotations.promoteFull, "1")
            let healthy = await env.drive(step: .seconds(1), timeout: .seconds(40)) { await env.phase("web") == "Healthy" }
            #expect(healthy)
            let removed = await env.drive(step: .seconds(1)) {
                (try? await env.client.get(.apisixRoutes, namespace: ns, name: "set-header")) == nil
            }
            #expect(removed)
            let user = try await env.client.get(.apisixRoutes, namespace: ns, name: "rollouts-apisix-route")
            #expect(Self.weight(user) == 0)
        }
    }
}
