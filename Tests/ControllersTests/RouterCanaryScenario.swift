import Controllers
import Foundation
import KubeCore
import SerinAPI
import SerinTestSupport
import Traffic

/// The Flagger tutorial every router's controller suite walks: a Deployment `podinfo`, a Canary
/// (revertOnDeletion) of the given spec promoted through its analysis while the canary weight of
/// the router's object is recorded, then the Canary deleted.
enum RouterCanaryScenario {
    static let analysis: JSONValue = ["interval": "15s", "threshold": 2, "maxWeight": 50, "stepWeight": 25,
                                      "metrics": [["name": "request-success-rate", "interval": "1m", "thresholdRange": ["min": 99]]]]

    /// The Canary: `spec` over the target, revertOnDeletion and `analysis`.
    static func canary(_ ns: String, spec: JSONValue) -> JSONValue {
        var s: JSONValue = ["revertOnDeletion": true, "analysis": analysis,
                            "targetRef": ["apiVersion": "apps/v1", "kind": "Deployment", "name": "podinfo"]]
        for (k, v) in spec.objectValue ?? [:] { s[k] = v }
        return ["apiVersion": "serin.dev/v1alpha1", "kind": "Canary", "metadata": ["name": "podinfo", "namespace": .string(ns)], "spec": s]
    }

    /// Creates the Deployment (unless `deployed`) and the Canary, releases a new image and waits
    /// for the promotion; the canary weights of `resource`/`name` seen, in order (nil when a phase
    /// was not reached).
    static func promote(_ env: CanaryEnvironment, spec: JSONValue, resource: ResourceType, name: String,
                        deployed: Bool = false, weight: @escaping @Sendable (JSONValue) -> Int?) async throws -> [Int]? {
        let ns = env.namespace
        if !deployed { try await env.createDeployment("podinfo", image: "ghcr.io/stefanprodan/podinfo:6.0.0") }
        _ = try await env.client.create(.canaries, namespace: ns, canary(ns, spec: spec))
        guard await env.waitPhase("podinfo", "Initialized") else { return nil }
        let recorder = try await RouteRecorder.start(client: env.client, resource: resource, namespace: ns, name: name, weight: weight)
        defer { recorder.stop() }
        try await env.setImage("podinfo", "ghcr.io/stefanprodan/podinfo:6.1.0")
        guard await env.waitPhase("podinfo", "Succeeded") else { return nil }
        _ = await eventually(timeout: .seconds(2)) { recorder.last == 0 && recorder.sequence.count > 1 }
        return recorder.sequence
    }

    /// Deletes the Canary; whether it went and took `resource`/`name` with it.
    static func deleteRemoves(_ env: CanaryEnvironment, resource: ResourceType, name: String) async throws -> Bool {
        try await env.client.delete(.canaries, namespace: env.namespace, name: "podinfo")
        let gone = await env.drive { (try? await env.canary("podinfo")) == nil }
        let left = try? await env.client.get(resource, namespace: resource.namespaced ? env.namespace : nil, name: name)
        return gone && left == nil
    }

    /// The names and selector of the scenario's Canary, for a router's `readWeights`.
    static func names(_ env: CanaryEnvironment, port: Int) -> CanaryNames {
        CanaryNames(canaryName: "podinfo", namespace: env.namespace,
                    spec: CanarySpec(targetRef: CrossNamespaceRef(name: "podinfo"), service: CanaryService(port: port)))
    }

    static let selector = SelectorLabel(key: "app", value: "podinfo")
}
