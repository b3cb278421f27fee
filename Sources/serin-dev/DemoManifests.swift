import Analysis
import Foundation
import KubeCore

/// What the demo applies: Serin's CRDs from `crds/`, a stand-in HTTPRoute CRD (a real cluster
/// gets it from its Gateway API install), the `podinfo` Deployment, two MetricTemplates and
/// the Canary.
enum DemoManifests {
    static let namespace = "test"
    static let target = "podinfo"
    static let port = 9898
    static let imageRepo = "ghcr.io/stefanprodan/podinfo"

    /// Env vars of the pod template that the demo's "kubelet" applies to the app instance.
    static let errorRateEnv = "DEMO_ERROR_RATE"
    static let latencyEnv = "DEMO_LATENCY_MS"

    // MARK: - CRDs

    /// The directory holding Serin's CRDs: `crds/` under the working directory or above the
    /// executable (`.build/debug/serin` → the checkout).
    static func findCRDDirectory(explicit: String?) throws -> String {
        var candidates: [String] = []
        if let explicit { candidates.append(explicit) }
        var dir = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        for _ in 0..<4 {
            candidates.append(dir.appendingPathComponent("crds").path)
            dir.deleteLastPathComponent()
        }
        if let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            var up = URL(fileURLWithPath: exe).deletingLastPathComponent()
            for _ in 0..<5 {
                candidates.append(up.appendingPathComponent("crds").path)
                up.deleteLastPathComponent()
            }
        }
        for c in candidates where FileManager.default.fileExists(atPath: c + "/canaries.yaml") { return c }
        throw DemoFailure("Serin's CRDs (crds/canaries.yaml) not found; run from the checkout or pass --crds DIR")
    }

    static func crds(in directory: String) throws -> [JSONValue] {
        let files = try FileManager.default.contentsOfDirectory(atPath: directory)
            .filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted()
        var out: [JSONValue] = []
        for f in files {
            let text = try String(contentsOfFile: directory + "/" + f, encoding: .utf8)
            out += try JSONValue.documents(yaml: text).filter { $0["kind"] == "CustomResourceDefinition" }
        }
        out.append(httpRouteCRD)
        return out
    }

    /// Gateway API's HTTPRoute, reduced to what the test API server needs to serve it.
    static let httpRouteCRD: JSONValue = [
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        // A group under k8s.io needs the approval annotation, or the API server refuses the CRD.
        "metadata": ["name": "httproutes.gateway.networking.k8s.io",
                     "annotations": ["api-approved.kubernetes.io": "unapproved, demo stand-in for the Gateway API HTTPRoute CRD"]],
        "spec": [
            "group": "gateway.networking.k8s.io", "scope": "Namespaced",
            "names": ["plural": "httproutes", "singular": "httproute", "kind": "HTTPRoute", "listKind": "HTTPRouteList"],
            "versions": [[
                "name": "v1", "served": true, "storage": true, "subresources": ["status": [:]],
                "schema": ["openAPIV3Schema": [
                    "type": "object",
                    "properties": [
                        "spec": ["type": "object", "x-kubernetes-preserve-unknown-fields": true],
                        "status": ["type": "object", "x-kubernetes-preserve-unknown-fields": true],
                    ],
                ]],
            ]],
        ],
    ]

    // MARK: - The application and its Canary

    static func namespaceObject(_ name: String) -> JSONValue {
        ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": .string(name)]]
    }

    static func deployment(tag: String) -> JSONValue {
        let labels: JSONValue = ["app": .string(target)]
        return [
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": ["name": .string(target), "namespace": .string(namespace), "labels": labels],
            "spec": [
                "replicas": 2,
                "selector": ["matchLabels": labels],
                "template": [
                    "metadata": ["labels": labels],
                    "spec": ["containers": [[
                        "name": "podinfod", "image": .string("\(imageRepo):\(tag)"),
                        "ports": [["name": "http", "containerPort": .int(Int64(port))]],
                        "env": [
                            ["name": .string(errorRateEnv), "value": "0"],
                            ["name": .string(latencyEnv), "value": "0"],
                        ],
                    ]]],
                ],
            ],
        ]
    }

    /// The builtin `kubernetes`-provider queries (over the app's own http_requests_total and
    /// http_request_duration_seconds), as MetricTemplates: the Canary's router is gatewayapi,
    /// whose builtins read Envoy's metrics, which this demo has no gateway to produce.
    static func metricTemplates() -> [JSONValue] {
        let k8s = BuiltinQueryOptions.defaults(for: .kubernetes)
        return [(BuiltinMetric.requestSuccessRate, "request-success-rate"), (.requestDuration, "request-duration")].map {
            metric, name in
            [
                "apiVersion": "serin.dev/v1alpha1", "kind": "MetricTemplate",
                "metadata": ["name": .string(name), "namespace": .string(namespace)],
                "spec": ["provider": ["type": "prometheus"], "query": .string(metric.queryTemplate(options: k8s))],
            ]
        }
    }

    static let analysisInterval = 10.0
    static let threshold = 2
    static let maxWeight = 60
    static let stepWeight = 20

    static func canary() -> JSONValue {
        [
            "apiVersion": "serin.dev/v1alpha1", "kind": "Canary",
            "metadata": ["name": .string(target), "namespace": .string(namespace)],
            "spec": [
                "provider": "gatewayapi:v1",
                "targetRef": ["apiVersion": "apps/v1", "kind": "Deployment", "name": .string(target)],
                "progressDeadlineSeconds": 60,
                "service": [
                    "port": .int(Int64(port)), "targetPort": .int(Int64(port)),
                    "gatewayRefs": [["name": "demo-gateway", "namespace": .string(namespace)]],
                    "hosts": ["podinfo.local"],
                ],
                "analysis": [
                    "interval": "10s", "threshold": .int(Int64(threshold)),
                    "maxWeight": .int(Int64(maxWeight)), "stepWeight": .int(Int64(stepWeight)),
                    "metrics": [
                        ["name": "request-success-rate", "interval": "30s", "thresholdRange": ["min": 99],
                         "templateRef": ["name": "request-success-rate"]],
                        ["name": "request-duration", "interval": "30s", "thresholdRange": ["max": 500],
                         "templateRef": ["name": "request-duration"]],
                    ],
                ],
            ],
        ]
    }
}
