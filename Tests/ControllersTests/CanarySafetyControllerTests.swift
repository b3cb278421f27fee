import Controllers
import Foundation
import KubeCore
import SerinAPI
import Testing
import SerinTestSupport

/// The safety behaviours through the operator and the test API server: what an SRE sees in
/// the HPA, the Deployments, the routes, status and Events.
@Suite("Canary controller: safety beyond the peers", .serialized, .timeLimit(.minutes(2)))
struct CanarySafetyControllerTests {
    static func hpa(_ namespace: String) -> JSONValue {
        [
            "apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
            "metadata": ["name": "shop", "namespace": .string(namespace)],
            "spec": [
                "scaleTargetRef": ["apiVersion": "apps/v1", "kind": "Deployment", "name": "shop"],
                "minReplicas": 2, "maxReplicas": 10,
                "metrics": [["type": "Resource", "resource": ["name": "cpu", "target": ["type": "Utilization", "averageUtilization": 80]]]],
            ],
        ]
    }

    func primaryHPAMin(_ env: CanaryEnvironment) async -> Int? {
        (try? await env.client.get(.horizontalPodAutoscalers, namespace: env.namespace, name: "shop-primary"))?[path: ["spec", "minReplicas"]].intValue.map { Int($0) }
    }

    func waitPrimaryHPAMin(_ env: CanaryEnvironment, _ n: Int) async -> Bool {
        await eventually(timeout: .seconds(10)) { await self.primaryHPAMin(env) == n }
    }

