import KubeCore

/// Whether the user's own identity may act on a release: a SelfSubjectAccessReview for
/// `patch` on the object (every manual-control verb is an annotation patch). Anything but a
/// clear yes hides the buttons.
struct DashboardAccess: Sendable {
    let api: any KubeAPI
    static let reviews = ResourceType(group: "authorization.k8s.io", version: "v1", plural: "selfsubjectaccessreviews",
                                      kind: "SelfSubjectAccessReview", namespaced: false)

    func mayPatch(_ kind: ResourceKind, namespace: String, name: String) async -> Bool {
        let review: JSONValue = [
            "apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview",
            "spec": ["resourceAttributes": [
                "verb": "patch", "group": .string(kind.resource.group), "resource": .string(kind.resource.plural),
                "namespace": .string(namespace), "name": .string(name),
            ]],
        ]
        guard let answer = try? await api.create(Self.reviews, namespace: nil, review) else { return false }
        return answer["status"]["allowed"].boolValue == true
    }
}
