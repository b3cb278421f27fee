import KubeCore

/// Structural defaulting from a CRD version's openAPIV3Schema: `default`s of absent
/// properties, recursively through objects and array items.
public enum CRDDefaulting {
    public static func apply(schema: JSONValue, to obj: inout JSONValue) {
        guard schema.objectValue != nil else { return }
        var body = obj
        // metadata, apiVersion and kind are the server's; default only the rest.
        let meta = body["metadata"]
        body = defaulted(body, schema)
        body["metadata"] = meta
        obj = body
    }

    /// `value` with the defaults of `schema` applied below it.
    public static func defaulted(_ value: JSONValue, schema: JSONValue) -> JSONValue { defaulted(value, schema) }

    static func defaulted(_ value: JSONValue, _ schema: JSONValue) -> JSONValue {
        switch value {
        case .object(var o):
            if let props = schema["properties"].objectValue {
                for (k, s) in props {
                    if o[k] == nil, !s["default"].isNull { o[k] = s["default"] }
                    if let v = o[k] { o[k] = defaulted(v, s) }
                }
            }
            let additional = schema["additionalProperties"]
            if additional.objectValue != nil {
                let known = Set(schema["properties"].objectValue?.keys.map { $0 } ?? [])
                for (k, v) in o where !known.contains(k) { o[k] = defaulted(v, additional) }
            }
            return .object(o)
        case .array(let a):
            let items = schema["items"]
            guard items.objectValue != nil else { return value }
            return .array(a.map { defaulted($0, items) })
        default:
            return value
        }
    }
}
