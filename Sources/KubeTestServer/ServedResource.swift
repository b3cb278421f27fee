import KubeCore

/// Where a scale subresource reads and writes replicas (paths as field lists).
struct ScalePaths: Sendable, Hashable {
    var specReplicas: [String]
    var statusReplicas: [String]
    var labelSelector: [String]?
}

/// One `additionalPrinterColumns` entry of a CRD version (or a built-in column).
struct PrinterColumn: Sendable, Hashable {
    var name: String
    var type: String
    var jsonPath: String
    var description: String = ""
    var priority: Int = 0
    var format: String = ""
}

/// A resource the server serves at one group/version, with what discovery and the
/// handlers need to know about it.
struct ServedResource: Sendable {
    var type: ResourceType
    var singular: String
    var shortNames: [String] = []
    var categories: [String] = []
    var hasStatus: Bool = false
    var scale: ScalePaths? = nil
    var printerColumns: [PrinterColumn] = []
    /// openAPIV3Schema of a CRD version (structural defaulting); null for built-ins.
    var schema: JSONValue = .null
    var isCustom: Bool = false

    /// Objects of all versions of one group/resource share storage; events.k8s.io Events are
    /// the core Events seen through another schema, as in kube-apiserver.
    var storageKey: String { isEventsV1 ? "/events" : "\(type.group)/\(type.plural)" }
    var isEventsV1: Bool { type.group == "events.k8s.io" && type.plural == "events" }
    /// `deployments.apps`, or `pods` for the core group: how kube-apiserver names it in messages.
    var groupResource: String { type.group.isEmpty ? type.plural : "\(type.plural).\(type.group)" }
    /// `Deployment.apps`, or `Pod` for the core group.
    var groupKind: String { type.group.isEmpty ? type.kind : "\(type.kind).\(type.group)" }

    static let allVerbs = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]
}

extension ServedResource {
    static let builtins: [ServedResource] = [
        ServedResource(type: .namespaces, singular: "namespace", shortNames: ["ns"], hasStatus: true),
        ServedResource(type: .pods, singular: "pod", shortNames: ["po"], categories: ["all"], hasStatus: true),
        ServedResource(type: .services, singular: "service", shortNames: ["svc"], categories: ["all"], hasStatus: true),
        ServedResource(type: .configMaps, singular: "configmap", shortNames: ["cm"]),
        ServedResource(type: .secrets, singular: "secret"),
        ServedResource(type: .events, singular: "event", shortNames: ["ev"]),
        ServedResource(type: .eventsV1, singular: "event", shortNames: ["ev"]),
        ServedResource(
            type: .deployments, singular: "deployment", shortNames: ["deploy"], categories: ["all"], hasStatus: true,
            scale: ScalePaths(specReplicas: ["spec", "replicas"], statusReplicas: ["status", "replicas"], labelSelector: nil)),
        ServedResource(
            type: .replicaSets, singular: "replicaset", shortNames: ["rs"], categories: ["all"], hasStatus: true,
            scale: ScalePaths(specReplicas: ["spec", "replicas"], statusReplicas: ["status", "replicas"], labelSelector: nil)),
        ServedResource(type: .daemonSets, singular: "daemonset", shortNames: ["ds"], categories: ["all"], hasStatus: true),
        ServedResource(
            type: .statefulSets, singular: "statefulset", shortNames: ["sts"], categories: ["all"], hasStatus: true,
            scale: ScalePaths(specReplicas: ["spec", "replicas"], statusReplicas: ["status", "replicas"], labelSelector: nil)),
        ServedResource(
            type: .horizontalPodAutoscalers, singular: "horizontalpodautoscaler", shortNames: ["hpa"], categories: ["all"],
            hasStatus: true),
        ServedResource(type: .leases, singular: "lease"),
        // The job analysis provider's Jobs: stored with their status; a test plays the Job controller.
        ServedResource(type: .jobs, singular: "job", categories: ["all"], hasStatus: true),
        ServedResource(type: .ingresses, singular: "ingress", shortNames: ["ing"], hasStatus: true),
        ServedResource(
            type: .customResourceDefinitions, singular: "customresourcedefinition", shortNames: ["crd", "crds"],
            categories: ["api-extensions"], hasStatus: true),
        // Served so `kubectl apply -k manifests/` can install Serin for real; stored, not enforced.
        ServedResource(type: ResourceType(group: "", version: "v1", plural: "serviceaccounts", kind: "ServiceAccount"),
                       singular: "serviceaccount", shortNames: ["sa"]),
        ServedResource(type: ResourceType(group: "rbac.authorization.k8s.io", version: "v1", plural: "clusterroles",
                                          kind: "ClusterRole", namespaced: false), singular: "clusterrole"),
        ServedResource(type: ResourceType(group: "rbac.authorization.k8s.io", version: "v1", plural: "clusterrolebindings",
                                          kind: "ClusterRoleBinding", namespaced: false), singular: "clusterrolebinding"),
        ServedResource(type: ResourceType(group: "rbac.authorization.k8s.io", version: "v1", plural: "roles", kind: "Role"),
                       singular: "role"),
        ServedResource(type: ResourceType(group: "rbac.authorization.k8s.io", version: "v1", plural: "rolebindings",
                                          kind: "RoleBinding"), singular: "rolebinding"),
        ServedResource(type: ResourceType(group: "policy", version: "v1", plural: "poddisruptionbudgets",
                                          kind: "PodDisruptionBudget"), singular: "poddisruptionbudget", shortNames: ["pdb"],
                       hasStatus: true),
    ]
}
