import Foundation
import KubeCore
import Testing

/// manifests/ (the kustomize base) and crds/: every file parses, the kustomizations list
/// exactly the files present, and the objects refer to each other consistently.
@Suite("Install manifests: parse and refer to each other")
struct ManifestTests {
    static let namespace = "serin-system"

    static func objects() throws -> [JSONValue] { try Repository.manifestObjects() }

    static func deployment() throws -> JSONValue {
        try #require(Repository.object(try objects(), kind: "Deployment", name: "serin"))
    }

    static func container() throws -> JSONValue {
        let containers = try deployment()[path: ["spec", "template", "spec", "containers"]].arrayValue ?? []
        #expect(containers.count == 1)
        return try #require(containers.first)
    }

    /// `--flag=value` (or `--flag value`) of the operator's container args.
    static func flag(_ name: String) throws -> String? {
        let args = (try container()["args"].arrayValue ?? []).compactMap(\.stringValue)
        for (i, a) in args.enumerated() {
            if a.hasPrefix("--\(name)=") { return String(a.dropFirst(name.count + 3)) }
            if a == "--\(name)", i + 1 < args.count { return args[i + 1] }
        }
        return nil
    }

    static func containerPort(named name: String) throws -> Int? {
        (try container()["ports"].arrayValue ?? []).first { $0["name"].stringValue == name }?["containerPort"].intValue
    }

    static func podLabels() throws -> [String: String] {
        (try deployment()[path: ["spec", "template", "metadata", "labels"]].objectValue ?? [:]).compactMapValues(\.stringValue)
    }

    // MARK: - (a) parsing and completeness

    @Test("every manifest and CRD file parses into objects with apiVersion, kind and name")
    func everythingParses() throws {
        var files = try Repository.files(in: "manifests", suffix: ".yaml").map { "manifests/\($0)" }
        files += try Repository.files(in: "manifests/monitoring", suffix: ".yaml").map { "manifests/monitoring/\($0)" }
        files += try Repository.files(in: "crds", suffix: ".yaml").map { "crds/\($0)" }
        #expect(files.count >= 12)
        for file in files {
            let docs = try Repository.documents(file)
            #expect(!docs.isEmpty, "\(file) has no document")
            for d in docs {
                #expect(d["apiVersion"].stringValue?.isEmpty == false, "\(file): a document without apiVersion")
                #expect(d["kind"].stringValue?.isEmpty == false, "\(file): a document without kind")
                if !file.hasSuffix("kustomization.yaml") {
                    #expect(d.name?.isEmpty == false, "\(file): a \(d["kind"]) without metadata.name")
                }
            }
        }
        _ = try Monitoring.dashboard()
    }

    @Test("manifests/kustomization.yaml lists exactly the manifests present, plus the CRDs")
    func baseListsFiles() throws {
        let listed = try Repository.kustomizationResources("manifests")
        #expect(Set(listed).count == listed.count, "duplicates in \(listed)")
        let present = try Repository.files(in: "manifests", suffix: ".yaml").filter { $0 != "kustomization.yaml" }
        let files = listed.filter { !$0.hasPrefix("..") }.sorted()
        #expect(files == present)
        #expect(listed.contains("../crds"))
        let k = try #require(Repository.documents("manifests/kustomization.yaml").first)
        #expect(k["namespace"].stringValue == Self.namespace)
    }

    @Test("crds/kustomization.yaml lists exactly the CRD files present, one CRD each")
    func crdsListFiles() throws {
        let listed = try Repository.kustomizationResources("crds")
        let present = try Repository.files(in: "crds", suffix: ".yaml").filter { $0 != "kustomization.yaml" }
        #expect(listed.sorted() == present)
        for file in present {
            let docs = try Repository.documents("crds/\(file)")
            #expect(docs.count == 1 && docs[0]["kind"] == "CustomResourceDefinition", "crds/\(file)")
            let plural = docs.first?[path: ["spec", "names", "plural"]].stringValue ?? ""
            #expect(file == "\(plural).yaml", "crds/\(file) holds \(plural)")
        }
    }

    // MARK: - (b) references

    @Test("every namespaced object lives in serin-system, which the base creates")
    func namespaces() throws {
        let objects = try Self.objects()
        let ns = try #require(Repository.object(objects, kind: "Namespace"))
        #expect(ns.name == Self.namespace)
        let clusterScoped: Set<String> = ["Namespace", "ClusterRole", "ClusterRoleBinding"]
        for o in objects where !clusterScoped.contains(o["kind"].stringValue ?? "") {
            #expect(o.namespace == Self.namespace, "\(o["kind"]) \(o.name ?? "") is in \(o.namespace ?? "no namespace")")
        }
        for o in objects where clusterScoped.contains(o["kind"].stringValue ?? "") {
            #expect(o.namespace == nil, "\(o["kind"]) \(o.name ?? "") is cluster-scoped")
        }
    }

