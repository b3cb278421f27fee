import Foundation
import KubeClient
import KubeCore
import KubeTestServer
import Testing

@testable import KubeRuntime

/// Resident memory of this process in bytes (Linux).
func residentBytes() -> Int {
    guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
    let fields = text.split(separator: " ")
    guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
    return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
}

/// A Deployment shaped like a real one (labels, a pod template, managedFields, last-applied).
func realisticDeployment(_ i: Int) -> JSONValue {
    let name = "app-\(i)"
    let labels: JSONValue = ["app": .string(name), "team": "payments", "tier": "backend"]
    var d: JSONValue = [
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": [
            "name": .string(name), "namespace": "default", "labels": labels,
            "annotations": [
                "deployment.kubernetes.io/revision": "3",
                "kubectl.kubernetes.io/last-applied-configuration": .string(String(repeating: "x", count: 1200)),
            ],
        ],
        "spec": [
            "replicas": 3, "selector": ["matchLabels": ["app": .string(name)]],
            "template": [
                "metadata": ["labels": labels],
                "spec": [
                    "containers": [
                        [
                            "name": "app", "image": .string("ghcr.io/example/app:1.2.\(i % 10)"),
                            "ports": [["containerPort": 8080, "name": "http"]],
                            "env": [["name": "LOG_LEVEL", "value": "info"], ["name": "REGION", "value": "eu-west-1"]],
                            "resources": ["requests": ["cpu": "100m", "memory": "128Mi"], "limits": ["memory": "256Mi"]],
                            "readinessProbe": ["httpGet": ["path": "/readyz", "port": 8080], "periodSeconds": 5],
                        ]
                    ]
                ],
            ],
        ],
    ]
    d[path: ["metadata", "managedFields"]] = .array(
        (0..<3).map { m in
            [
                "manager": .string("kubectl-\(m)"), "operation": "Apply", "apiVersion": "apps/v1",
                "fieldsType": "FieldsV1", "fieldsV1": ["f:spec": ["f:replicas": [:], "f:template": ["f:spec": ["f:containers": [:]]]]],
            ]
        })
    return d
}

@Suite("Informer memory", .timeLimit(.minutes(3)))
struct InformerMemoryTests {
    /// Opt-in (SERIN_MEMORY_TEST=1): resident memory is process-wide, so parallel tests would blur it.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["SERIN_MEMORY_TEST"] == "1"))
    func tenThousandDeploymentsFitTheBudget() async throws {
        let env = try await HTTPEnvironment.start()
        let server = env.server
        for i in 0..<10_000 { _ = try await server.api.create(.deployments, namespace: "default", realisticDeployment(i)) }
        let before = residentBytes()
        // Over HTTP, so the cache holds its own parsed copies (the in-process API would share the server's).
        let informer = Informer(api: env.client, resource: .deployments, options: InformerOptions(pageSize: 500))
        await informer.start()
        #expect(await informer.waitForSync(timeout: .seconds(120)))
        #expect(informer.store.count == 10_000)
        let after = residentBytes()
        let mib = Double(after - before) / 1_048_576
        print("informer cache of 10,000 Deployments: +\(String(format: "%.1f", mib)) MiB resident")
        #expect(mib < 150)
        await informer.stop()
        await env.stop()
    }
}
