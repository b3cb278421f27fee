import Controllers
import Foundation
import KubeCore
import SerinAPI
import SerinTestSupport
import Testing
import Traffic

/// Argo's ambassador example through the Rollout controller, the Mappings checked by
/// Emissary's real CRD (getambassador.io/v2, its storage version).
@Suite("Rollout controller: Ambassador", .serialized, .timeLimit(.minutes(2)))
struct AmbassadorRolloutTests {
    @Test("trafficRouting.ambassador: `<mapping>-canary` carries setWeight, is removed at the end; the user's Mapping is untouched")
    func canaryMapping() async throws {
        try await RolloutEnvironment.with { env in
            let ns = env.namespace
            let user = try await env.client.create(.ambassadorMappings, namespace: ns, [
                "apiVersion": "getambassador.io/v2", "kind": "Mapping", "metadata": ["name": "web", "namespace": .string(ns)],
                "spec": ["prefix": "/web/", "service": "web-stable:80", "timeout_ms": 3000],
            ])
            let routing: JSONValue = ["ambassador": ["mappings": ["web"]]]
            _ = try await RolloutCanaryControllerTests.deploy(env, steps: [["setWeight": 30], ["pause": [:]]], routing: routing)
            #expect((try? await env.client.get(.ambassadorMappings, namespace: ns, name: "web-canary")) == nil, "no copy at weight 0")
            try await env.setImage("web", "web:2")
            let paused = await env.drive(step: .seconds(1)) { await env.phase("web") == "Paused" }
            #expect(paused)
            let created = await env.drive(step: .seconds(1), timeout: .seconds(10)) {
                (try? await env.client.get(.ambassadorMappings, namespace: ns, name: "web-canary")) != nil
            }
            let status = await env.status("web"), events = await env.events(about: "web").map { $0["message"] }
            #expect(created, "\(status) \(events)")
            let canary = try await env.client.get(.ambassadorMappings, namespace: ns, name: "web-canary")
            #expect(canary["spec"] == ["prefix": "/web/", "service": "web-canary:80", "timeout_ms": 3000, "weight": 30])
            #expect(canary.ownerReferences.first?["kind"] == "Rollout")
            try await env.annotate("web", ManualControlAnnotations.promote, "1")
            let healthy = await env.drive(step: .seconds(1), timeout: .seconds(40)) { await env.phase("web") == "Healthy" }
            #expect(healthy)
            let removed = await env.drive(step: .seconds(1)) {
                (try? await env.client.get(.ambassadorMappings, namespace: ns, name: "web-canary")) == nil
            }
            #expect(removed)
            let after = try await env.client.get(.ambassadorMappings, namespace: ns, name: "web")
            #expect(after[path: ["metadata", "resourceVersion"]] == user[path: ["metadata", "resourceVersion"]], "the user's Mapping was written")
        }
    }
}