    @Test("the Deployment runs as the ServiceAccount every binding names, through roles that exist")
    func serviceAccountAndBindings() throws {
        let objects = try Self.objects()
        let sa = try #require(Repository.object(objects, kind: "ServiceAccount"))
        #expect(try Self.deployment()[path: ["spec", "template", "spec", "serviceAccountName"]].stringValue == sa.name)
        let bindings = objects.filter { $0["kind"] == "ClusterRoleBinding" || $0["kind"] == "RoleBinding" }
        #expect(bindings.count == 2)
        for b in bindings {
            let subjects = b["subjects"].arrayValue ?? []
            #expect(subjects.count == 1)
            #expect(subjects.first?["kind"] == "ServiceAccount")
            #expect(subjects.first?["name"].stringValue == sa.name)
            #expect(subjects.first?["namespace"].stringValue == sa.namespace)
            let kind = b[path: ["roleRef", "kind"]].stringValue ?? ""
            let name = b[path: ["roleRef", "name"]].stringValue ?? ""
            #expect(b[path: ["roleRef", "apiGroup"]] == "rbac.authorization.k8s.io")
            let role = objects.first { $0["kind"].stringValue == kind && $0.name == name }
            #expect(role != nil, "\(b["kind"]) \(b.name ?? "") refers to a missing \(kind) \(name)")
            if kind == "Role" { #expect(role?.namespace == b.namespace) }
        }
    }

    @Test("the Deployment's selector, the PDB and the metrics Service all select the operator's pods")
    func selectors() throws {
        let objects = try Self.objects()
        let pods = try Self.podLabels()
        let deploymentSelector = try LabelSelector(json: try Self.deployment()[path: ["spec", "selector"]])
        #expect(!deploymentSelector.isEmpty && deploymentSelector.matches(pods))
        let pdb = try #require(Repository.object(objects, kind: "PodDisruptionBudget"))
        let pdbSelector = try LabelSelector(json: pdb[path: ["spec", "selector"]])
        #expect(!pdbSelector.isEmpty && pdbSelector.matches(pods), "the PDB does not select the operator's pods")
        let replicas = try Self.deployment()[path: ["spec", "replicas"]].intValue ?? 1
        let minAvailable = try #require(pdb[path: ["spec", "minAvailable"]].intValue)
        #expect(minAvailable >= 1 && minAvailable < replicas, "minAvailable \(minAvailable) with \(replicas) replicas blocks every drain")
        let service = try #require(Repository.object(objects, kind: "Service", name: "serin-metrics"))
        let serviceSelector = (service[path: ["spec", "selector"]].objectValue ?? [:]).compactMapValues(\.stringValue)
        #expect(!serviceSelector.isEmpty && LabelSelector(matchLabels: serviceSelector).matches(pods))
    }

    @Test("the metrics Service targets the container's metrics port, which --metrics-address binds, and says so to Prometheus")
    func metricsService() throws {
        let service = try #require(Repository.object(try Self.objects(), kind: "Service", name: "serin-metrics"))
        let metricsPort = try #require(try Self.containerPort(named: "metrics"))
        let address = try #require(try Self.flag("metrics-address"))
        #expect(address.hasSuffix(":\(metricsPort)"), "--metrics-address \(address) vs containerPort \(metricsPort)")
        let ports = service[path: ["spec", "ports"]].arrayValue ?? []
        #expect(ports.count == 1)
        let target = ports.first?["targetPort"]
        #expect(target == "metrics" || target?.intValue == metricsPort, "targetPort \(target ?? .null)")
        let annotations = service[path: ["metadata", "annotations"]]
        #expect(annotations["prometheus.io/scrape"] == "true")
        #expect(annotations["prometheus.io/port"].stringValue == String(ports.first?["port"].intValue ?? -1))
        #expect(annotations["prometheus.io/path"] == "/metrics")
    }

    @Test("liveness /healthz and readiness /readyz probe the port --health-address binds")
    func probes() throws {
        let c = try Self.container()
        let healthPort = try #require(try Self.containerPort(named: "health"))
        let address = try #require(try Self.flag("health-address"))
        #expect(address.hasSuffix(":\(healthPort)"))
        for (probe, path) in [("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")] {
            let get = c[probe]["httpGet"]
            #expect(get["path"].stringValue == path, "\(probe)")
            let port = get["port"]
            #expect(port == "health" || port.intValue == healthPort, "\(probe) port \(port)")
        }
    }

    @Test("two replicas elect a leader; shutdown fits in the grace period")
    func leaderElection() throws {
        #expect(try Self.deployment()[path: ["spec", "replicas"]].intValue == 2)
        #expect(try Self.flag("leader-elect") == "true")
        #expect(try Self.flag("lease-name")?.isEmpty == false)
        let env = (try Self.container()["env"].arrayValue ?? [])
        let identity = env.first { $0["name"] == "POD_NAME" }
        #expect(identity?[path: ["valueFrom", "fieldRef", "fieldPath"]] == "metadata.name", "the lease identity must be the pod name")
        let leaseNamespace = env.first { $0["name"] == "SERIN_LEASE_NAMESPACE" }
        #expect(leaseNamespace?[path: ["valueFrom", "fieldRef", "fieldPath"]] == "metadata.namespace")
        let grace = try #require(Double(try Self.flag("shutdown-grace") ?? ""))
        let period = try Self.deployment()[path: ["spec", "template", "spec", "terminationGracePeriodSeconds"]].intValue ?? 30
        #expect(Double(period) > grace, "terminationGracePeriodSeconds \(period) must exceed --shutdown-grace \(grace)")
        let duration = try #require(Double(try Self.flag("lease-duration") ?? ""))
        let renew = try #require(Double(try Self.flag("renew-deadline") ?? ""))
        let retry = try #require(Double(try Self.flag("retry-period") ?? ""))
        #expect(retry < renew && renew < duration)
        let strategy = try Self.deployment()[path: ["spec", "strategy", "rollingUpdate", "maxUnavailable"]]
        #expect(strategy.intValue == 0, "an upgrade must never take both replicas down")
    }

    @Test("hardened: non-root numeric user, read-only root, no privilege escalation, no capabilities, RuntimeDefault seccomp, requests and limits")
    func hardened() throws {
        let pod = try Self.deployment()[path: ["spec", "template", "spec"]]
        let c = try Self.container()
        let sc = c["securityContext"]
        let podSC = pod["securityContext"]
        #expect(sc["runAsNonRoot"] == true || (podSC["runAsNonRoot"] == true && sc["runAsNonRoot"] != false))
        let uid = sc["runAsUser"].intValue ?? podSC["runAsUser"].intValue
        #expect(uid != nil && uid != 0, "a numeric non-root runAsUser lets runAsNonRoot verify any image")
        #expect(sc["readOnlyRootFilesystem"] == true)
        #expect(sc["allowPrivilegeEscalation"] == false)
        #expect(sc[path: ["capabilities", "drop"]] == ["ALL"])
        #expect(sc[path: ["capabilities", "add"]] == .null)
        let seccomp = sc[path: ["seccompProfile", "type"]].stringValue ?? podSC[path: ["seccompProfile", "type"]].stringValue
        #expect(seccomp == "RuntimeDefault")
        #expect(pod["hostNetwork"] != true && pod["hostPID"] != true && sc["privileged"] != true)
        for kind in ["requests", "limits"] {
            for r in ["cpu", "memory"] {
                #expect(c[path: ["resources", kind, r]].stringValue?.isEmpty == false, "resources.\(kind).\(r) missing")
            }
        }
        #expect(Self.mebibytes(c[path: ["resources", "requests", "memory"]].stringValue) ?? 0
                    <= Self.mebibytes(c[path: ["resources", "limits", "memory"]].stringValue) ?? 0)
        // A read-only root needs somewhere to write temporary files.
        let mounts = (c["volumeMounts"].arrayValue ?? []).compactMap { $0["mountPath"].stringValue }
        #expect(mounts.contains("/tmp"))
    }

