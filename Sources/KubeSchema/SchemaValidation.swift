import KubeCore

/// The part of OpenAPI v3 schema validation kube-apiserver applies to custom resources that
/// manifests most often trip: type, required, enum, minimum/maximum, minItems/maxItems.
/// Messages follow kube-openapi's wording.
public enum CRDValidation {
    public static func causes(schema: JSONValue, object: JSONValue) -> [APIStatus.Cause] {
        guard schema.objectValue != nil else { return [] }
        var body = object
        body["metadata"] = .null
        body["apiVersion"] = .null
        body["kind"] = .null
        var out: [APIStatus.Cause] = []
        var rootSchema = schema
        // metadata, apiVersion and kind are validated by the server itself.
        if var req = rootSchema["required"].arrayValue {
            req.removeAll { ["metadata", "apiVersion", "kind"].contains($0.stringValue ?? "") }
            rootSchema["required"] = .array(req)
        }
        check(body, rootSchema, path: "", into: &out)
        return out
    }

    static func check(_ value: JSONValue, _ schema: JSONValue, path: String, into out: inout [APIStatus.Cause]) {
        let field = path.isEmpty ? "<root>" : path
        if value.isNull { return }
        if schema["x-kubernetes-int-or-string"].boolValue == true {
            if value.intValue == nil, value.stringValue == nil {
                out.append(invalid(field, value, "\(field) in body must be of type integer,string: \(typeName(value))"))
            }
            return
        }
        if let type = schema["type"].stringValue, !matches(value, type) {
            out.append(invalid(field, value, "\(field) in body must be of type \(type): \"\(typeName(value))\""))
            return
        }
        if let allowed = schema["enum"].arrayValue, !allowed.contains(value) {
            let list = allowed.map { $0.serialized() }.joined(separator: ", ")
            out.append(APIStatus.Cause(type: "FieldValueNotSupported", message: "Unsupported value: \(value.serialized()): supported values: \(list)", field: field))
        }
        if let n = value.doubleValue {
            if let min = schema["minimum"].doubleValue, n < min {
                out.append(invalid(field, value, "\(field) in body should be greater than or equal to \(schema["minimum"].serialized())"))
            }
            if let max = schema["maximum"].doubleValue, n > max {
                out.append(invalid(field, value, "\(field) in body should be less than or equal to \(schema["maximum"].serialized())"))
            }
        }
        switch value {
        case .object(let o):
            for r in schema["required"].arrayValue ?? [] {
                if let k = r.stringValue, o[k] == nil || o[k] == .null {
                    out.append(APIStatus.Cause(type: "FieldValueRequired", message: "Required value", field: join(path, k)))
                }
            }
            let props = schema["properties"].objectValue ?? [:]
            for (k, v) in o {
                if let s = props[k] {
                    check(v, s, path: join(path, k), into: &out)
                } else if schema["additionalProperties"].objectValue != nil {
                    check(v, schema["additionalProperties"], path: join(path, k), into: &out)
                }
            }
        case .array(let a):
            if let min = schema["minItems"].intValue, a.count < min {
                out.append(invalid(field, value, "\(field) in body should have at least \(min) items"))
            }
            if let max = schema["maxItems"].intValue, a.count > max {
                out.append(APIStatus.Cause(type: "FieldValueTooMany", message: "Too many: \(a.count): must have at most \(max) items", field: field))
            }
            let items = schema["items"]
            if items.objectValue != nil {
                for (i, v) in a.enumerated() { check(v, items, path: "\(path)[\(i)]", into: &out) }
            }
        default:
            break
        }
    }

    static func join(_ path: String, _ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    static func matches(_ v: JSONValue, _ type: String) -> Bool {
        switch type {
        case "object": return v.objectValue != nil
        case "array": return v.arrayValue != nil
        case "string": return v.stringValue != nil
        case "boolean": return v.boolValue != nil
        case "integer": return v.intValue != nil
        case "number": return v.doubleValue != nil
        default: return true
        }
    }

    static func typeName(_ v: JSONValue) -> String {
        switch v {
        case .null: return "null"
        case .bool: return "boolean"
        case .int: return "integer"
        case .double: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }

    static func invalid(_ field: String, _ value: JSONValue, _ why: String) -> APIStatus.Cause {
        let shown = value.stringValue.map { "\"\($0)\"" } ?? (value.objectValue != nil || value.arrayValue != nil ? "\"\(typeName(value))\"" : value.serialized())
        return APIStatus.Cause(type: "FieldValueInvalid", message: "Invalid value: \(shown): \(why)", field: field)
    }
}
