import Analysis
import KubeCore
import KubeSchema

/// A kind Serin serves, as its CRD in crds/ declares it (read from ServedCRDs, which
/// hack/gen-crd-sources writes from crds/).
struct ServedSchema: Sendable {
    var kind: String
    var plural: String
    var namespaced: Bool
    /// The served version's `openAPIV3Schema`.
    var schema: JSONValue

    /// Every served kind, parsed once.
    static let byKind: [String: ServedSchema] = {
        var out: [String: ServedSchema] = [:]
        for file in ServedCRDs.files {
            guard let docs = try? JSONValue.documents(yaml: file.yaml) else { continue }
            for crd in docs where crd["kind"].stringValue == "CustomResourceDefinition" {
                let spec = crd["spec"]
                guard let kind = spec["names"]["kind"].stringValue else { continue }
                let versions = spec["versions"].arrayValue ?? []
                let served = versions.first { $0["served"].boolValue == true && $0["name"].stringValue == "v1alpha1" }
                    ?? versions.first { $0["served"].boolValue == true }
                guard let version = served else { continue }
                out[kind] = ServedSchema(kind: kind, plural: spec["names"]["plural"].stringValue ?? "",
                                         namespaced: spec["scope"].stringValue != "Cluster",
                                         schema: version["schema"]["openAPIV3Schema"])
            }
        }
        return out
    }()

    /// The schema at a field path (`spec.steps[0]`), nil when the schema does not declare it.
    func schema(at path: String) -> JSONValue? {
        var s = schema
        for part in Self.components(path) {
            if part == "[]" {
                s = s["items"]
            } else if let p = s["properties"][part].objectValue {
                s = .object(p)
            } else if s["additionalProperties"].objectValue != nil {
                s = s["additionalProperties"]
            } else {
                return nil
            }
            if s.objectValue == nil { return nil }
        }
        return s
    }

    /// `spec.steps[0].x` → `spec`, `steps`, `[]`, `x`.
    static func components(_ path: String) -> [String] {
        var out: [String] = []
        for piece in path.split(separator: ".", omittingEmptySubsequences: true) {
            var name = Substring(piece)
            var indexes = 0
            while name.hasSuffix("]"), let open = name.lastIndex(of: "[") {
                name = name[..<open]
                indexes += 1
            }
            if !name.isEmpty { out.append(String(name)) }
            out += Array(repeating: "[]", count: indexes)
        }
        return out
    }

    /// `spec.steps[0].stepz` → (`spec.steps[0]`, `stepz`).
    static func split(_ path: String) -> (parent: String, field: String) {
        guard let dot = path.lastIndex(of: ".") else { return ("", path) }
        return (String(path[..<dot]), String(path[path.index(after: dot)...]))
    }
}

extension DocumentCheck {
    /// The API server's verdict on the object, as `kubectl apply` (strict field validation) gets
    /// it: every field the schema does not declare, then every schema error (after defaulting),
    /// then the CRD's CEL rules. Returns the paths reported, so the operator's checks that
    /// follow do not say the same thing twice.
    mutating func serverVerdict(_ served: ServedSchema) -> [String] {
        var paths: [String] = []
        for path in CRDPruning.unknownFields(schema: served.schema, object: doc.json) {
            add(path, "unknown field \"\(path)\"", Self.unknownFieldFix(path, served: served))
            paths.append(path)
        }
        var defaulted = doc.json
        CRDDefaulting.apply(schema: served.schema, to: &defaulted)
        var causes = CRDValidation.causes(schema: served.schema, object: defaulted)
        // CEL WIRE-IN: the CRDs' x-kubernetes-validations rules, the one call site for them. When
        // KubeSchema has CEL, replace `[]` with
        // `CELValidation.causes(schema: served.schema, object: defaulted, old: nil)`; its causes
        // are reported like the structural ones below.
        let celCauses: [APIStatus.Cause] = []
        causes += celCauses
        for cause in causes {
            let path = cause.field == "<root>" ? "" : cause.field
            add(path, cause.message, "change \(path.isEmpty ? "the object" : path) to what the \(served.kind) schema allows "
                + "(kubectl explain \(served.kind.lowercased())\(path.isEmpty ? "" : "." + Self.explainPath(path)))")
            paths.append(path)
        }
        return paths
    }

    /// `did you mean steps?` when a declared field of the same object is close; else how to
    /// find the fields there are.
    static func unknownFieldFix(_ path: String, served: ServedSchema) -> String {
        let (parent, field) = ServedSchema.split(path)
        let known = Set((served.schema(at: parent)?["properties"].objectValue ?? [:]).keys)
        if let near = ConditionExpression.closest(field, in: known) {
            return "did you mean \(near)?"
        }
        let explain = parent.isEmpty ? served.kind.lowercased() : "\(served.kind.lowercased()).\(explainPath(parent))"
        return "remove it: the API server refuses fields its schema does not declare (kubectl explain \(explain) lists them)"
    }

    /// `spec.steps[0].pause` → `spec.steps.pause` (kubectl explain has no indexes).
    static func explainPath(_ path: String) -> String {
        ServedSchema.components(path).filter { $0 != "[]" }.joined(separator: ".")
    }
}
