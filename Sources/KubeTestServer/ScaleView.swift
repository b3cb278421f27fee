import KubeCore

/// The autoscaling/v1 Scale an object shows through its `/scale` subresource.
enum ScaleView {
    static func make(_ r: ServedResource, _ obj: JSONValue) -> JSONValue {
        let paths = r.scale!
        var meta: JSONValue = [:]
        for k in ["name", "namespace", "uid", "resourceVersion", "creationTimestamp"] { meta[k] = obj["metadata"][k] }
        var status: JSONValue = ["replicas": .int(Int64(obj[path: paths.statusReplicas].intValue ?? 0))]
        if let p = paths.labelSelector {
            if let s = obj[path: p].stringValue { status["selector"] = .string(s) }
        } else if let s = selectorString(obj["spec"]["selector"]) {
            status["selector"] = .string(s)
        }
        return [
            "kind": "Scale", "apiVersion": "autoscaling/v1", "metadata": meta,
            "spec": ["replicas": .int(Int64(obj[path: paths.specReplicas].intValue ?? 0))],
            "status": status,
        ]
    }

    /// A metav1.LabelSelector rendered in the string syntax (`app=x,tier in (a,b)`).
    static func selectorString(_ sel: JSONValue) -> String? {
        guard sel.objectValue != nil else { return nil }
        var parts: [String] = []
        for (k, v) in (sel["matchLabels"].objectValue ?? [:]).sorted(by: { $0.key < $1.key }) {
            parts.append("\(k)=\(v.stringValue ?? "")")
        }
        for e in sel["matchExpressions"].arrayValue ?? [] {
            let key = e["key"].stringValue ?? ""
            let values = (e["values"].arrayValue ?? []).compactMap(\.stringValue).sorted().joined(separator: ",")
            switch e["operator"].stringValue ?? "" {
            case "In": parts.append("\(key) in (\(values))")
            case "NotIn": parts.append("\(key) notin (\(values))")
            case "Exists": parts.append(key)
            case "DoesNotExist": parts.append("!\(key)")
            default: break
            }
        }
        return parts.joined(separator: ",")
    }
}
