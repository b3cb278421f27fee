import Foundation
import KubeCore
import SerinAPI

/// The objects the bench applies: Serin's CRDs and the router stand-ins from the checkout,
/// namespaces, and per canary a Deployment and a Canary like a user's.
enum BenchManifests {
    static let namespace = "bench"
    static let leaseNamespace = "serin-system"
    static let port = 9898

    static func name(_ i: Int) -> String { "app-\(i)" }

    // MARK: - CRDs

    /// The checkout: a directory with `crds/canaries.yaml`, found from `explicit` (a crds
    /// directory), the working directory or the executable's location, and the parents of each.
    static func checkout(crdDirectory explicit: String?, executable: String) throws -> (crds: String, root: String) {
        if let explicit {
            guard FileManager.default.fileExists(atPath: explicit + "/canaries.yaml") else {
                throw BenchFailure("\(explicit)/canaries.yaml not found (--crds names Serin's crds/ directory)")
            }
            return (explicit, URL(fileURLWithPath: explicit).deletingLastPathComponent().path)
        }
        var starts = [URL(fileURLWithPath: FileManager.default.currentDirectoryPath)]
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? executable
        starts.append(URL(fileURLWithPath: exe).deletingLastPathComponent())
        for start in starts {
            var dir = start
            for _ in 0..<6 {
                if FileManager.default.fileExists(atPath: dir.appendingPathComponent("crds/canaries.yaml").path) {
                    return (dir.appendingPathComponent("crds").path, dir.path)
                }
                dir.deleteLastPathComponent()
            }
        }
        throw BenchFailure("Serin's CRDs (crds/canaries.yaml) not found; run from the checkout or pass --crds DIR")
    }

    /// Serin's CRDs plus the router stand-ins of `hack/dev-crds/` (HTTPRoute for gatewayapi).
    static func crds(directory: String, root: String) throws -> [JSONValue] {
        var files = try FileManager.default.contentsOfDirectory(atPath: directory)
            .filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted().map { directory + "/" + $0 }
        let routers = root + "/hack/dev-crds/routers.yaml"
        guard FileManager.default.fileExists(atPath: routers) else {
            throw BenchFailure("\(routers) not found: the bench needs its HTTPRoute stand-in CRD")
        }
        files.append(routers)
        var out: [JSONValue] = []
        for f in files {
            let text = try String(contentsOfFile: f, encoding: .utf8)
            out += try JSONValue.documents(yaml: text).filter { $0["kind"] == "CustomResourceDefinition" }
        }
        return out
    }

    static func namespaceObject(_ name: String) -> JSONValue {
        ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": .string(name)]]
    }

    // MARK: - Workloads

    /// A Deployment of the shape most services have: one container with ports, resources,
    /// probes and a little environment. `revision` is the image tag (changing it is a release).
    static func deployment(_ i: Int, revision: Int = 1) -> JSONValue {
        let name = name(i)
        let labels: JSONValue = ["app": .string(name)]
        return [
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": ["name": .string(name), "namespace": .string(namespace), "labels": ["app": .string(name), "team": "bench"]],
            "spec": [
                "replicas": 2,
                "selector": ["matchLabels": labels],
                "template": [
                    "metadata": ["labels": labels, "annotations": ["prometheus.io/scrape": "true"]],
                    "spec": ["containers": [[
                        "name": "app", "image": .string("registry.example.com/bench/app:\(revision)"),
                        "ports": [["name": "http", "containerPort": .int(Int64(port)), "protocol": "TCP"]],
                        "env": [["name": "LOG_LEVEL", "value": "info"], ["name": "REVISION", "value": .string("\(revision)")]],
                        "resources": ["requests": ["cpu": "100m", "memory": "64Mi"], "limits": ["memory": "128Mi"]],
                        "readinessProbe": ["httpGet": ["path": "/readyz", "port": .int(Int64(port))], "periodSeconds": 5],
                        "livenessProbe": ["httpGet": ["path": "/healthz", "port": .int(Int64(port))], "periodSeconds": 10],
                    ]]],
                ],
            ],
        ]
    }

    /// A Flagger-shaped Canary over Gateway API with the two builtin checks (request success
    /// rate and duration), each answered by the scripted Prometheus.
    static func canary(_ i: Int, intervalSeconds: Int, stepWeight: Int, maxWeight: Int) -> JSONValue {
        let name = name(i)
        return [
            "apiVersion": "serin.dev/v1alpha1", "kind": "Canary",
            "metadata": ["name": .string(name), "namespace": .string(namespace)],
            "spec": [
                "provider": "gatewayapi:v1",
                "targetRef": ["apiVersion": "apps/v1", "kind": "Deployment", "name": .string(name)],
                "progressDeadlineSeconds": 120,
                "service": [
                    "port": .int(Int64(port)), "targetPort": .int(Int64(port)),
                    "gatewayRefs": [["name": "bench-gateway", "namespace": .string(namespace)]],
                    "hosts": [.string("\(name).bench.local")],
                ],
                "analysis": [
                    "interval": .string("\(intervalSeconds)s"), "threshold": 2,
                    "maxWeight": .int(Int64(maxWeight)), "stepWeight": .int(Int64(stepWeight)),
                    "metrics": [
                        ["name": "request-success-rate", "interval": "1m", "thresholdRange": ["min": 99]],
                        ["name": "request-duration", "interval": "1m", "thresholdRange": ["max": 500]],
                    ],
                ],
            ],
        ]
    }

    /// Metrics per canary in `canary(_:)`.
    static let metricsPerCanary = 2
}
