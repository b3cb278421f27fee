import Controllers
import Foundation
import KubeCore
import SerinAPI
import SerinTestSupport
import Testing
import Traffic

/// Argo's Istio subset-level splitting (with a TCP route) and ALB ping-pong Services through the
/// controller, against the test API server holding Istio's real CRDs: the objects Serin writes
/// are accepted by their schemas, the weights follow the steps, a rollback ends at stable 100
/// and a restarted operator carries on from what the status and the objects say.
@Suite("Rollout controller: Istio subsets and ALB ping-pong", .serialized, .timeLimit(.minutes(3)))
struct IstioALBRolloutPathsTests {
    static let name = "web"

    static func subsetWeight(_ subset: String) -> @Sendable (JSONValue) -> Int? {
        { vs in
            let route = vs[path: ["spec", "http"]].arrayValue?.last?["route"].arrayValue ?? []
            return route.first { $0[path: ["destination", "subset"]].stringValue == subset }?["weight"].intValue
        }
    }

    static func subsetHash(_ dr: JSONValue, _ subset: String) -> String? {
        (dr[path: ["spec", "subsets"]].arrayValue ?? []).first { $0["name"].stringValue == subset }?[
            path: ["labels", RolloutLabels.podTemplateHash]].stringValue
    }

    static func deploy(_ env: RolloutEnvironment, canary: JSONValue) async throws -> String {
        _ = try await env.client.create(.rollouts, namespace: env.namespace,
                                        env.rolloutManifest(name, app: name, replicas: 4, image: "web:1", strategy: ["canary": canary]))
        await env.startOperator()
        let healthy = await env.drive { await env.phase(name) == "Healthy" }
        let status = await env.status(name)
        #expect(healthy, "not Healthy: \(status)")
        return try #require(status["stableRS"].stringValue)
    }

    @Test("subset-level splitting: subsets labelled by hash, the VirtualService's HTTP and TCP routes weigh them, abort ends at stable 100")
    func istioSubsets() async throws {
        try await RolloutEnvironment.with { env in
            let ns = env.namespace
            _ = try await env.client.create(.destinationRules, namespace: ns, [
                "apiVersion": "networking.istio.io/v1beta1", "kind": "DestinationRule",
                "metadata": ["name": "web-destrule", "namespace": .string(ns)],
                "spec": ["host": "web", "subsets": [
                    ["name": "canary", "labels": ["app": "web"]],
                    ["name": "stable", "labels": ["app": "web"], "trafficPolicy": ["loadBalancer": ["simple": "LEAST_REQUEST"]]],
                ]],
            ])
            func dests(_ port: Int) -> JSONValue {
                [["destination": ["host": "web", "subset": "stable", "port": ["number": .int(Int64(port))]], "weight": 100],
                 ["destination": ["host": "web", "subset": "canary", "port": ["number": .int(Int64(port))]], "weight": 0]]
            }
            _ = try await env.client.create(.virtualServices, namespace: ns, [
                "apiVersion": "networking.istio.io/v1beta1", "kind": "VirtualService",
                "metadata": ["name": "web-vsvc", "namespace": .string(ns)],
                "spec": ["hosts": ["web"],
                         "http": [["name": "primary", "route": dests(80)]],
                         "tcp": [["match": [["port": 5432]], "route": dests(5432)]]],
            ])
            let canary: JSONValue = [
                "steps": [["setWeight": 30], ["pause": [:]]],
                "trafficRouting": ["istio": [
                    "virtualService": ["name": "web-vsvc", "routes": ["primary"], "tcpRoutes": [["port": 5432]]],
                    "destinationRule": ["name": "web-destrule", "canarySubsetName": "canary", "stableSubsetName": "stable"],
                ]],
            ]
            let v1 = try await Self.deploy(env, canary: canary)
            let recorder = try await RouteRecorder.start(client: env.client, resource: .virtualServices, namespace: ns,
                                                         name: "web-vsvc", weight: Self.subsetWeight("canary"))
            defer { recorder.stop() }
            try await env.setImage(Self.name, "web:2")
            let paused = await env.drive(step: .seconds(1)) { await env.phase(Self.name) == "Paused" }
            #expect(paused)
            let v2 = try #require(await env.status(Self.name)["currentPodHash"].stringValue)
            let at30 = await eventually(timeout: .seconds(3)) { recorder.last == 30 }
            #expect(at30, "\(recorder.sequence)")
            let dr = try await env.client.get(.destinationRules, namespace: ns, name: "web-destrule")
            #expect(Self.subsetHash(dr, "canary") == v2)
            #expect(Self.subsetHash(dr, "stable") == v1)
            #expect(dr[path: ["spec", "subsets"]][1]["trafficPolicy"]["loadBalancer"]["simple"] == "LEAST_REQUEST")
            let vs = try await env.client.get(.virtualServices, namespace: ns, name: "web-vsvc")
            #expect(vs[path: ["spec", "tcp"]][0]["route"][1]["weight"] == 30)
            #expect(vs[path: ["spec", "tcp"]][0]["match"][0]["port"] == 5432)

            // The operator restarts while paused: the weights stay where they are.
            await env.stopOperator()
            await env.startOperator()
            await env.advance(.seconds(5))
            #expect(recorder.last == 30)

            try await env.annotate(Self.name, ManualControlAnnotations.abort, "1")
            let back = await eventually(timeout: .seconds(5)) { recorder.last == 0 }
            #expect(back, "\(recorder.sequence)")
            let after = try await env.client.get(.virtualServices, namespace: ns, name: "web-vsvc")
            #expect(after[path: ["spec", "http"]][0]["route"][0]["weight"] == 100)
            #expect(after[path: ["spec", "tcp"]][0]["route"][0]["weight"] == 100)
            let degraded = await eventually(timeout: .seconds(5)) { await env.phase(Self.name) == "Degraded" }
            #expect(degraded)
        }
    }

