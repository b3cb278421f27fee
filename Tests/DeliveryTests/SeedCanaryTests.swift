import Foundation
import Testing
import KubeCore
import SerinAPI
import Traffic
@testable import Delivery

/// The reference manifest, `examples/seed-canary.yaml` (a copy of ../shared/examples/).
func seedCanaryYAML() throws -> String {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    return try String(contentsOf: root.appendingPathComponent("examples/seed-canary.yaml"), encoding: .utf8)
}

func seedCanary() throws -> Canary { try Canary(yaml: seedCanaryYAML()) }

@Suite struct SeedCanaryTests {
    @Test func seedDecodesWithEveryField() throws {
        let c = try seedCanary()
        #expect(c.name == "user-service-canary")
        #expect(c.namespace == "microservices")
        #expect(c.spec.targetRef == CrossNamespaceRef(apiVersion: "apps/v1", kind: "Deployment", name: "user-service"))
        #expect(c.spec.autoscalerRef?.kind == "HorizontalPodAutoscaler")
        #expect(c.spec.service.port == 80)
        #expect(c.spec.service.targetPort == .int(3000))
        #expect(c.spec.service.gateways == ["public-gateway.istio-system.svc.cluster.local"])
        #expect(c.spec.service.hosts == ["api.mycompany.com"])
        #expect(c.spec.service.trafficPolicy == ["tls": ["mode": "DISABLE"]])
        let a = try #require(c.spec.analysis)
        #expect(a.intervalSeconds == 60)
        #expect(a.effectiveThreshold == 10)
        #expect(a.weightPlan == [5, 10, 15, 20, 25, 30, 35, 40, 45, 50])
        #expect(a.metrics?.map(\.name) == ["request-success-rate", "request-duration", "error-rate"])
        #expect(a.metrics?[0].thresholdRange?.min == 99)
        #expect(a.metrics?[1].thresholdRange?.max == 500)
        #expect(a.webhooks?.count == 2)
        let condition1 = a.webhooks?.allSatisfy { $0.effectiveType == .rollout } == true
        #expect(condition1)
        #expect(a.webhooks?[1].timeoutSeconds == 300)
        #expect(a.webhooks?[0].metadata?["cmd"] == "curl -sd 'test' http://user-service-canary/api/health")
        #expect(c.spec.effectiveProgressDeadlineSeconds == 600)
        #expect(a.strategy == .canary)
    }

    @Test func seedDecodesFromItsJSONForm() throws {
        // The JSON the API server would store; decoding it again gives the same Canary.
        let c = try seedCanary()
        let again = try Canary(json: JSONValue(parsing: c.json.serialized()))
        #expect(again == c)
    }

    @Test func seedIsValidWithIstioAndExplainsKubernetes() throws {
        let c = try seedCanary()
        #expect(c.spec.validate(defaultProvider: "istio").isEmpty)
        let problems = c.spec.validate(defaultProvider: "kubernetes")
        #expect(problems.map(\.path) == ["spec.provider"])
        #expect(problems.first?.description == "spec.provider: provider kubernetes cannot split traffic; use iterations (blue/green) or a mesh/gateway provider")
    }

    func passing(_ i: Int) -> [MetricCheckResult] {
        [metric("request-success-rate", 99.9, .pass), metric("request-duration", 120, .pass), metric("error-rate", 0.1, .pass)]
    }

    @Test func seedRunPromotesThroughTheWeightPlan() async throws {
        let sim = Simulator(spec: try seedCanary().spec)
        sim.metricScript = passing
        await sim.run { $0.phase == .initialized }
        #expect(sim.cluster.targetDesired == 0)
        #expect(sim.cluster.routes == .primaryOnly)
        let start = sim.now
        sim.release("rev-2")
        await sim.run { $0.phase == .succeeded }
        #expect(sim.phase == .succeeded)
        let canaryWeights = sim.weights.filter { $0 > 0 }
        #expect(canaryWeights == [5, 10, 15, 20, 25, 30, 35, 40, 45, 50])
        #expect(sim.cluster.routes == .primaryOnly)
        #expect(sim.cluster.primaryChecksum == "rev-2")
        #expect(sim.cluster.targetDesired == 0)
        #expect(sim.status?.lastPromotedSpec == "rev-2")
        #expect(sim.status?.failedChecks == 0)
        #expect(sim.phases.suffix(4) == [.progressing, .promoting, .finalising, .succeeded])
        // Ten intervals of analysis: the weight reaches 50 after nine, the tenth promotes.
        let elapsed = sim.now.timeIntervalSince(start)
        #expect(elapsed >= 600 && elapsed < 700)
        #expect(sim.checksRun == 10)
        // The seed's two hooks have no type: rollout hooks, called with every analysis interval.
        let condition2 = sim.calledHooks.filter { $0 == "integration-tests" }.count == 10
        #expect(condition2)
        let condition3 = sim.calledHooks.filter { $0 == "load-test" }.count == 10
        #expect(condition3)
        let condition4 = sim.events.contains { $0.message == "Advance podinfo.test canary weight 10 → 15" }
        #expect(condition4)
        #expect(sim.status?.conditions?[type: "Promoted"]?.status == .true)
        #expect(sim.status?.conditions?[type: "Promoted"]?.reason == "Succeeded")
    }

    @Test func seedRunRollsBackAfterTenFailedChecks() async throws {
        let sim = Simulator(spec: try seedCanary().spec)
        sim.metricScript = { _ in
            [metric("request-success-rate", 97.2, .fail), metric("request-duration", 120, .pass), metric("error-rate", 0.1, .pass)]
        }
        await sim.run { $0.phase == .initialized }
        sim.release("rev-2")
        await sim.run { $0.phase == .failed }
        #expect(sim.phase == .failed)
        #expect(sim.status?.failedChecks == 10)
        #expect(sim.checksRun == 10)
        let condition5 = sim.weights.filter { $0 > 0 } == [5]
        #expect(condition5)
        #expect(sim.cluster.routes == .primaryOnly)
        #expect(sim.cluster.targetDesired == 0)
        #expect(sim.cluster.primaryChecksum == "rev-1")
        let condition6 = sim.events.contains { $0.message == "Halt podinfo.test advancement: request-success-rate 97.20 < 99" }
        #expect(condition6)
        let rollbackFound = sim.events.first { $0.reason == "RollingBack" }
        let rollback = try #require(rollbackFound)
        #expect(rollback.type == .warning)
        #expect(rollback.message.contains("failed checks threshold reached 10"))
        #expect(rollback.message.contains("request-success-rate 97.20 < 99"))
        #expect(sim.status?.conditions?[type: "Promoted"]?.status == .false)
        #expect(sim.status?.conditions?[type: "Promoted"]?.reason == "Failed")
    }
}
