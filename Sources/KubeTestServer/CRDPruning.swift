import KubeCore

/// Structural pruning, as kube-apiserver does for CRDs: fields the openAPIV3Schema does not
/// specify are dropped, unless the schema says `x-kubernetes-preserve-unknown-fields: true`
/// (or uses `additionalProperties`). apiVersion, kind and metadata of the object are kept.
enum CRDPruning {
    static func apply(schema: JSONValue, to obj: inout JSONValue) {
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
                    out[k] = pruned(v, s)
                } else if additional.objectValue != nil {
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
