import KubeCore
import KubeTestServer
import Testing

/// One PolicyRule of a (Cluster)Role.
struct RBACRule: Sendable, Hashable {
    var apiGroups: [String]
    var resources: [String]
    var verbs: [String]
    var resourceNames: [String]

    init(_ json: JSONValue) {
        func list(_ k: String) -> [String] { (json[k].arrayValue ?? []).compactMap(\.stringValue) }
        apiGroups = list("apiGroups")
        resources = list("resources")
        verbs = list("verbs")
        resourceNames = list("resourceNames")
    }

    /// As the RBAC authorizer matches: `*` wildcards, `resource/subresource`, names ignored
    /// (a rule restricted by name never covers list or watch).
    func allows(group: String, resource: String, verb: String) -> Bool {
        (apiGroups.contains("*") || apiGroups.contains(group))
            && (resources.contains("*") || resources.contains(resource))
            && (verbs.contains("*") || verbs.contains(verb))
            && (resourceNames.isEmpty || !["list", "watch", "create", "deletecollection"].contains(verb))
    }

    /// Every (group, resource, verb) this rule grants.
    var grants: [Grant] {
        apiGroups.flatMap { g in resources.flatMap { r in verbs.map { Grant(group: g, resource: r, verb: $0) } } }
    }
}

/// A (group, resource[/subresource], verb) triple, with where it is granted.
struct Grant: Sendable, Hashable, CustomStringConvertible {
    var group: String
    var resource: String
    var verb: String
    var description: String { "\(verb) \(group.isEmpty ? "core" : group)/\(resource)" }
}

/// What the operator's ServiceAccount may do, resolved from the manifests' bindings.
struct ServiceAccountPermissions {
    /// Rules that apply in every namespace (ClusterRoleBindings).
    var cluster: [RBACRule] = []
    /// Rules that apply in one namespace (RoleBindings).
    var namespaced: [String: [RBACRule]] = [:]

    init(objects: [JSONValue], serviceAccount: String, namespace: String) throws {
        func bound(_ binding: JSONValue) -> Bool {
            (binding["subjects"].arrayValue ?? []).contains {
                $0["kind"] == "ServiceAccount" && $0["name"].stringValue == serviceAccount && $0["namespace"].stringValue == namespace
            }
        }
        func rules(kind: String, name: String, namespace: String?) throws -> [RBACRule] {
            let defined = objects.first { $0["kind"].stringValue == kind && $0.name == name && (namespace == nil || $0.namespace == namespace) }
            let role = try #require(defined, "binding refers to \(kind) \(name), which the manifests do not define")
            return (role["rules"].arrayValue ?? []).map(RBACRule.init)
        }
        for b in objects where b["kind"] == "ClusterRoleBinding" && bound(b) {
            cluster += try rules(kind: "ClusterRole", name: b[path: ["roleRef", "name"]].stringValue ?? "", namespace: nil)
        }
        for b in objects where b["kind"] == "RoleBinding" && bound(b) {
            let ns = b.namespace ?? ""
            let kind = b[path: ["roleRef", "kind"]].stringValue ?? ""
            namespaced[ns, default: []] += try rules(kind: kind, name: b[path: ["roleRef", "name"]].stringValue ?? "",
                                                     namespace: kind == "Role" ? ns : nil)
        }
    }

    func allows(_ r: AuditedRequest) -> Bool {
        if cluster.contains(where: { $0.allows(group: r.group, resource: r.rbacResource, verb: r.verb) }) { return true }
        guard let ns = r.namespace else { return false }
        return (namespaced[ns] ?? []).contains { $0.allows(group: r.group, resource: r.rbacResource, verb: r.verb) }
    }

    var grants: Set<Grant> {
        Set(cluster.flatMap(\.grants) + namespaced.values.flatMap { $0.flatMap(\.grants) })
    }
}
