import KubeCore

/// One node of a CRD's `openAPIV3Schema`, read the way the API server prunes and validates.
struct Schema {
    let node: JSONValue

    init(_ node: JSONValue) { self.node = node }

    var type: String? { node["type"].stringValue }
    var properties: [String: JSONValue] { node["properties"].objectValue ?? [:] }
    var required: [String] { (node["required"].arrayValue ?? []).compactMap(\.stringValue) }
    var enumValues: [JSONValue] { node["enum"].arrayValue ?? [] }
    var items: Schema? { node["items"].objectValue.map { Schema(.object($0)) } }
    var additionalProperties: Schema? { node["additionalProperties"].objectValue.map { Schema(.object($0)) } }
    var preservesUnknownFields: Bool { node["x-kubernetes-preserve-unknown-fields"].boolValue == true }
    var isIntOrString: Bool { node["x-kubernetes-int-or-string"].boolValue == true }
    var minimum: Int64? { node["minimum"].intValue.map(Int64.init) }
    var maximum: Int64? { node["maximum"].intValue.map(Int64.init) }

    /// A key of this object: a declared property, else the map's value schema.
    func child(_ key: String) -> Schema? {
        if let p = properties[key] { return Schema(p) }
        return additionalProperties
    }

    /// Whether a JSON value of `jsonType` (object, array, string, integer, number, boolean) fits here.
    func accepts(_ jsonType: String) -> Bool {
        if isIntOrString { return jsonType == "integer" || jsonType == "string" }
        guard let type else { return preservesUnknownFields }
        // An integer is a valid JSON number; the reverse is not true.
        return type == jsonType || (type == "number" && jsonType == "integer")
    }

    /// Whether an undeclared key survives pruning here.
    var keepsUnknownKeys: Bool { preservesUnknownFields || additionalProperties != nil }
}

extension JSONValue {
    /// The JSON Schema type name of this value.
    var schemaTypeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "boolean"
        case .int: return "integer"
        case .double: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }
}

/// `spec.analysis.metrics[].name`: how paths are shown in failure messages.
func dotted(_ path: [String]) -> String {
    var out = ""
    for p in path {
        if p == "[]" { out += "[]" } else { out += out.isEmpty ? p : ".\(p)" }
    }
    return out.isEmpty ? "(root)" : out
}

/// Checks a JSON value against a schema as the API server would treat what a client writes:
/// every field must be declared (or it is pruned), with the declared type and enum value.
enum SchemaCheck {
    static func problems(_ value: JSONValue, _ schema: Schema, path: [String] = []) -> [String] {
        var out: [String] = []
        walk(value, schema, path, &out)
        return out
    }

    private static func walk(_ value: JSONValue, _ schema: Schema, _ path: [String], _ out: inout [String]) {
        if value == .null { return }
        let t = value.schemaTypeName
        if schema.type != nil || schema.isIntOrString, !schema.accepts(t) {
            out.append("\(dotted(path)): Swift writes a JSON \(t), the CRD schema declares \(schema.isIntOrString ? "int-or-string" : schema.type ?? "?")")
            return
        }
        if !schema.enumValues.isEmpty, !schema.enumValues.contains(value) {
            out.append("\(dotted(path)): Swift writes \(value.serialized()), not among the CRD's enum \(JSONValue.array(schema.enumValues).serialized())")
        }
        switch value {
        case .object(let o):
            for (k, v) in o.sorted(by: { $0.key < $1.key }) {
                if let child = schema.child(k) {
                    walk(v, child, path + [k], &out)
                } else if !schema.preservesUnknownFields {
                    out.append("\(dotted(path + [k])): Swift writes this field but the CRD schema does not declare it (the API server prunes it)")
                }
            }
        case .array(let a):
            guard let items = schema.items else {
                if !schema.preservesUnknownFields { out.append("\(dotted(path)): array without an items schema") }
                return
            }
            for v in a { walk(v, items, path + ["[]"], &out) }
        default:
            break
        }
    }

