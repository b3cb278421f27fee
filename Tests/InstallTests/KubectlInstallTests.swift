import Foundation
import KubeCore
import KubeTestServer
import Testing

/// The real kubectl: `kubectl kustomize` builds the base and the monitoring overlay, and
/// `kubectl apply -k manifests/` installs Serin on the test API server.
@Suite("kubectl kustomize and apply -k manifests/", .serialized, .timeLimit(.minutes(2)))
struct KubectlInstallTests {
    static let kubectl = "/usr/bin/kubectl"

    static func run(_ args: [String], home: String = NSTemporaryDirectory()) async throws -> ProcessResult {
        var env = ProcessInfo.processInfo.environment
        env["HOME"] = home
        env.removeValue(forKey: "KUBECONFIG")
        return try await ProcessResult.run(kubectl, args, environment: env)
    }

    @Test("kubectl kustomize manifests/ builds the base: CRDs, RBAC, Deployment, PDB, Service, all labelled, selectors intact")
    func kustomizeBase() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.kubectl), "kubectl is missing: run hack/setup")
        let r = try await Self.run(["kustomize", Repository.path("manifests")])
        #expect(r.status == 0, "\(r)")
        let built = try JSONValue.documents(yaml: r.output).filter { $0 != .null }
        let kinds = built.compactMap { $0["kind"].stringValue }
        let crdCount = try Repository.kustomizationResources("crds").count
        let crdsBuilt = kinds.filter { $0 == "CustomResourceDefinition" }.count
        #expect(crdsBuilt == crdCount)
        for kind in ["Namespace", "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding",
                     "Deployment", "PodDisruptionBudget", "Service"] {
            #expect(kinds.contains(kind), "no \(kind) in the build")
        }
        #expect(built.count == crdCount + (try Repository.manifestObjects().count))
        for o in built {
            #expect(o.labels["app.kubernetes.io/part-of"] == "serin", "\(o["kind"]) \(o.name ?? "") lacks the part-of label")
        }
        // The labels transformer must not have widened or changed any selector.
        let deployment = try #require(Repository.object(built, kind: "Deployment"))
        let pods = (deployment[path: ["spec", "template", "metadata", "labels"]].objectValue ?? [:]).compactMapValues(\.stringValue)
        let pdb = try #require(Repository.object(built, kind: "PodDisruptionBudget"))
        #expect(try LabelSelector(json: pdb[path: ["spec", "selector"]]).matches(pods))
        let shippedPDB = Repository.object(try Repository.manifestObjects(), kind: "PodDisruptionBudget")
        #expect(pdb[path: ["spec", "selector"]] == shippedPDB?[path: ["spec", "selector"]])
    }

    @Test("kubectl kustomize manifests/monitoring/ builds the ServiceMonitor, PrometheusRule and the dashboard ConfigMap")
    func kustomizeMonitoring() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.kubectl), "kubectl is missing: run hack/setup")
        let r = try await Self.run(["kustomize", Repository.path("manifests/monitoring")])
        #expect(r.status == 0, "\(r)")
        let built = try JSONValue.documents(yaml: r.output).filter { $0 != .null }
        let kinds = Set(built.compactMap { $0["kind"].stringValue })
        #expect(kinds == ["ServiceMonitor", "PrometheusRule", "ConfigMap"])
        let cm = try #require(Repository.object(built, kind: "ConfigMap"))
        #expect(cm.labels["grafana_dashboard"] == "1")
        #expect(cm.namespace == "serin-system")
        let json = try #require(cm[path: ["data", "serin.json"]].stringValue)
        #expect(try JSONValue(parsing: json) == (try Monitoring.dashboard()))
    }

    /// What a newcomer runs: `kubectl apply -k manifests/` (kubectl's default strict field
    /// validation). The test API server refuses what a real one refuses (CRD structure, CEL
    /// rules and their cost budget, unknown fields), so every object created here is one a real
    /// cluster creates, and every CRD must be Established.
    @Test("kubectl apply -k manifests/ creates every object, and every CRD is Established")
    func applyCreatesEverything() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.kubectl), "kubectl is missing: run hack/setup")
        var options = TestAPIServer.Options()
        options.simulateWorkloads = false
        let server = try await TestAPIServer.start(options)
        let dir = NSTemporaryDirectory() + "serin-install-kubectl-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try server.writeKubeconfig(to: dir + "/kubeconfig")
        let base = ["--kubeconfig", dir + "/kubeconfig", "--cache-dir", dir + "/cache", "--request-timeout", "20s"]
        do {
            // kubectl applies the CRDs and the objects in one go: kinds it cannot map yet are
            // retried once the CRDs are Established, as a user would re-run it.
            var r = try await Self.run(base + ["apply", "-k", Repository.path("manifests")], home: dir)
            if r.status != 0, r.output.contains("ensure CRDs are installed first") {
                r = try await Self.run(base + ["apply", "-k", Repository.path("manifests")], home: dir)
            }
            #expect(r.status == 0, "\(r)")
            let built = try JSONValue.documents(yaml: try await Self.run(["kustomize", Repository.path("manifests")]).output).filter { $0 != .null }
            for o in built {
                let kind = o["kind"].stringValue ?? ""
                // kubectl prints `kind.group/name created` (or unchanged on the second pass); the core group has no suffix.
                let group = (o["apiVersion"].stringValue ?? "").split(separator: "/").dropLast().first.map { ".\($0)" } ?? ""
                let object = "\(kind.lowercased())\(group)/\(o.name ?? "")"
                #expect(r.output.contains("\(object) created") || r.output.contains("\(object) unchanged"), "missing \"\(object)\" in:\n\(r)")
            }
            let crds = try await server.api.list(.customResourceDefinitions, namespace: nil).items
            let shipped = built.filter { $0["kind"] == "CustomResourceDefinition" }.compactMap(\.name)
            #expect(!shipped.isEmpty)
            for name in shipped {
                let crd = crds.first { $0.name == name }
                let established = (crd?["status"]["conditions"].arrayValue ?? []).contains {
                    $0["type"] == "Established" && $0["status"] == "True"
                }
                #expect(established, "CRD \(name) is not Established")
            }
            let deployments = try await server.api.list(.deployments, namespace: "serin-system")
            #expect(deployments.items.map(\.name) == ["serin"])
        } catch {
            try? await server.stop()
            throw error
        }
        try await server.stop()
    }
}
