import Controllers
import Foundation
import KubeCore
import SerinAPI
import Synchronization
import Testing
import SerinTestSupport

/// Blue/green (kubernetes router: Service selector switch) and A/B (Istio header match).
@Suite("Canary controller: blue/green and A/B", .serialized, .timeLimit(.minutes(2)))
struct StrategyTests {
    static func canary(_ env: CanaryEnvironment, provider: String, analysis: JSONValue) -> JSONValue {
        [
            "apiVersion": "serin.dev/v1alpha1", "kind": "Canary",
            "metadata": ["name": "shop", "namespace": .string(env.namespace)],
            "spec": [
                "provider": .string(provider),
                "targetRef": ["apiVersion": "apps/v1", "kind": "Deployment", "name": "shop"],
                "service": ["port": 80, "targetPort": 3000],
                "analysis": analysis,
            ],
        ]
    }

    @Test("blue/green: no traffic to the canary while analysed, then the apex Service switches and returns")
    func blueGreen() async throws {
        try await CanaryEnvironment.with { env in
            try await env.createDeployment("shop", image: "shop:1")
            await env.startOperator(provider: "kubernetes")
            _ = try await env.client.create(.canaries, namespace: env.namespace, Self.canary(env, provider: "kubernetes", analysis: [
                "interval": "1m", "threshold": 2, "iterations": 3,
                "metrics": [["name": "request-success-rate", "thresholdRange": ["min": 99]]],
            ]))
            #expect(await env.waitPhase("shop", "Initialized"))
            let selectors = try await RouteRecorder.start(
                client: env.client, resource: .services, namespace: env.namespace, name: "shop",
                weight: { svc in svc[path: ["spec", "selector", "app"]].stringValue == "shop" ? 100 : 0 })
            defer { selectors.stop() }
            try await env.setImage("shop", "shop:2")
            #expect(await env.waitPhase("shop", "Succeeded"))
            _ = await eventually(timeout: .seconds(2)) { selectors.last == 0 }
            // Primary, then the canary while the primary takes the new version, then primary again.
            #expect(selectors.sequence == [0, 100, 0])
            let status = await env.status("shop")
            #expect(status["iterations"].intValue == 3)
            #expect(await env.hasEvent("shop", reason: "Advance", containing: "canary iteration 3/3"))
            #expect(await env.hasEvent("shop", reason: "SwitchTraffic"))
        }
    }

    @Test("A/B: requests matching the header go to the canary during the analysis")
    func abTesting() async throws {
        try await CanaryEnvironment.with { env in
            try await env.createDeployment("shop", image: "shop:1")
            await env.startOperator(provider: "istio")
            _ = try await env.client.create(.canaries, namespace: env.namespace, Self.canary(env, provider: "istio", analysis: [
                "interval": "1m", "threshold": 2, "iterations": 2,
                "match": [["headers": ["x-canary": ["exact": "insider"]]]],
                "metrics": [["name": "error-rate", "thresholdRange": ["max": 1]]],
            ]))
            #expect(await env.waitPhase("shop", "Initialized"))
            let matched = Mutex(false)
            let recorder = try await RouteRecorder.start(
                client: env.client, resource: .virtualServices, namespace: env.namespace, name: "shop",
                weight: { vs in
                    let http = vs[path: ["spec", "http"]].arrayValue ?? []
                    if http.count == 2, http[0]["match"][0]["headers"]["x-canary"]["exact"] == "insider",
                        http[0]["route"][1]["weight"] == 100
                    {
                        matched.withLock { $0 = true }
                    }
                    return http.count
                })
            defer { recorder.stop() }
            try await env.setImage("shop", "shop:2")
            #expect(await env.waitPhase("shop", "Succeeded"))
            _ = await eventually(timeout: .seconds(2)) { recorder.last == 1 }
            // One route, then the header route in front of it during analysis, then one route again.
            #expect(recorder.sequence == [1, 2, 1])
            let condition1 = matched.withLock { $0 }
            #expect(condition1)
        }
    }

    @Test("mirroring: one interval of mirrored traffic before live traffic reaches the canary")
    func mirroring() async throws {
        try await CanaryEnvironment.with { env in
            try await env.createDeployment("shop", image: "shop:1")
            await env.startOperator(provider: "istio")
            _ = try await env.client.create(.canaries, namespace: env.namespace, Self.canary(env, provider: "istio", analysis: [
                "interval": "1m", "threshold": 2, "maxWeight": 50, "stepWeight": 50, "mirror": true, "mirrorWeight": 40,
                "metrics": [["name": "error-rate", "thresholdRange": ["max": 1]]],
            ]))
            #expect(await env.waitPhase("shop", "Initialized"))
            // Records -1 while mirroring, else the canary weight.
            let recorder = try await RouteRecorder.start(
                client: env.client, resource: .virtualServices, namespace: env.namespace, name: "shop",
                weight: { vs in
                    let main = vs[path: ["spec", "http"]].arrayValue?.last ?? .null
                    if main["mirror"]["host"] == "shop-canary", main["mirrorPercentage"]["value"].doubleValue == 40 { return -1 }
                    return RouteRecorder.istioWeight(vs)
                })
            defer { recorder.stop() }
            try await env.setImage("shop", "shop:2")
            #expect(await env.waitPhase("shop", "Succeeded"))
            _ = await eventually(timeout: .seconds(2)) { recorder.last == 0 }
            #expect(recorder.sequence == [0, -1, 50, 0])
            #expect(await env.hasEvent("shop", reason: "Mirroring", containing: "40%"))
        }
    }
}
