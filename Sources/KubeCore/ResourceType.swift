/// Identity of a served resource: enough to build its REST paths.
public struct ResourceType: Hashable, Sendable, CustomStringConvertible {
    public var group: String
    public var version: String
    /// Lower-case plural, as in the URL (`deployments`).
    public var plural: String
    public var kind: String
    public var namespaced: Bool

    public init(group: String, version: String, plural: String, kind: String, namespaced: Bool = true) {
        self.group = group
        self.version = version
        self.plural = plural
        self.kind = kind
        self.namespaced = namespaced
    }

    /// `v1` for the core group, `group/version` otherwise.
    public var apiVersion: String { group.isEmpty ? version : "\(group)/\(version)" }

    /// `/api/v1` or `/apis/group/version`.
    public var groupVersionPath: String { group.isEmpty ? "/api/\(version)" : "/apis/\(group)/\(version)" }

    /// Collection path; `namespace` is ignored for cluster-scoped resources and nil means all namespaces.
    public func collectionPath(namespace: String?) -> String {
        if namespaced, let ns = namespace { return "\(groupVersionPath)/namespaces/\(ns)/\(plural)" }
        return "\(groupVersionPath)/\(plural)"
    }

    public func objectPath(namespace: String?, name: String, subresource: String? = nil) -> String {
        let base = "\(collectionPath(namespace: namespace))/\(name)"
        return subresource.map { "\(base)/\($0)" } ?? base
    }

    public var description: String { group.isEmpty ? plural : "\(plural).\(group)" }
}

extension ResourceType {
    public static let namespaces = ResourceType(group: "", version: "v1", plural: "namespaces", kind: "Namespace", namespaced: false)
    public static let pods = ResourceType(group: "", version: "v1", plural: "pods", kind: "Pod")
    public static let services = ResourceType(group: "", version: "v1", plural: "services", kind: "Service")
    public static let configMaps = ResourceType(group: "", version: "v1", plural: "configmaps", kind: "ConfigMap")
    public static let secrets = ResourceType(group: "", version: "v1", plural: "secrets", kind: "Secret")
    public static let events = ResourceType(group: "", version: "v1", plural: "events", kind: "Event")
    public static let eventsV1 = ResourceType(group: "events.k8s.io", version: "v1", plural: "events", kind: "Event")
    public static let deployments = ResourceType(group: "apps", version: "v1", plural: "deployments", kind: "Deployment")
    public static let replicaSets = ResourceType(group: "apps", version: "v1", plural: "replicasets", kind: "ReplicaSet")
    public static let daemonSets = ResourceType(group: "apps", version: "v1", plural: "daemonsets", kind: "DaemonSet")
    public static let statefulSets = ResourceType(group: "apps", version: "v1", plural: "statefulsets", kind: "StatefulSet")
    public static let jobs = ResourceType(group: "batch", version: "v1", plural: "jobs", kind: "Job")
    public static let horizontalPodAutoscalers = ResourceType(
        group: "autoscaling", version: "v2", plural: "horizontalpodautoscalers", kind: "HorizontalPodAutoscaler")
    public static let leases = ResourceType(group: "coordination.k8s.io", version: "v1", plural: "leases", kind: "Lease")
    public static let ingresses = ResourceType(group: "networking.k8s.io", version: "v1", plural: "ingresses", kind: "Ingress")
    public static let customResourceDefinitions = ResourceType(
        group: "apiextensions.k8s.io", version: "v1", plural: "customresourcedefinitions",
        kind: "CustomResourceDefinition", namespaced: false)
}
