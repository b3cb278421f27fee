import Controllers
import Foundation
import KubeCore
import SerinAPI
import Testing
import SerinTestSupport

/// A gatewayapi Canary whose HTTPRoute the user already has, with a rule of their own.
@Suite("Canary controller: Gateway API", .serialized, .timeLimit(.minutes(2)))
struct GatewayAPICanaryTests {
    static let userRule: JSONValue = [
        "matches": [["path": ["type": "PathPrefix", "value": "/admin"]]],
        "backendRefs": [["name": "admin", "port": 8080]],
    ]
    /// The user's rule as the real HTTPRoute v1 schema stores it: backendRefs defaulted
    /// (`group: ""`, `kind: Service`, `weight: 1`), as a real API server does.
    static let storedUserRule: JSONValue = [
        "matches": [["path": ["type": "PathPrefix", "value": "/admin"]]],
        "backendRefs": [["group": "", "kind": "Service", "name": "admin", "port": 8080, "weight": 1]],
    ]

    @Test("promotion through an HTTPRoute keeps the user's extra rule and metadata")
    func keepsUserRule() async throws {
        try await CanaryEnvironment.with { env in
            let ns = env.namespace
            try await env.createDeployment("podinfo", image: "ghcr.io/stefanprodan/podinfo:6.0.0")
            _ = try await env.client.create(.httpRoutes, namespace: ns, [
                "apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
                "metadata": ["name": "podinfo", "namespace": .string(ns), "labels": ["team": "web"]],
                "spec": [
                    "parentRefs": [["name": "public", "namespace": "gateways"]],
                    "rules": [Self.userRule],
                ],
            ])
            await env.startOperator(provider: "kubernetes")
            _ = try await env.client.create(.canaries, namespace: ns, [
                "apiVersion": "serin.dev/v1alpha1", "kind": "Canary",
                "metadata": ["name": "podinfo", "namespace": .string(ns)],
                "spec": [
                    "provider": "gatewayapi:v1",
                    "targetRef": ["apiVersion": "apps/v1", "kind": "Deployment", "name": "podinfo"],
                    "service": ["port": 9898, "gatewayRefs": [["name": "public", "namespace": "gateways"]],
                                "hosts": ["podinfo.example.com"]],
                    "analysis": ["interval": "30s", "threshold": 2, "maxWeight": 60, "stepWeight": 20,
                                 "metrics": [["name": "error-rate", "interval": "1m", "thresholdRange": ["max": 1]]]],
                ],
            ])
            #expect(await env.waitPhase("podinfo", "Initialized"))
            let recorder = try await RouteRecorder.start(client: env.client, resource: .httpRoutes, namespace: ns,
                                                         name: "podinfo", weight: RouteRecorder.gatewayWeight)
            defer { recorder.stop() }
            try await env.setImage("podinfo", "ghcr.io/stefanprodan/podinfo:6.1.0")
            #expect(await env.waitPhase("podinfo", "Succeeded"))
            _ = await eventually(timeout: .seconds(2)) { recorder.last == 0 && recorder.sequence.count > 1 }
            #expect(recorder.sequence == [0, 20, 40, 60, 0])

            let route = try await env.client.get(.httpRoutes, namespace: ns, name: "podinfo")
            let rules = route[path: ["spec", "rules"]].arrayValue ?? []
            #expect(rules.contains(Self.storedUserRule), "\(rules)")
            #expect(rules.count == 2)
            #expect(route.labels["team"] == "web")
            #expect(route[path: ["spec", "hostnames"]] == ["podinfo.example.com"])
            // The user's route is not adopted: deleting the Canary must not delete it.
            #expect(route.ownerReferences.isEmpty)
            let primaryWeight = rules.last?["backendRefs"][0]
            #expect(primaryWeight?["name"] == "podinfo-primary")
            #expect(primaryWeight?["weight"] == 100)
            // The builtin check ran the Gateway API (Envoy) query.
            let envoy = env.prometheus.queries.filter { $0.contains("envoy_cluster_upstream_rq") }
            #expect(!envoy.isEmpty)
        }
    }
}