    /// Required properties missing anywhere in `value` (what the API server would reject).
    static func missingRequired(_ value: JSONValue, _ schema: Schema, path: [String] = []) -> [String] {
        var out: [String] = []
        switch value {
        case .object(let o):
            for r in schema.required where o[r] == nil || o[r] == .null {
                out.append("\(dotted(path + [r])): required by the CRD schema, but Swift may leave it out")
            }
            for (k, v) in o.sorted(by: { $0.key < $1.key }) {
                if let child = schema.child(k) { out += missingRequired(v, child, path: path + [k]) }
            }
        case .array(let a):
            if let items = schema.items { for v in a { out += missingRequired(v, items, path: path + ["[]"]) } }
        default:
            break
        }
        return out
    }

    /// Leaf paths of a document with their values (`[]` for array items).
    static func leaves(_ value: JSONValue, path: [String] = []) -> [(path: [String], value: JSONValue)] {
        switch value {
        case .object(let o) where !o.isEmpty:
            return o.sorted { $0.key < $1.key }.flatMap { leaves($0.value, path: path + [$0.key]) }
        case .array(let a) where !a.isEmpty:
            return a.flatMap { leaves($0, path: path + ["[]"]) }
        default:
            return [(path, value)]
        }
    }
}

/// Documents made from a schema, so the Swift types can be tested against what the API
/// server accepts: every declared property (maximal), only the required ones (minimal), or
/// every object and array but only the required scalars (skeleton: each nested object at its
/// least).
enum SchemaDocument {
    enum Shape { case maximal, minimal, skeleton }

    /// `variant` picks the enum value (`variant % count`), so a few documents cover every value.
    static func make(_ schema: Schema, maximal: Bool, variant: Int = 0) -> JSONValue {
        make(schema, shape: maximal ? .maximal : .minimal, variant: variant)
    }

    static func make(_ schema: Schema, shape: Shape, variant: Int = 0) -> JSONValue {
        if !schema.enumValues.isEmpty { return schema.enumValues[variant % schema.enumValues.count] }
        if schema.isIntOrString { return .int(value(schema)) }
        switch schema.type {
        case "object":
            var o: [String: JSONValue] = [:]
            for (k, p) in schema.properties {
                let child = Schema(p)
                let include: Bool
                switch shape {
                case .maximal: include = true
                case .minimal: include = schema.required.contains(k)
                case .skeleton: include = schema.required.contains(k) || child.type == "object" || child.type == "array"
                }
                if include { o[k] = make(child, shape: shape, variant: variant) }
            }
            if shape != .minimal, schema.properties.isEmpty {
                if let a = schema.additionalProperties {
                    o["key"] = make(a, shape: shape, variant: variant)
                } else if schema.preservesUnknownFields, shape == .maximal {
                    // A field Serin does not model: it must survive a decode and encode.
                    o["userField"] = ["kept": true]
                }
            }
            return .object(o)
        case "array":
            guard shape != .minimal, let items = schema.items else { return [] }
            return [make(items, shape: shape, variant: variant)]
        case "string": return "x"
        case "integer": return .int(value(schema))
        case "number": return .double(1.5)
        case "boolean": return .bool(true)
        default: return schema.preservesUnknownFields ? ["kept": true] : .null
        }
    }

    /// An integer within the schema's bounds.
    static func value(_ schema: Schema) -> Int64 {
        var v: Int64 = 1
        if let m = schema.minimum { v = max(v, m) }
        if let m = schema.maximum { v = min(v, m) }
        return v
    }

    /// The most enum values any node of the schema has (how many variants cover them all).
    static func variants(_ schema: Schema) -> Int {
        var n = max(1, schema.enumValues.count)
        for (_, p) in schema.properties { n = max(n, variants(Schema(p))) }
        if let i = schema.items { n = max(n, variants(i)) }
        if let a = schema.additionalProperties { n = max(n, variants(a)) }
        return n
    }
}
