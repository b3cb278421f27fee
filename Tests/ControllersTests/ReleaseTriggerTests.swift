import Controllers
import Foundation
import KubeCore
import SerinAPI
import Testing

/// What starts a release besides an image change, and what ends one without metrics.
@Suite("Canary controller: config releases and progress deadline", .serialized, .timeLimit(.minutes(2)))
struct ReleaseTriggerTests {
    static func canary(_ env: CanaryEnvironment, deadline: Int = 600) -> JSONValue {
        [
            "apiVersion": "serin.dev/v1alpha1", "kind": "Canary",
            "metadata": ["name": "api", "namespace": .string(env.namespace)],
            "spec": [
                "targetRef": ["apiVersion": "apps/v1", "kind": "Deployment", "name": "api"],
                "progressDeadlineSeconds": .int(Int64(deadline)),
                "service": ["port": 80, "targetPort": 3000],
                "analysis": ["interval": "1m", "threshold": 2, "maxWeight": 20, "stepWeight": 10,
                             "metrics": [["name": "error-rate", "thresholdRange": ["max": 1]]]],
            ],
        ]
    }

    @Test("a ConfigMap change is a release: the primary gets a -primary copy with the new data")
    func configMapRelease() async throws {
        try await CanaryEnvironment.with { env in
            let ns = env.namespace
            _ = try await env.client.create(.configMaps, namespace: ns, [
                "apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "api-config", "namespace": .string(ns)],
                "data": ["LEVEL": "info"],
            ])
            try await env.createDeployment("api", image: "api:1", configMap: "api-config")
            await env.startOperator(provider: "istio")
            _ = try await env.client.create(.canaries, namespace: ns, Self.canary(env))
            #expect(await env.waitPhase("api", "Initialized"))

            let primary = try #require(await env.deployment("api-primary"))
            let ref = primary[path: ["spec", "template", "spec", "containers"]][0]["envFrom"][0]["configMapRef"]["name"]
            #expect(ref == "api-config-primary")
            let copy = try await env.client.get(.configMaps, namespace: ns, name: "api-config-primary")
            #expect(copy["data"]["LEVEL"] == "info")
            let before = await env.status("api")["lastAppliedSpec"].stringValue
            let stampPath = ["spec", "template", "metadata", "annotations", "serin.dev/release-checksum"]
            #expect(primary[path: stampPath].stringValue == before)

            _ = try await env.client.patch(.configMaps, namespace: ns, name: "api-config", type: .merge,
                                           ["data": ["LEVEL": "debug"]])
            let started = await env.drive { await env.status("api")["lastAppliedSpec"].stringValue != before }
            #expect(started)
            // While analysed, the primary keeps the old data.
            let during = try await env.client.get(.configMaps, namespace: ns, name: "api-config-primary")
            #expect(during["data"]["LEVEL"] == "info")
            #expect(await env.waitPhase("api", "Succeeded"))
            let after = try await env.client.get(.configMaps, namespace: ns, name: "api-config-primary")
            #expect(after["data"]["LEVEL"] == "debug")
            // The primary's pod template changed with the config, so its pods restart.
            let promoted = try #require(await env.deployment("api-primary"))
            let stamp = promoted[path: stampPath].stringValue
            #expect(stamp != before)
            #expect(stamp == (await env.status("api"))["lastPromotedSpec"].stringValue)
            #expect(await env.hasEvent("api", reason: "NewRevision"))
        }
    }

    @Test("a canary that never becomes ready is rolled back at progressDeadlineSeconds")
    func progressDeadline() async throws {
        try await CanaryEnvironment.with { env in
            try await env.createDeployment("api", image: "api:1")
            await env.startOperator(provider: "istio")
            _ = try await env.client.create(.canaries, namespace: env.namespace, Self.canary(env, deadline: 120))
            #expect(await env.waitPhase("api", "Initialized"))
            env.simulator.neverReady(namespace: env.namespace, name: "api")
            try await env.setImage("api", "api:2")
            #expect(await env.waitPhase("api", "Failed"))
            let status = await env.status("api")
            #expect((status["message"].stringValue ?? "").contains("not ready within progressDeadlineSeconds 120"))
            #expect(await env.hasEvent("api", reason: "RollingBack", containing: "progressDeadlineSeconds", type: "Warning"))
            #expect(await env.waitReplicas("api", 0))
            #expect(SeedCanaryControllerTests.image(await env.deployment("api-primary")) == "api:1")
        }
    }
}
