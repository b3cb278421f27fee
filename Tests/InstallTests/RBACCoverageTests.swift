import KubeCore
import KubeTestServer
import Testing

/// The operator's RBAC against what the real binary asked of the API server (audited) while
/// it initialized, promoted, rolled back, measured and reverted on deletion.
@Suite("RBAC: the operator's roles against its real requests", .serialized, .timeLimit(.minutes(4)))
struct RBACCoverageTests {
    static func permissions() throws -> ServiceAccountPermissions {
        try ServiceAccountPermissions(objects: Repository.manifestObjects(), serviceAccount: "serin", namespace: "serin-system")
    }

    /// Granted but not seen in the run, each with the reason it is still needed.
    static let unseenButNeeded: [Grant: String] = [
        // Admission (OwnerReferencesPermissionEnforcement) checks this when Serin sets
        // blockOwnerDeletion on the objects a Canary owns; it is never a request of its own.
        Grant(group: "serin.dev", resource: "canaries/finalizers", verb: "update"):
            "owner references with blockOwnerDeletion on the primary Deployment, Services and routes",
        // The job metric provider (AnalysisRunProviderTests drives it against the test API
        // server); the audited run measures with Prometheus only.
        Grant(group: "serin.dev", resource: "analysisruns/finalizers", verb: "update"):
            "owner references with blockOwnerDeletion on the job provider's Jobs",
        // Experiments (ExperimentControllerTests drives them against the test API server); the
        // audited run has none.
        Grant(group: "serin.dev", resource: "experiments", verb: "create"): "a Rollout's experiment step creates its Experiment",
        Grant(group: "serin.dev", resource: "experiments", verb: "patch"): "a Rollout ends its step's Experiment (spec.terminate)",
        Grant(group: "serin.dev", resource: "experiments/status", verb: "update"): "the Experiment controller writes its status",
        Grant(group: "serin.dev", resource: "experiments/finalizers", verb: "update"):
            "owner references with blockOwnerDeletion on an Experiment's ReplicaSets, Services and AnalysisRuns",
        Grant(group: "", resource: "services", verb: "delete"): "an Experiment's template Service is deleted once its pods are gone",
        Grant(group: "batch", resource: "jobs", verb: "create"): "the job metric provider creates a measurement's Job",
        Grant(group: "batch", resource: "jobs", verb: "get"): "the job metric provider reads its Job's conditions",
        Grant(group: "batch", resource: "jobs", verb: "list"): "the job metric provider finds a run's old Jobs to delete",
        Grant(group: "batch", resource: "jobs", verb: "delete"): "the job metric provider deletes a running Job when its run terminates",
        // The keptn metric provider (KeptnCanaryTests drives it against the test API server).
        Grant(group: "metrics.keptn.sh", resource: "keptnmetrics", verb: "get"): "the keptn provider reads a KeptnMetric's value",
        Grant(group: "metrics.keptn.sh", resource: "analyses", verb: "create"): "the keptn provider creates an Analysis",
        Grant(group: "metrics.keptn.sh", resource: "analyses", verb: "get"): "the keptn provider reads its Analysis until Keptn completes it",
        Grant(group: "metrics.keptn.sh", resource: "analyses", verb: "delete"): "the keptn provider deletes its Analysis",
        // DaemonSet Canary targets (DaemonSetCanaryTests drives them); the audited run delivers Deployments.
        Grant(group: "apps", resource: "daemonsets", verb: "get"): "a DaemonSet target's <name>-primary is read before it is written",
        Grant(group: "apps", resource: "daemonsets", verb: "create"): "a DaemonSet target's <name>-primary is created",
        Grant(group: "apps", resource: "daemonsets", verb: "update"): "a DaemonSet target's <name>-primary is updated on promotion",
        Grant(group: "apps", resource: "daemonsets", verb: "patch"): "a DaemonSet target is scaled to zero and back with a nodeSelector patch",
        // A Rollout's StatefulSet workloadRef (StatefulSetRolloutTests); the audited run has none.
        Grant(group: "apps", resource: "statefulsets", verb: "get"): "an aborted StatefulSet update reads its selector to revert a pod",
        Grant(group: "apps", resource: "statefulsets", verb: "patch"): "a StatefulSet's partition (and replicas) are patched step by step",
        // KEDA autoscalerRef (ScaledObjectCanaryTests, with KEDA's CRD); the audited run uses an HPA.
        Grant(group: "keda.sh", resource: "scaledobjects", verb: "get"): "the target's ScaledObject and its <name>-primary copy are read",
        Grant(group: "keda.sh", resource: "scaledobjects", verb: "create"): "the <name>-primary ScaledObject is created",
        Grant(group: "keda.sh", resource: "scaledobjects", verb: "update"): "the <name>-primary ScaledObject is updated",
        Grant(group: "keda.sh", resource: "scaledobjects", verb: "patch"): "the target's ScaledObject is paused at zero while idle (an annotation)",
    ]

