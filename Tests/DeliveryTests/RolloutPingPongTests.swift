import Foundation
import KubeCore
import SerinAPI
import Testing
@testable import Delivery

/// Argo's ping-pong Services and maxTrafficWeight in the Rollout decision core: the pair swaps
/// roles at each promotion (the status remembers which one is stable) and the weights are out
/// of the router's total.
@Suite struct RolloutPingPongTests {
    static func pingPong(steps: [RolloutCanaryStep]) -> RolloutSpec {
        var c = RolloutCanaryStrategy(steps: steps)
        c.pingPong = RolloutPingPong(pingService: "web-ping", pongService: "web-pong")
        var routing = RolloutTrafficRouting()
        routing.alb = ["ingress": "web", "servicePort": 80]
        c.trafficRouting = routing
        return RolloutSpec(replicas: 4, selector: ["matchLabels": ["app": "web"]], template: RolloutSim.template(image: "web:1"),
                           strategy: RolloutStrategy(canary: c))
    }

    @Test("the ping and pong Services swap roles at each promotion; the status records the stable one")
    func swapsAtPromotion() async throws {
        let spec = Self.pingPong(steps: [.weight(25), .pause()])
        #expect(spec.validate().isEmpty, "\(spec.validate())")
        var sim = RolloutSim(spec: spec, services: ["web-ping", "web-pong"])
        await sim.run(3)
        let v1 = try #require(sim.stableHash)
        #expect(sim.status.canary?.stablePingPong == nil)  // ping, as Argo starts
        #expect(sim.traffic.last?.stableService == "web-ping")

        sim.setImage("web:2")
        await sim.run(4)
        let v2 = try #require(sim.status.currentPodHash)
        #expect(sim.phase == .paused)
        let first = try #require(sim.traffic.last)
        #expect(first.canaryWeight == 25)
        #expect(first.stableService == "web-ping")
        #expect(first.canaryService == "web-pong")
        #expect(sim.selector("web-pong") == v2)
        #expect(sim.selector("web-ping") == v1)

        sim.annotate(ManualControlAnnotations.promote, "1")
        await sim.run(6)
        #expect(sim.phase == .healthy)
        #expect(sim.stableHash == v2)
        #expect(sim.status.canary?.stablePingPong == .pong)
        let promoted = try #require(sim.traffic.last)
        #expect(promoted.canaryWeight == 0)
        #expect(promoted.stableService == "web-pong")  // the Service already on the new pods
        #expect(sim.status.canary?.weights?.stable.serviceName == "web-pong")
        // The next update goes out through ping, and its promotion makes ping stable again.
        sim.setImage("web:3")
        await sim.run(4)
        #expect(sim.traffic.last?.canaryService == "web-ping")
        #expect(sim.traffic.last?.canaryWeight == 25)
        sim.annotate(ManualControlAnnotations.promote, "2")
        await sim.run(6)
        #expect(sim.status.canary?.stablePingPong == .ping)
        #expect(sim.traffic.last?.stableService == "web-ping")
        let swaps = sim.events.filter { $0.reason == "PingPongSwapped" }.count
        #expect(swaps == 2)
    }

    @Test("maxTrafficWeight: the weights the routers get and the status are out of the total")
    func maxTrafficWeight() async throws {
        var spec = RolloutSim.canary(replicas: 4, steps: [.weight(3), .pause()], routed: true)
        spec.strategy.canary?.trafficRouting?.maxTrafficWeight = 10
        #expect(spec.validate().isEmpty, "\(spec.validate())")
        var sim = RolloutSim(spec: spec, services: RolloutCanaryTests.services)
        await sim.run(3)
        sim.setImage("web:2")
        await sim.run(4)
        let t = try #require(sim.traffic.last)
        #expect(t.canaryWeight == 3)
        #expect(t.maxWeight == 10)
        #expect(t.stableWeight == 7)
        #expect(sim.status.canary?.weights?.stable.weight == 7)
        // Rolled back: the stable side has the whole total again.
        sim.annotate(ManualControlAnnotations.abort, "1")
        await sim.run(3)
        #expect(sim.traffic.last?.canaryWeight == 0)
        #expect(sim.traffic.last?.stableWeight == 10)
    }

    @Test("validation: pingPong needs alb or istio, two different Services, and not canaryService/stableService too")
    func validation() {
        var spec = Self.pingPong(steps: [.weight(10)])
        spec.strategy.canary?.pingPong = RolloutPingPong(pingService: "same", pongService: "same")
        spec.strategy.canary?.stableService = "web-stable"
        let paths = spec.validate().map(\.path)
        #expect(paths == ["spec.strategy.canary.pingPong.pongService", "spec.strategy.canary.pingPong"], "\(spec.validate())")
        var smi = Self.pingPong(steps: [.weight(10)])
        var routing = RolloutTrafficRouting()
        routing.smi = ["rootService": "web"]
        smi.strategy.canary?.trafficRouting = routing
        let messages = smi.validate().map(\.message)
        let named = messages.contains { $0.contains("need the alb or istio router") }
        #expect(named, "\(messages)")
    }
}