    @Test("ALB ping-pong: the canary goes out through pong, the promotion makes pong stable, the next update goes through ping")
    func albPingPong() async throws {
        try await RolloutEnvironment.with { env in
            let ns = env.namespace
            try await env.createService("ping-service", app: Self.name)
            try await env.createService("pong-service", app: Self.name)
            _ = try await env.client.create(.ingresses, namespace: ns, [
                "apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
                "metadata": ["name": "alb-ingress", "namespace": .string(ns), "annotations": ["kubernetes.io/ingress.class": "alb"]],
                "spec": ["rules": [["http": ["paths": [
                    ["path": "/*", "pathType": "ImplementationSpecific",
                     "backend": ["service": ["name": "ping-service", "port": ["name": "use-annotation"]]]],
                ]]]]],
            ])
            let key = "alb.ingress.kubernetes.io/actions.ping-service"
            let canary: JSONValue = [
                "pingPong": ["pingService": "ping-service", "pongService": "pong-service"],
                "steps": [["setWeight": 20], ["pause": [:]]],
                "trafficRouting": ["alb": ["ingress": "alb-ingress", "servicePort": 80]],
            ]
            let v1 = try await Self.deploy(env, canary: canary)
            let weightOf: @Sendable (String) -> @Sendable (JSONValue) -> Int? = { svc in
                { ing in
                    let action = ing.annotations[key].flatMap { try? JSONValue(parsing: $0) } ?? .null
                    let groups = action[path: ["ForwardConfig", "TargetGroups"]].arrayValue ?? []
                    return groups.first { $0["ServiceName"].stringValue == svc }?["Weight"].intValue
                }
            }
            let pong = try await RouteRecorder.start(client: env.client, resource: .ingresses, namespace: ns,
                                                     name: "alb-ingress", weight: weightOf("pong-service"))
            defer { pong.stop() }
            try await env.setImage(Self.name, "web:2")
            let paused = await env.drive(step: .seconds(1)) { await env.phase(Self.name) == "Paused" }
            #expect(paused)
            let v2 = try #require(await env.status(Self.name)["currentPodHash"].stringValue)
            let at20 = await eventually(timeout: .seconds(3)) { pong.last == 20 }
            #expect(at20, "\(pong.sequence)")
            #expect(await env.selectorBecomes("pong-service", v2))
            #expect(await env.selectorBecomes("ping-service", v1))

            try await env.annotate(Self.name, ManualControlAnnotations.promote, "1")
            let healthy = await env.drive(step: .seconds(1), timeout: .seconds(40)) { await env.phase(Self.name) == "Healthy" }
            #expect(healthy)
            #expect(await env.status(Self.name)["canary"]["stablePingPong"] == "pong")
            // All traffic on pong, which now is stable; the action kept its name.
            let onPong = await eventually(timeout: .seconds(3)) { pong.last == 100 }
            #expect(onPong, "\(pong.sequence)")
            #expect(await env.selectorBecomes("pong-service", v2))
            let ing = try await env.client.get(.ingresses, namespace: ns, name: "alb-ingress")
            #expect(weightOf("ping-service")(ing) == 0)
            #expect(ing.annotations["kubernetes.io/ingress.class"] == "alb")

            // The next update's canary is ping.
            try await env.setImage(Self.name, "web:3")
            let paused3 = await env.drive(step: .seconds(1)) { await env.phase(Self.name) == "Paused" }
            #expect(paused3)
            let v3 = try #require(await env.status(Self.name)["currentPodHash"].stringValue)
            let ping20 = await eventually(timeout: .seconds(3)) {
                let now = try? await env.client.get(.ingresses, namespace: ns, name: "alb-ingress")
                return now.flatMap(weightOf("ping-service")) == 20
            }
            #expect(ping20)
            #expect(await env.selectorBecomes("ping-service", v3))
        }
    }
}
