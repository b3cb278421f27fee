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
    /// then the CRD's CEL rules.
    mutating func serverVerdict(_ served: ServedSchema) {
        for path in CRDPruning.unknownFields(schema: served.schema, object: doc.json) {
            // The server's words; for a field of Flagger or Argo Rollouts that Serin lacks, the feature too.
            if let feature = OriginalsOnlyFields.feature(at: path) {
                add(path, "unknown field \"\(path)\": \(feature) is not supported by Serin",
                    "remove it; Serin cannot run this feature (the API server refuses the field)")
            } else {
                add(path, "unknown field \"\(path)\"", Self.unknownFieldFix(path, served: served))
            }
        }
        var defaulted = doc.json
        CRDDefaulting.apply(schema: served.schema, to: &defaulted)
        var causes = CRDValidation.causes(schema: served.schema, object: defaulted)
        // The CRDs' x-kubernetes-validations rules, evaluated as the API server evaluates them.
        causes += CELValidation.causes(schema: served.schema, object: defaulted, old: nil)
        for cause in causes {
            let path = cause.field == "<root>" ? "" : cause.field
            add(path, cause.message, "change \(path.isEmpty ? "the object" : path) to what the \(served.kind) schema allows "
                + "(kubectl explain \(served.kind.lowercased())\(path.isEmpty ? "" : "." + Self.explainPath(path)))")
        }
    }

    /// One finding a field: the server's verdict (findings in `verdict`) and the operator's
    /// checks (those after it) can both refuse a field. The operator's words replace the
    /// server's at the same field (they say what Serin needs, e.g. which providers it runs);
    /// an operator finding below a field the server already refused is dropped (it follows
    /// from it, e.g. a decode error under a value of the wrong type). Unknown fields stay.
    mutating func mergeVerdict(verdict: Range<Int>) {
        let server = Array(findings[verdict])
        let own = Array(findings[verdict.upperBound...])
        let ownPaths = Set(own.map(\.path))
        // A CEL rule on an object (`Invalid value: "object": …`) that the operator also checks
        // below it: the operator's finding names the exact field and the fix, so it stands alone.
        func below(_ p: String, _ f: String) -> Bool { p.isEmpty || f.hasPrefix(p + ".") || f.hasPrefix(p + "[") }
        let keptServer = server.filter { finding in
            if finding.message.hasPrefix("unknown field ") { return true }
            if ownPaths.contains(finding.path) { return false }
            let isObjectRule = finding.message.hasPrefix("Invalid value: \"object\"")
            return !(isObjectRule && own.contains { below(finding.path, $0.path) })
        }
        let refused = keptServer.map(\.path)
        let keptOwn = own.filter { f in !refused.contains { p in p != f.path && below(p, f.path) } }
        findings = Array(findings[..<verdict.lowerBound]) + keptServer + keptOwn
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

/// Fields of the originals' manifests that Serin's CRDs do not declare (the CRDs declare every
/// field of the peers' schemas; these come from their plugin docs), with the feature each
/// carries: lint names the feature as unsupported rather than as a typo.
enum OriginalsOnlyFields {
    /// By path with indexes written `[]` (none left: the CRDs declare every field of the peers'
    /// manifests; a plugin field of theirs goes here).
    static let features: [String: String] = [:]

    /// The feature of an unknown field, nil when it is not one of the originals' (a typo).
    /// Any key under a metric's `provider` is a metric provider of Argo Rollouts.
    static func feature(at path: String) -> String? {
        let shape = ServedSchema.components(path).reduce(into: "") { out, part in
            out += part == "[]" ? "[]" : (out.isEmpty ? part : "." + part)
        }
        if let f = features[shape] { return f }
        let parts = shape.split(separator: ".").map(String.init)
        if parts.count == 4, parts[0] == "spec", parts[1] == "metrics[]", parts[2] == "provider" {
            return "provider \(parts[3])"
        }
        return nil
    }
}
