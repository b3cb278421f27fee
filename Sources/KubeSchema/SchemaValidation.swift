import KubeCore
import Synchronization

/// OpenAPI v3 schema validation of custom resources as kube-apiserver applies it (kube-openapi's
/// `validate` package, its errors turned into field errors by apiextensions-apiserver's
/// `kubeOpenAPIResultToFieldErrors`, plus the list-type checks of `schema/listtype`): type and
/// nullable, int-or-string, enum, required, minimum/maximum (exclusive too), multipleOf,
/// minLength/maxLength (characters), pattern, the formats apiextensions validates,
/// minItems/maxItems, minProperties/maxProperties, allOf/anyOf/oneOf/not, and
/// `x-kubernetes-list-type: set|map` uniqueness. Messages follow kube-openapi's wording.
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

    /// The causes of one value against a (sub)schema, paths relative to the value (`<root>`
    /// for the value itself): what default validation of a CRD needs.
    public static func valueCauses(_ value: JSONValue, schema: JSONValue) -> [APIStatus.Cause] {
        var out: [APIStatus.Cause] = []
        check(value, schema, path: "", into: &out)
        return out
    }

    static func check(_ value: JSONValue, _ schema: JSONValue, path: String, into out: inout [APIStatus.Cause]) {
        let field = path.isEmpty ? "<root>" : path
        if value.isNull {
            // Nulls of non-nullable object fields are pruned before validation; what is left
            // (list items, typed roots) must be allowed by `nullable`.
            if schema["nullable"].boolValue != true, let type = schema["type"].stringValue, !type.isEmpty {
                out.append(typeInvalid(field, .string("null"), "\(field) in body must be of type \(type): \"null\""))
            }
            return
        }
        if schema["x-kubernetes-int-or-string"].boolValue == true {
            if value.intValue == nil, value.stringValue == nil {
                out.append(typeInvalid(field, .string(typeName(value)), "\(field) in body must be of type integer,string: \"\(typeName(value))\""))
                return
            }
        } else if let type = schema["type"].stringValue, !matches(value, type) {
            // kube-openapi's type validator carries the JSON type name as the value.
            out.append(typeInvalid(field, .string(typeName(value)), "\(field) in body must be of type \(type): \"\(typeName(value))\""))
            return
        }
        composition(value, schema, path: path, field: field, into: &out)
        if let s = value.stringValue { string(s, schema, field: field, into: &out) }
        if let allowed = schema["enum"].arrayValue, !allowed.contains(value) {
            let list = allowed.map { "\"" + ($0.stringValue ?? $0.serialized()).goEscaped + "\"" }.joined(separator: ", ")
            out.append(APIStatus.Cause(type: "FieldValueNotSupported", message: "Unsupported value: \(shown(value)): supported values: \(list)", field: field))
        }
        if value.stringValue == nil, value.boolValue == nil, let n = value.doubleValue { number(n, value, schema, field: field, into: &out) }
        switch value {
        case .object(let o):
            object(o, value, schema, path: path, field: field, into: &out)
        case .array(let a):
            array(a, value, schema, path: path, field: field, into: &out)
        default:
            break
        }
    }

    // MARK: strings, numbers, objects, arrays

    static func string(_ s: String, _ schema: JSONValue, field: String, into out: inout [APIStatus.Cause]) {
        let length = s.unicodeScalars.count
        if let max = schema["maxLength"].intValue, length > max {
            out.append(APIStatus.Cause(type: "FieldValueTooLong", message: "Too long: may not be more than \(max) \(max == 1 ? "byte" : "bytes")", field: field))
        }
        if let min = schema["minLength"].intValue, length < min {
            out.append(invalid(field, .string(s), "\(field) in body should be at least \(min) chars long"))
        }
        if let pattern = schema["pattern"].stringValue, let matched = PatternCache.matches(pattern, s), !matched {
            out.append(invalid(field, .string(s), "\(field) in body should match '\(pattern)'"))
        }
        if let format = schema["format"].stringValue, !Formats.valid(format, s) {
            out.append(typeInvalid(field, .string(s), "\(field) in body must be of type \(format): \"\(s.goEscaped)\""))
        }
    }

    static func number(_ n: Double, _ value: JSONValue, _ schema: JSONValue, field: String, into out: inout [APIStatus.Cause]) {
        if let m = schema["multipleOf"].doubleValue, m > 0 {
            let q = n / m
            if q != q.rounded() {
                out.append(invalid(field, value, "\(field) in body should be a multiple of \(schema["multipleOf"].serialized())"))
            }
        }
        if let max = schema["maximum"].doubleValue {
            if schema["exclusiveMaximum"].boolValue == true {
                if n >= max { out.append(invalid(field, value, "\(field) in body should be less than \(schema["maximum"].serialized())")) }
            } else if n > max {
                out.append(invalid(field, value, "\(field) in body should be less than or equal to \(schema["maximum"].serialized())"))
            }
        }
        if let min = schema["minimum"].doubleValue {
            if schema["exclusiveMinimum"].boolValue == true {
                if n <= min { out.append(invalid(field, value, "\(field) in body should be greater than \(schema["minimum"].serialized())")) }
            } else if n < min {
                out.append(invalid(field, value, "\(field) in body should be greater than or equal to \(schema["minimum"].serialized())"))
            }
        }
    }

    static func object(
        _ o: [String: JSONValue], _ value: JSONValue, _ schema: JSONValue, path: String, field: String, into out: inout [APIStatus.Cause]
    ) {
        // kube-openapi's object validator stops at a property-count failure; TooFewProperties
        // carries the minimum as its value.
        if let min = schema["minProperties"].intValue, o.count < min {
            out.append(invalid(field, .int(Int64(min)), "\(field) in body should have at least \(min) properties"))
            return
        }
        if let max = schema["maxProperties"].intValue, o.count > max {
            out.append(APIStatus.Cause(type: "FieldValueTooMany", message: "Too many: \(o.count): must have at most \(max) items", field: field))
            return
        }
        for r in schema["required"].arrayValue ?? [] {
            if let k = r.stringValue, o[k] == nil || o[k] == .null {
                out.append(APIStatus.Cause(type: "FieldValueRequired", message: "Required value", field: join(path, k)))
            }
        }
        let props = schema["properties"].objectValue ?? [:]
        for k in o.keys.sorted() {
            let v = o[k]!
            if let s = props[k] {
                check(v, s, path: join(path, k), into: &out)
            } else if schema["additionalProperties"].objectValue != nil {
                check(v, schema["additionalProperties"], path: join(path, k), into: &out)
            }
        }
    }

    static func array(
        _ a: [JSONValue], _ value: JSONValue, _ schema: JSONValue, path: String, field: String, into out: inout [APIStatus.Cause]
    ) {
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
        switch schema["x-kubernetes-list-type"].stringValue {
        case "set":
            var seen = Set<JSONValue>()
            for (i, v) in a.enumerated() where !seen.insert(v).inserted {
                out.append(APIStatus.Cause(type: "FieldValueDuplicate", message: "Duplicate value: \(goValue(v))", field: "\(path)[\(i)]"))
            }
        case "map":
            let keys = (schema["x-kubernetes-list-map-keys"].arrayValue ?? []).compactMap(\.stringValue)
            guard !keys.isEmpty else { break }
            var seen = Set<JSONValue>()
            for (i, v) in a.enumerated() {
                guard let item = v.objectValue else { continue }
                var key: [String: JSONValue] = [:]
                for k in keys {
                    let kv = item[k] ?? items["properties"][k]["default"]
                    if !kv.isNull { key[k] = kv }
                }
                if !seen.insert(.object(key)).inserted {
                    out.append(APIStatus.Cause(type: "FieldValueDuplicate", message: "Duplicate value: \(goMap(key))", field: "\(path)[\(i)]"))
                }
            }
        default:
            break
        }
    }

    // MARK: allOf, anyOf, oneOf, not

    static func composition(_ value: JSONValue, _ schema: JSONValue, path: String, field: String, into out: inout [APIStatus.Cause]) {
        func errors(_ s: JSONValue) -> [APIStatus.Cause] {
            var e: [APIStatus.Cause] = []
            check(value, s, path: path, into: &e)
            return e
        }
        // kube-openapi reports these on the root (`<nil>`), naming the schema path.
        func composite(_ message: String) -> APIStatus.Cause {
            APIStatus.Cause(type: "FieldValueInvalid", message: "Invalid value: \"\": \"\(path)\" \(message)", field: "<nil>")
        }
        if let any = schema["anyOf"].arrayValue, !any.isEmpty {
            let results = any.map(errors)
            if !results.contains(where: \.isEmpty) {
                out.append(composite("must validate at least one schema (anyOf)"))
                out += results.min { $0.count < $1.count } ?? []
            }
        }
        if let one = schema["oneOf"].arrayValue, !one.isEmpty {
            let results = one.map(errors)
            let valid = results.filter(\.isEmpty).count
            if valid == 0 {
                out.append(composite("must validate one and only one schema (oneOf). Found none valid"))
                out += results.min { $0.count < $1.count } ?? []
            } else if valid > 1 {
                out.append(composite("must validate one and only one schema (oneOf). Found \(valid) valid alternatives"))
            }
        }
        if let all = schema["allOf"].arrayValue, !all.isEmpty {
            let results = all.map(errors)
            let valid = results.filter(\.isEmpty).count
            for r in results { out += r }
            if valid != all.count { out.append(composite("must validate all the schemas (allOf)" + (valid == 0 ? ". None validated" : ""))) }
        }
        if schema["not"].objectValue != nil, errors(schema["not"]).isEmpty {
            out.append(composite("must not validate the schema (not)"))
        }
    }

    // MARK: helpers

    static func join(_ path: String, _ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    static func matches(_ v: JSONValue, _ type: String) -> Bool {
        switch type {
        case "object": return v.objectValue != nil
        case "array": return v.arrayValue != nil
        case "string": return v.stringValue != nil
        case "boolean": return v.boolValue != nil
        case "integer": return v.intValue != nil
        case "number": return v.doubleValue != nil && v.boolValue == nil && v.stringValue == nil
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

    /// A value as field errors print it: strings quoted, numbers and booleans plain, objects
    /// and arrays by their type name.
    static func shown(_ value: JSONValue) -> String {
        if let s = value.stringValue { return "\"\(s.goEscaped)\"" }
        if value.objectValue != nil || value.arrayValue != nil { return "\"\(typeName(value))\"" }
        return value.serialized()
    }

    static func invalid(_ field: String, _ value: JSONValue, _ why: String) -> APIStatus.Cause {
        APIStatus.Cause(type: "FieldValueInvalid", message: "Invalid value: \(shown(value)): \(why)", field: field)
    }

    static func typeInvalid(_ field: String, _ value: JSONValue, _ why: String) -> APIStatus.Cause {
        APIStatus.Cause(type: "FieldValueTypeInvalid", message: "Invalid value: \(shown(value)): \(why)", field: field)
    }

    /// Go's `%v`/`%#v` of a decoded JSON value, as `field.Duplicate` prints it.
    static func goValue(_ v: JSONValue) -> String {
        switch v {
        case .string(let s): return "\"\(s.goEscaped)\""
        case .object(let o): return goMap(o)
        default: return v.serialized()
        }
    }

    /// `map[string]interface {}{"name":"http", "port":80}`: Go's `%#v` of a map, keys sorted.
    static func goMap(_ o: [String: JSONValue]) -> String {
        let entries = o.keys.sorted().map { "\"\($0.goEscaped)\":\(goValue(o[$0]!))" }
        return "map[string]interface {}{" + entries.joined(separator: ", ") + "}"
    }
}

extension String {
    /// The inside of Go's `%q`: `"` and `\` escaped, control characters (and DEL) as escapes.
    public var goEscaped: String {
        var out = ""
        for u in unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default:
                if u.value < 0x20 || u.value == 0x7f {
                    out += "\\x" + (u.value < 0x10 ? "0" : "") + String(u.value, radix: 16)
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out
    }

    /// Go's `%q`: the string quoted, as the API server's messages show values.
    public var goQuoted: String { "\"" + goEscaped + "\"" }
}

/// Compiled `pattern`s (Go's RE2 and Swift Regex agree on the ECMA subset CRDs use), matched
/// anywhere in the value as `regexp.MatchString` does, on Unicode scalars. A pattern Swift
/// cannot compile is not checked.
enum PatternCache {
    private static let compiled = Mutex<[String: Regex<AnyRegexOutput>?]>([:])

    static func matches(_ pattern: String, _ s: String) -> Bool? {
        let regex: Regex<AnyRegexOutput>? = compiled.withLock { cache in
            if let hit = cache[pattern] { return hit }
            let r = (try? Regex(pattern))?.matchingSemantics(.unicodeScalar)
            if cache.count < 4096 { cache[pattern] = r }
            return r
        }
        guard let regex else { return nil }
        return (try? regex.firstMatch(in: s)) != nil ? true : false
    }
}
