import KubeCore

/// Structural pruning, as kube-apiserver does for CRDs: fields the openAPIV3Schema does not
/// specify are dropped, unless the schema says `x-kubernetes-preserve-unknown-fields: true`
/// (or uses `additionalProperties`). apiVersion, kind and metadata of the object are kept.
public enum CRDPruning {
    public static func apply(schema: JSONValue, to obj: inout JSONValue) {
        guard schema.objectValue != nil, var o = obj.objectValue else { return }
        let kept = ["apiVersion": o["apiVersion"], "kind": o["kind"], "metadata": o["metadata"]]
        o = pruned(.object(o), schema).objectValue ?? [:]
        for (k, v) in kept { o[k] = v }
        obj = .object(o)
    }

    static func pruned(_ value: JSONValue, _ schema: JSONValue) -> JSONValue {
        if schema["x-kubernetes-int-or-string"].boolValue == true { return value }
        let preserve = schema["x-kubernetes-preserve-unknown-fields"].boolValue == true
        switch value {
        case .object(let o):
            let props = schema["properties"].objectValue
            let additional = schema["additionalProperties"]
            var out: [String: JSONValue] = [:]
            for (k, v) in o {
                if let s = props?[k] {
                    // Nulls of non-nullable fields go too (PruneNonNullableNullsWithoutDefaults;
                    // a default then fills the field in).
                    if v.isNull, s["nullable"].boolValue != true { continue }
                    out[k] = pruned(v, s)
                } else if additional.objectValue != nil {
                    if v.isNull, additional["nullable"].boolValue != true { continue }
                    out[k] = pruned(v, additional)
                } else if additional.boolValue == true || preserve {
                    out[k] = v
                } else if schema["x-kubernetes-embedded-resource"].boolValue == true, ["apiVersion", "kind", "metadata"].contains(k) {
                    out[k] = v
                }
            }
            return .object(out)
        case .array(let a):
            let items = schema["items"]
            guard items.objectValue != nil else { return value }
            return .array(a.map { pruned($0, items) })
        default:
            return value
        }
    }
}

extension CRDPruning {
    /// The paths pruning would drop, in kube-apiserver's notation (`spec.steps[0].stepz`), sorted:
    /// what strict field validation refuses (`unknown field "…"`) and Warn reports.
    public static func unknownFields(schema: JSONValue, object: JSONValue) -> [String] {
        guard schema.objectValue != nil, var o = object.objectValue else { return [] }
        for k in ["apiVersion", "kind", "metadata"] { o[k] = nil }
        var out: [String] = []
        collectUnknown(.object(o), schema, path: "", into: &out)
        return out.sorted()
    }

    static func collectUnknown(_ value: JSONValue, _ schema: JSONValue, path: String, into out: inout [String]) {
        if schema["x-kubernetes-int-or-string"].boolValue == true { return }
        let preserve = schema["x-kubernetes-preserve-unknown-fields"].boolValue == true
        switch value {
        case .object(let o):
            let props = schema["properties"].objectValue
            let additional = schema["additionalProperties"]
            for (k, v) in o {
                let child = path.isEmpty ? k : "\(path).\(k)"
                if let s = props?[k] {
                    collectUnknown(v, s, path: child, into: &out)
                } else if additional.objectValue != nil {
                    collectUnknown(v, additional, path: child, into: &out)
                } else if additional.boolValue == true || preserve {
                    continue
                } else if schema["x-kubernetes-embedded-resource"].boolValue == true, ["apiVersion", "kind", "metadata"].contains(k) {
                    continue
                } else {
                    out.append(child)
                }
            }
        case .array(let a):
            let items = schema["items"]
            guard items.objectValue != nil else { return }
            for (i, v) in a.enumerated() { collectUnknown(v, items, path: "\(path)[\(i)]", into: &out) }
        default:
            return
        }
    }
}
