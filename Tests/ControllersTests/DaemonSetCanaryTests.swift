import Controllers
import Foundation
import KubeCore
import KubeTestServer
import SerinAPI
import Testing
import SerinTestSupport
import Workloads

/// Canaries targeting a DaemonSet (Flagger's semantics) against the test API server and the
/// workload simulator's DaemonSet controller (three nodes): `<name>-primary` runs on every
/// node, the target is kept off them by a nodeSelector while idle, a release is analysed for
/// its iterations and the primary then runs the new template.
@Suite("Canary controller: DaemonSet targets", .serialized, .timeLimit(.minutes(3)))
struct DaemonSetCanaryTests {
    static let name = "node-agent"
    static let scaleKey = DaemonSetWorkload.scaleToZeroKey

    static func daemonSet(_ env: CanaryEnvironment, image: String) -> JSONValue {
        [
            "apiVersion": "apps/v1", "kind": "DaemonSet",
            "metadata": ["name": .string(name), "namespace": .string(env.namespace), "labels": ["app": .string(name)]],
            "spec": [
                "selector": ["matchLabels": ["app": .string(name)]],
                "updateStrategy": ["type": "RollingUpdate", "rollingUpdate": ["maxUnavailable": 1]],
                "template": [
                    "metadata": ["labels": ["app": .string(name)]],
                    "spec": [
                        "nodeSelector": ["kubernetes.io/os": "linux"],
                        "containers": [["name": "agent", "image": .string(image), "ports": [["containerPort": 9100]]]],
                    ],
                ],
            ],
        ]
    }

    func daemonSet(_ env: CanaryEnvironment, _ name: String) async -> JSONValue? {
        try? await env.client.get(.daemonSets, namespace: env.namespace, name: name)
    }

    func image(_ env: CanaryEnvironment, _ name: String) async -> String? {
        await daemonSet(env, name)?[path: ["spec", "template", "spec", "containers"]][0]["image"].stringValue
    }

    func idle(_ env: CanaryEnvironment) async -> Bool {
        let ds = await daemonSet(env, Self.name)
        let key = ds?[path: ["spec", "template", "spec", "nodeSelector", Self.scaleKey]].stringValue
        let scheduled = ds?[path: ["status", "desiredNumberScheduled"]].intValue
        return key == "true" && scheduled == 0
    }

    @Test("initialized, released through its iterations and promoted; the target idles off every node between releases")
    func release() async throws {
        try await CanaryEnvironment.with { env in
            _ = try await env.client.create(.daemonSets, namespace: env.namespace, Self.daemonSet(env, image: "agent:1"))
            try await env.createCanary(Self.name, metrics: [], spec: [
                "provider": "kubernetes",
                "targetRef": ["apiVersion": "apps/v1", "kind": "DaemonSet", "name": .string(Self.name)],
                "service": ["port": 9100],
                "analysis": ["interval": "1m", "threshold": 1, "iterations": 3],
            ])
            await env.startOperator(provider: "kubernetes")
            let initialized = await env.waitPhase(Self.name, "Initialized")
            let detail1 = "\(await env.status(Self.name))"
            #expect(initialized, "\(detail1)")

            let primary = try #require(await daemonSet(env, "\(Self.name)-primary"))
            #expect(primary[path: ["spec", "selector", "matchLabels", "app"]] == "node-agent-primary")
            #expect(primary[path: ["spec", "replicas"]] == .null)
            #expect(primary[path: ["spec", "updateStrategy", "rollingUpdate", "maxUnavailable"]] == 1)
            // The user's nodeSelector is kept; Serin's scale-to-zero key is not copied.
            #expect(primary[path: ["spec", "template", "spec", "nodeSelector"]] == ["kubernetes.io/os": "linux"])
            let runsEverywhere = await eventually(timeout: .seconds(5)) {
                await self.daemonSet(env, "\(Self.name)-primary")?[path: ["status", "numberAvailable"]].intValue == WorkloadSimulator.nodeCount
            }
            #expect(runsEverywhere)
            let idleAtFirst = await eventually(timeout: .seconds(5)) { await self.idle(env) }
            #expect(idleAtFirst)
            let target = try #require(await daemonSet(env, Self.name))
            #expect(target[path: ["spec", "template", "spec", "nodeSelector", "kubernetes.io/os"]] == "linux")

            // A release: the target comes back on its nodes, the iterations run, the primary takes the new image.
            var containers = target[path: ["spec", "template", "spec", "containers"]].arrayValue ?? []
            containers[0]["image"] = "agent:2"
            _ = try await env.client.patch(.daemonSets, namespace: env.namespace, name: Self.name, type: .merge,
                                           ["spec": ["template": ["spec": ["containers": .array(containers)]]]])
            let scheduled = await env.drive {
                await self.daemonSet(env, Self.name)?[path: ["status", "numberAvailable"]].intValue == WorkloadSimulator.nodeCount
            }
            #expect(scheduled)
            let done = await env.waitPhase(Self.name, "Succeeded")
            let detail2 = "\(await env.status(Self.name))"
            #expect(done, "\(detail2)")
            #expect(await image(env, "\(Self.name)-primary") == "agent:2")
            let idleAgain = await env.drive { await self.idle(env) }
            #expect(idleAgain)

            // Scaling the target to zero is not a release: it stays Succeeded.
            for _ in 0..<10 {
                env.clock.advance(by: .seconds(30))
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(await env.phase(Self.name) == "Succeeded")
        }
    }

    @Test("traffic weights and autoscalers are refused with a DaemonSet target, naming the field")
    func refusals() {
        var analysis = CanaryAnalysis()
        analysis.stepWeight = 10
        analysis.maxWeight = 50
        let spec = CanarySpec(targetRef: CrossNamespaceRef(apiVersion: "apps/v1", kind: "DaemonSet", name: "agent"),
                              autoscalerRef: CanaryAutoscalerRef(name: "agent"),
                              service: CanaryService(port: 80), analysis: analysis)
        let paths = spec.validate(defaultProvider: "kubernetes").map(\.path)
        #expect(paths.contains("spec.analysis.stepWeight"))
        #expect(paths.contains("spec.analysis.maxWeight"))
        #expect(paths.contains("spec.analysis.iterations"))
        #expect(paths.contains("spec.autoscalerRef"))
        var blueGreen = CanaryAnalysis()
        blueGreen.iterations = 5
        let ok = CanarySpec(targetRef: CrossNamespaceRef(apiVersion: "apps/v1", kind: "DaemonSet", name: "agent"),
                            service: CanaryService(port: 80), analysis: blueGreen)
        let okPaths = ok.validate(defaultProvider: "kubernetes").map(\.path).filter { $0.hasPrefix("spec.targetRef") || $0.hasPrefix("spec.analysis") }
        #expect(okPaths.isEmpty)
    }
}