    static func mebibytes(_ q: String?) -> Double? {
        guard let q else { return nil }
        for (suffix, factor) in [("Gi", 1024.0), ("Mi", 1.0), ("Ki", 1 / 1024.0)] where q.hasSuffix(suffix) {
            return Double(q.dropLast(2)).map { $0 * factor }
        }
        return Double(q).map { $0 / 1_048_576 }
    }

    @Test("every flag and SERIN_ variable the Deployment sets is one `serin operator` knows")
    func flagsExist() async throws {
        let binary = try #require(OperatorRun.binary, "build the serin executable first (swift build)")
        let help = try await ProcessResult.run(binary, ["operator", "--help"])
        #expect(help.status == 0, "\(help)")
        let args = (try Self.container()["args"].arrayValue ?? []).compactMap(\.stringValue)
        #expect(args.first == "operator")
        for a in args.dropFirst() {
            let flag = String(a.split(separator: "=", maxSplits: 1).first ?? "")
            #expect(help.output.contains("\(flag) "), "\(flag) is not a flag of serin operator:\n\(help.output)")
        }
        for e in try Self.container()["env"].arrayValue ?? [] {
            guard let name = e["name"].stringValue, name.hasPrefix("SERIN_") else { continue }
            let flag = "--" + name.dropFirst(6).lowercased().replacingOccurrences(of: "_", with: "-")
            #expect(help.output.contains("\(flag) "), "\(name) maps to \(flag), not a flag of serin operator")
        }
    }
}