    @Test("every request the operator made is allowed by the roles bound to its ServiceAccount")
    func everyRequestAllowed() async throws {
        let record = try await OperatorRun.shared.record()
        let permissions = try Self.permissions()
        #expect(record.requests.count > 50, "too few audited requests (\(record.requests.count)): was the run real?\n\(record.log.suffix(2000))")
        var denied: Set<String> = []
        for r in record.requests where !permissions.allows(r) { denied.insert(r.description) }
        #expect(denied.isEmpty, "requests RBAC would forbid (403 in a cluster):\n  \(denied.sorted().joined(separator: "\n  "))")
    }

    @Test("the roles grant nothing the operator does not use (least privilege)")
    func nothingUnused() async throws {
        let record = try await OperatorRun.shared.record()
        let permissions = try Self.permissions()
        let used = Set(record.requests.map { Grant(group: $0.group, resource: $0.rbacResource, verb: $0.verb) })
        let unused = permissions.grants.subtracting(used).subtracting(Self.unseenButNeeded.keys)
        #expect(unused.isEmpty, "granted but never used in the run:\n  \(unused.map(\.description).sorted().joined(separator: "\n  "))\nused:\n  \(used.map(\.description).sorted().joined(separator: "\n  "))")
        for (grant, why) in Self.unseenButNeeded {
            #expect(permissions.grants.contains(grant), "allowance for \(grant) (\(why)) is stale: the roles no longer grant it")
        }
    }

    @Test("Leases only in the operator's namespace; no wildcards; Secrets never deleted or listed by name")
    func scopedGrants() throws {
        let permissions = try Self.permissions()
        let clusterLeases = permissions.cluster.contains { $0.apiGroups.contains("coordination.k8s.io") }
        #expect(!clusterLeases, "Leases must be granted by a Role in serin-system, not cluster-wide")
        let leaseRole = (permissions.namespaced["serin-system"] ?? []).contains { $0.resources.contains("leases") }
        #expect(leaseRole)
        let all = permissions.cluster + permissions.namespaced.values.flatMap { $0 }
        let wildcard = all.contains { $0.apiGroups.contains("*") || $0.resources.contains("*") || $0.verbs.contains("*") }
        #expect(!wildcard)
        let secretVerbs = Set(all.filter { $0.resources.contains("secrets") }.flatMap(\.verbs))
        #expect(!secretVerbs.contains("delete") && !secretVerbs.contains("deletecollection") && !secretVerbs.contains("patch"),
                "\(secretVerbs.sorted())")
    }

    /// The check itself: a request outside the roles is reported.
    @Test("a request the roles do not grant is reported")
    func checkNotices() throws {
        let permissions = try Self.permissions()
        let forbidden = AuditedRequest(group: "", version: "v1", resource: "pods", subresource: "exec", verb: "create", namespace: "shop")
        #expect(!permissions.allows(forbidden))
        let leaseElsewhere = AuditedRequest(group: "coordination.k8s.io", version: "v1", resource: "leases", verb: "update", namespace: "shop")
        #expect(!permissions.allows(leaseElsewhere))
        let leaseHere = AuditedRequest(group: "coordination.k8s.io", version: "v1", resource: "leases", verb: "update", namespace: "serin-system")
        #expect(permissions.allows(leaseHere))
    }
}
