import Foundation
import KubeCore

/// The repository root (this file is Tests/FaultToleranceTests/Support/Common.swift).
let repoRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// Seconds since the first call in this process: one time line for every recorder.
enum TestTime {
    static let origin = ContinuousClock.now
    static var now: Double { (ContinuousClock.now - origin).seconds }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

/// A SplitMix64 generator: seeded, so a failing random run can be replayed.
struct SeededRandom: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// The seed from `SERIN_FAULT_SEED` when set, else a fresh one.
    static func seed() -> UInt64 {
        if let s = ProcessInfo.processInfo.environment["SERIN_FAULT_SEED"], let v = UInt64(s) { return v }
        return UInt64.random(in: 1...UInt64.max)
    }
}

/// CRDs and namespaces every fault test needs on a fresh test API server.
enum Install {
    static func crd(_ file: String) throws -> JSONValue {
        let text = try String(contentsOf: repoRoot.appendingPathComponent("crds/\(file)"), encoding: .utf8)
        guard let first = try JSONValue.documents(yaml: text).first else { throw SetupError("crds/\(file) is empty") }
        return first
    }

    /// Stand-ins for the router CRDs (the mesh or gateway installs the real ones).
    static func routerCRD(group: String, version: String, plural: String, kind: String) -> JSONValue {
        let open: JSONValue = ["type": "object", "x-kubernetes-preserve-unknown-fields": true]
        return [
            "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            // Groups under k8s.io need the approval annotation, or kube-apiserver refuses the CRD.
            "metadata": ["name": .string("\(plural).\(group)"),
                         "annotations": ["api-approved.kubernetes.io": "unapproved, test stand-in for the Gateway API CRD"]],
            "spec": [
                "group": .string(group), "scope": "Namespaced",
                "names": ["plural": .string(plural), "singular": .string(kind.lowercased()), "kind": .string(kind),
                          "listKind": .string(kind + "List")],
                "versions": [[
                    "name": .string(version), "served": true, "storage": true, "subresources": ["status": [:]],
                    "schema": ["openAPIV3Schema": ["type": "object", "properties": ["spec": open, "status": open]]],
                ]],
            ],
        ]
    }

    static func all(_ api: any KubeAPI, namespaces: [String]) async throws {
        var files = ["canaries.yaml", "metrictemplates.yaml", "analysistemplates.yaml", "analysisruns.yaml"]
        // Served once the Rollout controller exists (it watches them).
        if FileManager.default.fileExists(atPath: repoRoot.appendingPathComponent("crds/rollouts.yaml").path) { files.append("rollouts.yaml") }
        // The Rollout controller watches the Experiments its steps create; the Experiment controller runs them.
        if FileManager.default.fileExists(atPath: repoRoot.appendingPathComponent("crds/experiments.yaml").path) { files.append("experiments.yaml") }
        var crds = try files.map(crd)
        crds.append(routerCRD(group: "gateway.networking.k8s.io", version: "v1", plural: "httproutes", kind: "HTTPRoute"))
        crds.append(routerCRD(group: "networking.istio.io", version: "v1beta1", plural: "virtualservices", kind: "VirtualService"))
        crds.append(routerCRD(group: "networking.istio.io", version: "v1beta1", plural: "destinationrules", kind: "DestinationRule"))
        for c in crds { _ = try await api.create(.customResourceDefinitions, namespace: nil, c) }
        for ns in ["serin-system"] + namespaces {
            _ = try await api.create(.namespaces, namespace: nil, ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": .string(ns)]])
        }
    }
}

struct SetupError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}
