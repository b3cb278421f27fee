import Controllers
import Foundation
import KubeCore
import SerinAPI
import SerinTestSupport

/// The Argo getting-started walk every router's Rollout suite takes: Rollout `web` with
/// `setWeight: weight` then a pause, updated, paused at the weight, promoted, Healthy; the canary
/// weights of the router's object recorded meanwhile.
enum RouterRolloutScenario {
    struct Outcome {
        var pausedAtWeight: Bool
        var healthy: Bool
        var endedAtZero: Bool
        var sequence: [Int]
    }

    /// Runs the walk; `atWeight` runs while the Rollout is paused at `weight`.
    static func walk(_ env: RolloutEnvironment, routing: JSONValue, weight: Int, resource: ResourceType, name: String,
                     canaryWeight: @escaping @Sendable (JSONValue) -> Int?,
                     atWeight: () async throws -> Void = {}) async throws -> Outcome {
        _ = try await RolloutCanaryControllerTests.deploy(env, steps: [["setWeight": .int(Int64(weight))], ["pause": [:]]],
                                                          routing: routing)
        let recorder = try await RouteRecorder.start(client: env.client, resource: resource, namespace: env.namespace,
                                                     name: name, weight: canaryWeight)
        defer { recorder.stop() }
        try await env.setImage("web", "web:2")
        let paused = await env.drive(step: .seconds(1)) { await env.phase("web") == "Paused" }
        let atTarget = await eventually(timeout: .seconds(3)) { recorder.last == weight }
        if paused && atTarget { try await atWeight() }
        try await env.annotate("web", ManualControlAnnotations.promote, "1")
        let healthy = await env.drive(step: .seconds(1), timeout: .seconds(40)) { await env.phase("web") == "Healthy" }
        let settled = await eventually(timeout: .seconds(3)) { recorder.last == 0 }
        return Outcome(pausedAtWeight: paused && atTarget, healthy: healthy, endedAtZero: settled, sequence: recorder.sequence)
    }
}
