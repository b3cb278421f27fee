import Controllers
import Foundation
import KubeCore
import SerinAPI
import Testing
import SerinTestSupport
import Workloads

/// Flagger's KEDA autoscalerRef against the test API server with KEDA's real ScaledObject CRD:
/// `<so>-primary` targets the primary with primaryScalerReplicas and primaryScalerQueries,
/// and the target's ScaledObject is paused while the target is idle, resumed for a release.
@Suite("Canary controller: KEDA ScaledObject autoscalerRef", .serialized, .timeLimit(.minutes(3)))
struct ScaledObjectCanaryTests {
    static let name = "podinfo"
    static let paused = PrimaryScaledObjectBuilder.pausedReplicasAnnotation

    static func kedaCRD() throws -> JSONValue {
        let url = RouterCRDs.directory.appendingPathComponent("keda.yaml")
        let docs = try JSONValue.documents(yaml: try String(contentsOf: url, encoding: .utf8))
        let found = docs.first { $0.name == "scaledobjects.keda.sh" }
        return try #require(found)
    }

    static func scaledObject(_ env: CanaryEnvironment) -> JSONValue {
        [
            "apiVersion": "keda.sh/v1alpha1", "kind": "ScaledObject",
            "metadata": ["name": "podinfo-so", "namespace": .string(env.namespace), "labels": ["team": "web"]],
            "spec": [
                "scaleTargetRef": ["apiVersion": "apps/v1", "kind": "Deployment", "name": "podinfo"],
                "minReplicaCount": 3, "maxReplicaCount": 10, "pollingInterval": 15,
                "triggers": [
                    ["type": "prometheus", "name": "prom-trigger",
                     "metadata": ["serverAddress": "http://prometheus:9090", "threshold": "100",
                                  "query": #"sum(rate(http_requests_total{app="podinfo"}[30s]))"#]],
                    ["type": "prometheus", "name": "latency",
                     "metadata": ["serverAddress": "http://prometheus:9090", "threshold": "1",
                                  "query": #"max(latency{deployment=~"podinfo|podinfo-canary"})"#]],
                ],
            ],
        ]
    }

    func scaledObject(_ env: CanaryEnvironment, _ name: String) async -> JSONValue? {
        try? await env.client.get(.kedaScaledObjects, namespace: env.namespace, name: name)
    }

    func pausedValue(_ env: CanaryEnvironment) async -> String? {
        await scaledObject(env, "podinfo-so")?.annotations[Self.paused]
    }

    @Test("the primary ScaledObject targets the primary; the target's is paused while idle and resumed for a release")
    func primaryCopyAndPause() async throws {
        try await CanaryEnvironment.with { env in
            _ = try await env.client.create(.customResourceDefinitions, namespace: nil, try Self.kedaCRD())
            let served = await eventually(timeout: .seconds(5)) {
                (try? await env.client.list(.kedaScaledObjects, namespace: env.namespace)) != nil
            }
            #expect(served)
            try await env.createDeployment(Self.name, image: "podinfo:1", replicas: 2)
            _ = try await env.client.create(.kedaScaledObjects, namespace: env.namespace, Self.scaledObject(env))
            try await env.createCanary(Self.name, metrics: [], spec: [
                "autoscalerRef": [
                    "apiVersion": "keda.sh/v1alpha1", "kind": "ScaledObject", "name": "podinfo-so",
                    "primaryScalerQueries": ["prom-trigger": #"sum(rate(http_requests_total{app="podinfo-primary"}[30s]))"#],
                    "primaryScalerReplicas": ["minReplicas": 2, "maxReplicas": 5],
                ],
            ])
            await env.startOperator()
            let initialized = await env.waitPhase(Self.name, "Initialized")
            let detail1 = "\(await env.status(Self.name))"
            #expect(initialized, "\(detail1)")

            let copy = try #require(await scaledObject(env, "podinfo-so-primary"))
            #expect(copy[path: ["spec", "scaleTargetRef", "name"]] == "podinfo-primary")
            #expect(copy[path: ["spec", "scaleTargetRef", "kind"]] == "Deployment")
            #expect(copy[path: ["spec", "minReplicaCount"]].intValue == 2)
            #expect(copy[path: ["spec", "maxReplicaCount"]].intValue == 5)
            #expect(copy[path: ["spec", "pollingInterval"]].intValue == 15)
            #expect(copy.labels["team"] == "web")
            let triggers = copy[path: ["spec", "triggers"]].arrayValue ?? []
            #expect(triggers.count == 2)
            #expect(triggers.first?[path: ["metadata", "query"]] == #"sum(rate(http_requests_total{app="podinfo-primary"}[30s]))"#)
            // Not named in primaryScalerQueries: the target's name is rewritten, the canary's too.
            #expect(triggers.last?[path: ["metadata", "query"]] == #"max(latency{deployment=~"podinfo-primary|podinfo-primary"})"#)
            #expect(triggers.first?[path: ["metadata", "threshold"]] == "100")
            let canaryUID = try await env.canary(Self.name).uid
            #expect(copy.ownerReferences.first?["uid"].stringValue == canaryUID)
            #expect(copy.annotations[Self.paused] == nil)

            // The target is idle: scaled to zero and its ScaledObject paused at zero.
            #expect(await env.waitReplicas(Self.name, 0))
            let pausedIdle = await eventually(timeout: .seconds(5)) { await self.pausedValue(env) == "0" }
            #expect(pausedIdle)

            // A release: the pause is lifted and the target scaled to the ScaledObject's minimum.
            try await env.setImage(Self.name, "podinfo:2")
            let resumed = await env.drive { await self.pausedValue(env) == nil }
            #expect(resumed)
            let scaledUp = await env.drive { await env.deployment(Self.name)?[path: ["spec", "replicas"]].intValue == 3 }
            #expect(scaledUp)
            let done = await env.waitPhase(Self.name, "Succeeded")
            let detail2 = "\(await env.status(Self.name))"
            #expect(done, "\(detail2)")
            // Promoted: idle again, paused again; the primary's copy still targets the primary.
            let idleAgain = await env.drive {
                let replicas = await env.deployment(Self.name)?[path: ["spec", "replicas"]].intValue
                let pausedNow = await self.pausedValue(env)
                return replicas == 0 && pausedNow == "0"
            }
            #expect(idleAgain)
            let after = try #require(await scaledObject(env, "podinfo-so-primary"))
            #expect(after[path: ["spec", "scaleTargetRef", "name"]] == "podinfo-primary")
        }
    }

    @Test("a ScaledObject autoscalerRef with another apiVersion is refused naming the field")
    func wrongAPIVersion() {
        let spec = CanarySpec(targetRef: CrossNamespaceRef(apiVersion: "apps/v1", kind: "Deployment", name: "podinfo"),
                              autoscalerRef: CanaryAutoscalerRef(apiVersion: "autoscaling/v2", kind: "ScaledObject", name: "so"),
                              service: CanaryService(port: 80))
        let problems = spec.validate().map(\.path).filter { $0.hasPrefix("spec.autoscalerRef") }
        #expect(problems == ["spec.autoscalerRef.apiVersion"])
        let keda = CanarySpec(targetRef: CrossNamespaceRef(apiVersion: "apps/v1", kind: "Deployment", name: "podinfo"),
                              autoscalerRef: CanaryAutoscalerRef(apiVersion: "keda.sh/v1alpha1", kind: "ScaledObject", name: "so"),
                              service: CanaryService(port: 80))
        let kedaProblems = keda.validate().map(\.path).filter { $0.hasPrefix("spec.autoscalerRef") }
        #expect(kedaProblems.isEmpty)
    }
}
