import Foundation
import KubeCore
import SerinAPI
import Testing
import SerinTestSupport

/// A Rollout whose workloadRef names a StatefulSet that does not exist says so in status.
@Suite("Rollout controller: missing StatefulSet workloadRef", .serialized, .timeLimit(.minutes(1)))
struct StatefulSetMissingTests {
    @Test func aMissingStatefulSetIsReported() async throws {
        try await RolloutEnvironment.with { env in
            await env.startOperator()
            _ = try await env.client.create(.rollouts, namespace: env.namespace, [
                "apiVersion": "serin.dev/v1alpha1", "kind": "Rollout",
                "metadata": ["name": "db", "namespace": .string(env.namespace)],
                "spec": ["replicas": 2, "selector": ["matchLabels": ["app": "db"]],
                         "strategy": ["canary": ["steps": [["setWeight": 20]]]],
                         "workloadRef": ["apiVersion": "apps/v1", "kind": "StatefulSet", "name": "db"]],
            ])
            let said = await env.drive { (await env.status("db")["message"].stringValue ?? "").contains("workloadRef StatefulSet db not found") }
            let status = await env.status("db")
            #expect(said, "\(status)")
        }
    }
}