    @Test("a rollback raises the shrunk primary's HPA minimum and returns traffic only once it can carry it")
    func rollbackScalesThePrimary() async throws {
        try await CanaryEnvironment.with { env in
            try await env.createDeployment("shop", image: "shop:1", replicas: 4)
            _ = try await env.client.create(.horizontalPodAutoscalers, namespace: env.namespace, Self.hpa(env.namespace))
            await env.startOperator(provider: "istio")
            try await env.createCanary("shop", metrics: [["name": "request-success-rate", "thresholdRange": ["min": 99]]],
                                       maxWeight: 50, stepWeight: 50,
                                       spec: ["autoscalerRef": ["apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "name": "shop"]])
            #expect(await env.waitPhase("shop", "Initialized"))
            #expect(await waitPrimaryHPAMin(env, 2))
            try await env.setImage("shop", "shop:2")
            #expect(await env.waitWeight("shop", 50))

            // Half the traffic left the primary: its HPA shrank it to 2.
            _ = try await env.client.patch(.deployments, namespace: env.namespace, name: "shop-primary", type: .merge,
                                           ["spec": ["replicas": 2]])
            #expect(await env.waitReplicas("shop-primary", 2))
            env.prometheus.set { $0.successRate = 80 }

            let raised = await env.drive { await self.primaryHPAMin(env) == 4 }
            #expect(raised, "the primary HPA's minReplicas is raised to what carried all the traffic")
            #expect(await env.hasEvent("shop", reason: "ScalingPrimary", containing: "Scaling shop-primary to 4 replicas"))
            #expect(await env.waitReplicas("shop-primary", 4))
            #expect(await env.waitPhase("shop", "Failed"))
            let returned = await env.drive { await env.status("shop")["handover"] == .null }
            #expect(returned)
            #expect(await env.hasEvent("shop", reason: "TrafficReturned"))
            #expect(await env.waitReplicas("shop", 0))
            // The user's HPA settings are back on the primary's copy.
            #expect(await waitPrimaryHPAMin(env, 2))
            let vs = try await env.client.get(.virtualServices, namespace: env.namespace, name: "shop")
            let weights = (vs[path: ["spec", "http"]].arrayValue?.first?["route"].arrayValue ?? []).compactMap { $0["weight"].intValue }
            #expect(weights == [100, 0])
        }
    }

    @Test("a release over --max-concurrent-releases-per-namespace waits in Waiting, naming the one it waits for")
    func releasesQueue() async throws {
        try await CanaryEnvironment.with { env in
            try await env.createDeployment("shop", image: "shop:1")
            try await env.createDeployment("cart", image: "cart:1")
            await env.startOperator(provider: "istio", maxConcurrentReleasesPerNamespace: 1)
            let metrics: [JSONValue] = [["name": "request-success-rate", "thresholdRange": ["min": 99]]]
            try await env.createCanary("shop", metrics: metrics, maxWeight: 20, stepWeight: 10)
            try await env.createCanary("cart", metrics: metrics, maxWeight: 20, stepWeight: 10)
            #expect(await env.waitPhase("shop", "Initialized"))
            #expect(await env.waitPhase("cart", "Initialized"))

            try await env.setImage("shop", "shop:2")
            #expect(await env.waitPhase("shop", "Progressing"))
            try await env.setImage("cart", "cart:2")
            #expect(await env.waitPhase("cart", "Waiting"))
            let status = await env.status("cart")
            #expect(status["waitingFor"].stringValue == "release-slot")
            #expect(status["message"].stringValue?.contains("1 of 1 concurrent releases in namespace \(env.namespace) run (\(env.namespace)/shop)") == true)
            #expect(await env.hasEvent("cart", reason: "Queued"))
            #expect(await env.deployment("cart")?[path: ["spec", "replicas"]].intValue == 0)

            #expect(await env.waitPhase("shop", "Succeeded"))
            #expect(await env.waitPhase("cart", "Succeeded"))
        }
    }

    @Test("a promoted primary that never becomes ready keeps the canary serving; it completes once the primary is ready")
    func promotionHold() async throws {
        try await CanaryEnvironment.with { env in
            try await env.createDeployment("shop", image: "shop:1")
            await env.startOperator(provider: "istio")
            try await env.createCanary("shop", metrics: [["name": "request-success-rate", "thresholdRange": ["min": 99]]],
                                       maxWeight: 50, stepWeight: 50, spec: ["progressDeadlineSeconds": 60])
            #expect(await env.waitPhase("shop", "Initialized"))
            try await env.setImage("shop", "shop:2")
            #expect(await env.waitWeight("shop", 50))
            // The primary's copy of the new revision will not start (flagger#1898's sidecar case).
            env.simulator.neverReady(namespace: env.namespace, name: "shop-primary")
            #expect(await env.waitPhase("shop", "Failed", timeout: .seconds(60)))
            let status = await env.status("shop")
            #expect(status["handover"]["kind"].stringValue == "PromotionHold")
            #expect(status["message"].stringValue?.hasPrefix("Promotion halted: shop-primary did not roll out the promoted revision within progressDeadlineSeconds 60") == true)
            #expect(await env.hasEvent("shop", reason: "PromotionHalted", type: "Warning"))
            // The canary still runs and still has its traffic (all of it, or its share beside old primary pods).
            #expect(await env.deployment("shop")?[path: ["spec", "replicas"]].intValue == 2)
            let vs = try await env.client.get(.virtualServices, namespace: env.namespace, name: "shop")
            let canaryWeight = (vs[path: ["spec", "http"]].arrayValue?.first?["route"].arrayValue ?? []).last?["weight"].intValue ?? 0
            #expect(canaryWeight >= 50)

            env.simulator.clearOverrides(namespace: env.namespace, name: "shop-primary")
            #expect(await env.waitPhase("shop", "Succeeded"))
            #expect(await env.hasEvent("shop", reason: "PromotionResumed"))
            #expect(await env.waitReplicas("shop", 0))
        }
    }
}

/// `--instance-id`: an operator instance handles only the Canaries labelled for it.
@Suite("Canary controller: sharding by instance id", .serialized, .timeLimit(.minutes(2)))
struct ShardingTests {
    @Test("an instance reconciles the Canaries labelled for it and leaves the others alone")
    func instanceHandlesOnlyItsCanaries() async throws {
        try await CanaryEnvironment.with { env in
            try await env.createDeployment("shop", image: "shop:1")
            try await env.createDeployment("cart", image: "cart:1")
            await env.startOperator(provider: "istio", ownSelector: "serin.dev/controller-instance-id=blue")
            let metrics: [JSONValue] = [["name": "request-success-rate", "thresholdRange": ["min": 99]]]
            try await env.createCanary("shop", metrics: metrics)
            try await env.createCanary("cart", metrics: metrics)
            _ = try await env.client.patch(.canaries, namespace: env.namespace, name: "shop", type: .merge,
                                           ["metadata": ["labels": ["serin.dev/controller-instance-id": "blue"]]])
            #expect(await env.waitPhase("shop", "Initialized"))
            // The other Canary is another instance's: no status, no primary.
            try await Task.sleep(for: .milliseconds(300))
            #expect(await env.status("cart") == .null)
            #expect(await env.deployment("cart-primary") == nil)
        }
    }
}
