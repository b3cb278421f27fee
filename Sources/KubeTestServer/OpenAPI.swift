import KubeCore

/// Minimal OpenAPI v3 documents: one PATCH operation per kind, tagged with its
/// group/version/kind and the `fieldValidation` query parameter. That is what kubectl
/// (1.27+) looks for to hand validation to the server instead of failing with
/// "failed to download openapi"; with no strategic-merge content type listed, `kubectl apply`
/// builds its patches from its compiled-in types (built-ins) or as merge patches (CRDs).
struct OpenAPI {
    let core: ServerCore

    func answer(_ segs: [String]) -> JSONValue? {
        guard segs.count >= 2, segs[0] == "openapi", segs[1] == "v3" else { return nil }
        let served = core.store.allServed
        var byGV: [String: [ServedResource]] = [:]
        for r in served { byGV[Self.gvPath(r.type), default: []].append(r) }
        if segs.count == 2 {
            var paths: [String: JSONValue] = [:]
            for (gv, rs) in byGV {
                let hash = String(UInt64(bitPattern: Int64(Self.fingerprint(rs))), radix: 16)
                paths[gv] = ["serverRelativeURL": .string("/openapi/v3/\(gv)?hash=\(hash)")]
            }
            return ["paths": .object(paths)]
        }
        let gv = segs.dropFirst(2).joined(separator: "/")
        guard let rs = byGV[gv] else { return nil }
        var paths: [String: JSONValue] = [:]
        for r in rs {
            let path = r.type.objectPath(namespace: r.type.namespaced ? "{namespace}" : nil, name: "{name}")
            let gvk: JSONValue = ["group": .string(r.type.group), "version": .string(r.type.version), "kind": .string(r.type.kind)]
            let params: JSONValue = [
                ["name": "fieldValidation", "in": "query", "schema": ["type": "string", "uniqueItems": true]],
                ["name": "dryRun", "in": "query", "schema": ["type": "string", "uniqueItems": true]],
                ["name": "fieldManager", "in": "query", "schema": ["type": "string", "uniqueItems": true]],
            ]
            paths[path] = [
                "patch": [
                    "operationId": .string("patch\(r.type.kind)"),
                    "x-kubernetes-action": "patch",
                    "x-kubernetes-group-version-kind": gvk,
                    "parameters": params,
                    "responses": ["200": ["description": "OK"]],
                ],
                "put": [
                    "operationId": .string("replace\(r.type.kind)"),
                    "x-kubernetes-action": "put",
                    "x-kubernetes-group-version-kind": gvk,
                    "parameters": params,
                    "responses": ["200": ["description": "OK"]],
                ],
            ]
        }
        return [
            "openapi": "3.0.0",
            "info": ["title": "Kubernetes", "version": "v1.32.0"],
            "paths": .object(paths),
            "components": ["schemas": [:]],
        ]
    }

    static func gvPath(_ t: ResourceType) -> String { t.group.isEmpty ? "api/\(t.version)" : "apis/\(t.group)/\(t.version)" }

    static func fingerprint(_ rs: [ServedResource]) -> Int {
        var h = Hasher()
        for r in rs.sorted(by: { $0.type.plural < $1.type.plural }) {
            h.combine(r.type.plural)
            h.combine(r.type.kind)
        }
        return h.finalize()
    }
}
