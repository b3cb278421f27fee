import Foundation
import KubeCore
import KubeTestServer
import SerinAPI
import SerinCLI
import Testing
import SerinTestSupport

/// What a command printed and how it exited.
struct CLIResult: Sendable {
    var code: Int32
    var output: String
    var errors: String
}

/// Runs a `serin` command line in-process (no cluster flags added) and captures its output.
func runCLI(_ arguments: [String]) async -> CLIResult {
    let sink = CLIOutput.buffer()
    let code = await CLIOutput.$current.withValue(sink) { await SerinCLI.run(arguments) }
    return CLIResult(code: code, output: sink.output, errors: sink.errors)
}

/// The repository root (this file is Tests/SerinCLITests/CLITestCluster.swift).
let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

func repoFile(_ path: String) throws -> String {
    try String(contentsOf: repoRoot.appendingPathComponent(path), encoding: .utf8)
}

/// A test API server with Serin's CRDs, a kubeconfig file for it, and helpers to seed objects.
struct CLITestCluster: Sendable {
    let server: TestAPIServer
    let kubeconfig: String
    let directory: String

    enum CRD: Sendable { case canaries, analysisRuns, rollouts }

    static func start(_ crds: [CRD] = [.canaries]) async throws -> CLITestCluster {
        var options = TestAPIServer.Options()
        options.simulateWorkloads = false
        let server = try await TestAPIServer.start(options)
        let dir = NSTemporaryDirectory() + "serin-cli-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let kubeconfig = dir + "/kubeconfig"
        try server.writeKubeconfig(to: kubeconfig)
        let cluster = CLITestCluster(server: server, kubeconfig: kubeconfig, directory: dir)
        for crd in crds { try await cluster.install(crd) }
        for ns in ["microservices", "team-b"] {
            _ = try await server.api.create(.namespaces, namespace: nil, ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": .string(ns)]])
        }
        return cluster
    }

    func stop() async {
        try? await server.stop()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Starts a cluster, runs `body`, always stops it.
    static func with(_ crds: [CRD] = [.canaries], _ body: (CLITestCluster) async throws -> Void) async throws {
        let cluster = try await start(crds)
        do {
            try await body(cluster)
        } catch {
            await cluster.stop()
            throw error
        }
        await cluster.stop()
    }

    func install(_ crd: CRD) async throws {
        let object: JSONValue
        let resource: ResourceType
        switch crd {
        case .canaries:
            object = try #require(JSONValue.documents(yaml: repoFile("crds/canaries.yaml")).first)
            resource = .canaries
        case .analysisRuns:
            object = try #require(JSONValue.documents(yaml: repoFile("crds/analysisruns.yaml")).first)
            resource = .analysisRuns
        case .rollouts:
            // The Rollout CRD of crds/ once it exists; until then a schema-less stand-in (the CLI
            // reads Rollouts as JSON either way).
            if let text = try? repoFile("crds/rollouts.yaml"), let doc = try JSONValue.documents(yaml: text).first {
                object = doc
            } else {
                object = Self.rolloutStandIn
            }
            resource = .rollouts
        }
        _ = try await server.api.create(.customResourceDefinitions, namespace: nil, object)
        let api = server.api
        let served = await eventually { (try? await api.list(resource, namespace: nil)) != nil }
        #expect(served, "\(resource.plural) not served")
    }

    static let rolloutStandIn: JSONValue = [
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": ["name": "rollouts.serin.dev"],
        "spec": [
            "group": "serin.dev", "scope": "Namespaced",
            "names": ["plural": "rollouts", "singular": "rollout", "kind": "Rollout", "shortNames": ["ro"]],
            "versions": [[
                "name": "v1alpha1", "served": true, "storage": true, "subresources": ["status": [:]],
                "schema": ["openAPIV3Schema": ["type": "object", "x-kubernetes-preserve-unknown-fields": true]],
            ]],
        ],
    ]

    /// Runs a command against this cluster (adds `--kubeconfig`).
    func run(_ arguments: [String]) async -> CLIResult {
        await runCLI(arguments + ["--kubeconfig", kubeconfig])
    }

    /// Creates an object from YAML and then, when given, writes its status.
    @discardableResult
    func create(_ resource: ResourceType, yaml: String, namespace: String? = nil, status: JSONValue? = nil) async throws -> JSONValue {
        var object = try JSONValue(yaml: yaml)
        if let namespace { object["metadata"]["namespace"] = .string(namespace) }
        let ns = object["metadata"]["namespace"].stringValue
        var created = try await server.api.create(resource, namespace: ns, object)
        if let status {
            created["status"] = status
            created = try await server.api.updateStatus(resource, namespace: ns, created)
        }
        return created
    }

    func get(_ resource: ResourceType, _ namespace: String, _ name: String) async throws -> JSONValue {
        try await server.api.get(resource, namespace: namespace, name: name)
    }

    /// Writes a new status (keeps everything else).
    func setStatus(_ resource: ResourceType, _ namespace: String, _ name: String, _ status: JSONValue) async throws {
        var object = try await get(resource, namespace, name)
        object["status"] = status
        _ = try await server.api.updateStatus(resource, namespace: namespace, object)
    }

    /// A core/v1 Event about an object, as the operator's recorder writes it.
    func event(kind: String, name: String, namespace: String, reason: String, message: String, type: String = "Normal",
               at: Date = Date(), count: Int = 1) async throws {
        let stamp = at.formatted(Date.ISO8601FormatStyle())
        let event: JSONValue = [
            "apiVersion": "v1", "kind": "Event",
            "metadata": ["name": .string("\(name).\(UUID().uuidString.prefix(8).lowercased())"), "namespace": .string(namespace)],
            "involvedObject": ["apiVersion": "serin.dev/v1alpha1", "kind": .string(kind), "name": .string(name), "namespace": .string(namespace)],
            "reason": .string(reason), "message": .string(message), "type": .string(type),
            "firstTimestamp": .string(stamp), "lastTimestamp": .string(stamp), "count": .int(Int64(count)),
            "source": ["component": "serin"],
        ]
        _ = try await server.api.create(.events, namespace: namespace, event)
    }
}

/// The seed Canary of examples/ (microservices/user-service-canary).
func seedCanaryYAML() throws -> String { try repoFile("examples/seed-canary.yaml") }
func seedRolloutYAML() throws -> String { try repoFile("examples/seed-rollout-bluegreen.yaml") }

/// A Canary status mid-release: weight 15 (step 3 of 10), one failed check, a failing latency metric;
/// it changed phase 130 s ago and was checked 20 s ago (computed at each use).
var progressingStatus: JSONValue { [
    "phase": "Progressing", "canaryWeight": 15, "failedChecks": 1, "iterations": 0,
    "lastTransitionTime": .string(Date().addingTimeInterval(-130).formatted(Date.ISO8601FormatStyle())),
    "message": "Halted after 1 of 10 failed checks: request-duration 612 > 500",
    "metricResults": [
        ["name": "request-success-rate", "query": "sum(rate(...))", "value": 99.93, "threshold": ">= 99", "verdict": "Pass",
         "message": "99.93 >= 99", "noData": false, "checkedAt": .string(Date().addingTimeInterval(-20).formatted(Date.ISO8601FormatStyle()))],
        ["name": "request-duration", "query": "histogram_quantile(...)", "value": 612, "threshold": "<= 500", "verdict": "Fail",
         "message": "612 > 500", "noData": false, "checkedAt": .string(Date().addingTimeInterval(-20).formatted(Date.ISO8601FormatStyle()))],
    ],
    "conditions": [["type": "Promoted", "status": "Unknown", "reason": "Progressing", "message": "Canary analysis in progress",
                    "lastTransitionTime": .string(Date().addingTimeInterval(-130).formatted(Date.ISO8601FormatStyle()))]],
] }

/// The value of a `Label:   value` line of `serin status`, nil when there is none.
func field(_ output: String, _ label: String) -> String? {
    for line in output.split(separator: "\n") where line.hasPrefix(label + ":") {
        return line.dropFirst(label.count + 1).trimmingCharacters(in: .whitespaces)
    }
    return nil
}

/// The cells of a table line (columns are at least three spaces apart; cells have single spaces).
func columns(_ line: String) -> [String] {
    line.components(separatedBy: "  ").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
}
