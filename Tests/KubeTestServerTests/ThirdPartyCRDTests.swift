import Foundation
import KubeCore
import KubeTestServer
import Testing

/// The project's CRDs and the real third-party CRDs (../shared/thirdparty-crds, as their projects
/// ship them) must be accepted and Established by the test API server, as a real v1.36.2 server
/// accepted them (SOURCES.md), and the smoke set of objects operators write must validate.
@Suite("KubeTestServer real CRDs", .timeLimit(.minutes(2)))
struct ThirdPartyCRDTests {
    /// The package root (this file is Tests/KubeTestServerTests/ThirdPartyCRDTests.swift).
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let shared = root.deletingLastPathComponent().appendingPathComponent("shared/thirdparty-crds")

    static func documents(_ url: URL) throws -> [JSONValue] {
        try JSONValue.documents(yaml: String(contentsOf: url, encoding: .utf8)).filter { $0["kind"] == "CustomResourceDefinition" }
    }

    static func yamlFiles(_ dir: URL) throws -> [URL] {
        try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".yaml") && $0 != "kustomization.yaml" }.sorted()
            .map { dir.appendingPathComponent($0) }
    }

    /// Creates each CRD and checks it is Established; returns the failures as text.
    static func install(_ crds: [JSONValue], _ api: any KubeAPI) async -> [String] {
        var failures: [String] = []
        for crd in crds {
            let name = crd.name ?? "?"
            do {
                _ = try await api.create(.customResourceDefinitions, namespace: nil, crd)
                let stored = try await api.get(.customResourceDefinitions, namespace: nil, name: name, subresource: nil)
                let established = (stored["status"]["conditions"].arrayValue ?? []).contains { $0["type"] == "Established" && $0["status"] == "True" }
                if !established { failures.append("\(name): not Established") }
            } catch {
                failures.append("\(name): \(error)")
            }
        }
        return failures
    }

    static func start() async throws -> TestAPIServer {
        var options = TestAPIServer.Options()
        options.simulateWorkloads = false
        return try await TestAPIServer.start(options)
    }

    @Test func everyCRDIsAcceptedAndEstablishedAndTheSmokeSetValidates() async throws {
        let server = try await Self.start()
        defer { Task { try? await server.stop() } }
        let api = server.api

        var own: [JSONValue] = []
        for f in try Self.yamlFiles(Self.root.appendingPathComponent("crds")) { own += try Self.documents(f) }
        #expect(own.count >= 7)
        let ownFailures = await Self.install(own, api)
        #expect(ownFailures.isEmpty, "\(ownFailures)")

        var third: [JSONValue] = []
        for f in try Self.yamlFiles(Self.shared) { third += try Self.documents(f) }
        #expect(third.count == 23)
        let failures = await Self.install(third, api)
        #expect(failures.isEmpty, "\(failures)")

        _ = try await api.create(.namespaces, namespace: nil, ["metadata": ["name": "smoke"]])
        var refused: [String] = []
        for (group, version, plural, namespaced, object) in Self.smokeSet {
            let type = ResourceType(group: group, version: version, plural: plural, kind: object["kind"].stringValue ?? "", namespaced: namespaced)
            do {
                _ = try await api.create(type, namespace: namespaced ? "smoke" : nil, object)
            } catch {
                refused.append("\(group)/\(version) \(plural): \(error)")
            }
        }
        #expect(refused.isEmpty, "\(refused)")

        // Malformed objects are refused by the real schemas.
        let httpRoutes = ResourceType(group: "gateway.networking.k8s.io", version: "v1", plural: "httproutes", kind: "HTTPRoute", namespaced: true)
        var negative = Self.httpRoute("negative", apiVersion: "gateway.networking.k8s.io/v1")
        negative["spec"]["rules"][0]["backendRefs"][0]["weight"] = -1
        let weightError = await Self.refusal { _ = try await api.create(httpRoutes, namespace: "smoke", negative) }
        #expect(weightError.contains("spec.rules[0].backendRefs[0].weight: Invalid value: -1: spec.rules[0].backendRefs[0].weight in body should be greater than or equal to 0"), "\(weightError)")

        let virtualServices = ResourceType(group: "networking.istio.io", version: "v1beta1", plural: "virtualservices", kind: "VirtualService", namespaced: true)
        var stringHosts = Self.virtualService("string-hosts")
        stringHosts["spec"]["hosts"] = "app"
        let hostsError = await Self.refusal { _ = try await api.create(virtualServices, namespace: "smoke", stringHosts) }
        #expect(hostsError.contains(#"spec.hosts: Invalid value: "string": spec.hosts in body must be of type array: "string""#), "\(hostsError)")
    }

    @Test func altTrafficSplitServesOnlyV1alpha4() async throws {
        let server = try await Self.start()
        defer { Task { try? await server.stop() } }
        let api = server.api
        let main = try Self.documents(Self.shared.appendingPathComponent("smi-trafficsplit.yaml"))
        #expect(await Self.install(main, api).isEmpty)
        _ = try await api.delete(.customResourceDefinitions, namespace: nil, name: "trafficsplits.split.smi-spec.io", options: DeleteOptions())
        var alt: [JSONValue] = []
        for f in try Self.yamlFiles(Self.shared.appendingPathComponent("alt")) { alt += try Self.documents(f) }
        let failures = await Self.install(alt, api)
        #expect(failures.isEmpty, "\(failures)")
        let v4 = ResourceType(group: "split.smi-spec.io", version: "v1alpha4", plural: "trafficsplits", kind: "TrafficSplit", namespaced: true)
        var split = Self.trafficSplit("alt", version: "v1alpha4", weights: [.int(90), .int(10)])
        split["apiVersion"] = "split.smi-spec.io/v1alpha4"
        _ = try await api.create(v4, namespace: "default", split)
        let v3 = ResourceType(group: "split.smi-spec.io", version: "v1alpha3", plural: "trafficsplits", kind: "TrafficSplit", namespaced: true)
        let notServed = await Self.refusal { _ = try await api.create(v3, namespace: "default", split) }
        #expect(!notServed.isEmpty)
    }

    static func refusal(_ body: () async throws -> Void) async -> String {
        do {
            try await body()
            return ""
        } catch {
            return "\(error)"
        }
    }

    // MARK: the smoke set (SOURCES.md)

    static func meta(_ name: String) -> JSONValue { ["name": .string(name)] }

    static func httpRoute(_ name: String, apiVersion: String) -> JSONValue {
        [
            "apiVersion": .string(apiVersion), "kind": "HTTPRoute", "metadata": meta(name),
            "spec": [
                "parentRefs": [["name": "gateway"]],
                "hostnames": ["app.example.com"],
                "rules": [[
                    "matches": [["path": ["type": "PathPrefix", "value": "/"]]],
                    "backendRefs": [["name": "app-primary", "port": 80, "weight": 90], ["name": "app-canary", "port": 80, "weight": 10]],
                ]],
            ],
        ]
    }

    static func virtualService(_ name: String) -> JSONValue {
        [
            "apiVersion": "networking.istio.io/v1beta1", "kind": "VirtualService", "metadata": meta(name),
            "spec": [
                "hosts": ["app"], "gateways": ["mesh"],
                "http": [["route": [
                    ["destination": ["host": "app-primary", "port": ["number": 80]], "weight": 90],
                    ["destination": ["host": "app-canary", "port": ["number": 80]], "weight": 10],
                ]]],
            ],
        ]
    }

    static func trafficSplit(_ name: String, version: String, weights: [JSONValue]) -> JSONValue {
        [
            "apiVersion": .string("split.smi-spec.io/\(version)"), "kind": "TrafficSplit", "metadata": meta(name),
            "spec": ["service": "app", "backends": [["service": "app-primary", "weight": weights[0]], ["service": "app-canary", "weight": weights[1]]]],
        ]
    }

    /// group, version, plural, namespaced, object.
    static let smokeSet: [(String, String, String, Bool, JSONValue)] = [
        ("gateway.networking.k8s.io", "v1", "httproutes", true, httpRoute("route-v1", apiVersion: "gateway.networking.k8s.io/v1")),
        ("gateway.networking.k8s.io", "v1beta1", "httproutes", true, httpRoute("route-v1beta1", apiVersion: "gateway.networking.k8s.io/v1beta1")),
        ("gateway.networking.k8s.io", "v1alpha2", "tcproutes", true, [
            "apiVersion": "gateway.networking.k8s.io/v1alpha2", "kind": "TCPRoute", "metadata": meta("tcp"),
            "spec": ["parentRefs": [["name": "gateway"]], "rules": [["backendRefs": [["name": "db-primary", "port": 5432, "weight": 100]]]]],
        ]),
        ("networking.istio.io", "v1beta1", "virtualservices", true, virtualService("vs")),
        ("networking.istio.io", "v1beta1", "destinationrules", true, [
            "apiVersion": "networking.istio.io/v1beta1", "kind": "DestinationRule", "metadata": meta("dr"),
            "spec": ["host": "app", "subsets": [["name": "primary", "labels": ["app": "app-primary"]], ["name": "canary", "labels": ["app": "app-canary"]]]],
        ]),
        ("split.smi-spec.io", "v1alpha1", "trafficsplits", true, trafficSplit("split-v1alpha1", version: "v1alpha1", weights: ["900m", "100m"])),
        ("split.smi-spec.io", "v1alpha2", "trafficsplits", true, trafficSplit("split-v1alpha2", version: "v1alpha2", weights: [90, 10])),
        ("policy.linkerd.io", "v1beta3", "httproutes", true, [
            "apiVersion": "policy.linkerd.io/v1beta3", "kind": "HTTPRoute", "metadata": meta("linkerd-route"),
            "spec": [
                "parentRefs": [["name": "app", "kind": "Service", "group": "core", "port": 80]],
                "rules": [["backendRefs": [["name": "app-primary", "port": 80, "weight": 90], ["name": "app-canary", "port": 80, "weight": 10]]]],
            ],
        ]),
        ("traefik.io", "v1alpha1", "traefikservices", true, [
            "apiVersion": "traefik.io/v1alpha1", "kind": "TraefikService", "metadata": meta("weighted"),
            "spec": ["weighted": ["services": [["name": "app-primary", "port": 80, "weight": 90], ["name": "app-canary", "port": 80, "weight": 10]]]],
        ]),
        ("projectcontour.io", "v1", "httpproxies", true, [
            "apiVersion": "projectcontour.io/v1", "kind": "HTTPProxy", "metadata": meta("proxy"),
            "spec": [
                "virtualhost": ["fqdn": "app.example.com"],
                "routes": [["conditions": [["prefix": "/"]], "services": [["name": "app-primary", "port": 80, "weight": 90], ["name": "app-canary", "port": 80, "weight": 10]]]],
            ],
        ]),
        ("gateway.solo.io", "v1", "routetables", true, [
            "apiVersion": "gateway.solo.io/v1", "kind": "RouteTable", "metadata": meta("routes"),
            "spec": ["routes": [[
                "matchers": [["prefix": "/"]],
                "routeAction": ["multi": ["destinations": [
                    ["destination": ["upstream": ["name": "app-primary", "namespace": "smoke"]], "weight": 90],
                    ["destination": ["upstream": ["name": "app-canary", "namespace": "smoke"]], "weight": 10],
                ]]],
            ]]],
        ]),
        ("gloo.solo.io", "v1", "upstreams", true, [
            "apiVersion": "gloo.solo.io/v1", "kind": "Upstream", "metadata": meta("app-primary"),
            "spec": ["kube": ["serviceName": "app-primary", "serviceNamespace": "smoke", "servicePort": 80]],
        ]),
        ("apisix.apache.org", "v2", "apisixroutes", true, [
            "apiVersion": "apisix.apache.org/v2", "kind": "ApisixRoute", "metadata": meta("apisix"),
            "spec": ["http": [[
                "name": "rule1", "match": ["hosts": ["app.example.com"], "paths": ["/*"]],
                "backends": [["serviceName": "app-primary", "servicePort": 80, "weight": 90], ["serviceName": "app-canary", "servicePort": 80, "weight": 10]],
            ]]],
        ]),
        ("kuma.io", "v1alpha1", "trafficroutes", false, [
            "apiVersion": "kuma.io/v1alpha1", "kind": "TrafficRoute", "metadata": meta("kuma-route"), "mesh": "default",
            "spec": [
                "sources": [["match": ["kuma.io/service": "*"]]], "destinations": [["match": ["kuma.io/service": "app_smoke_svc_80"]]],
                "conf": ["split": [["weight": 90, "destination": ["kuma.io/service": "app-primary_smoke_svc_80"]], ["weight": 10, "destination": ["kuma.io/service": "app-canary_smoke_svc_80"]]]],
            ],
        ]),
        ("getambassador.io", "v2", "mappings", true, [
            "apiVersion": "getambassador.io/v2", "kind": "Mapping", "metadata": meta("app-canary"),
            "spec": ["prefix": "/app/", "service": "app-canary.smoke:80", "weight": 10],
        ]),
        ("serving.knative.dev", "v1", "services", true, [
            "apiVersion": "serving.knative.dev/v1", "kind": "Service", "metadata": meta("knative-app"),
            "spec": [
                "template": ["spec": ["containers": [["image": "ghcr.io/example/app:1.0.0", "ports": [["containerPort": 8080]]]]]],
                "traffic": [["latestRevision": true, "percent": 90], ["revisionName": "knative-app-00001", "percent": 10]],
            ],
        ]),
        ("keda.sh", "v1alpha1", "scaledobjects", true, [
            "apiVersion": "keda.sh/v1alpha1", "kind": "ScaledObject", "metadata": meta("app"),
            "spec": ["scaleTargetRef": ["name": "app"], "minReplicaCount": 1, "maxReplicaCount": 10, "triggers": [["type": "cpu", "metricType": "Utilization", "metadata": ["value": "50"]]]],
        ]),
    ]
}
