import Foundation
import KubeCore
import KubeSchema

/// What apiextensions-apiserver checks when a v1 CustomResourceDefinition is created or updated
/// (apis/apiextensions/validation/validation.go and apiserver/schema/validation.go), beyond the
/// names `Validation.crdCauses` covers: structural schemas, exactly one storage version,
/// defaults that validate, printer columns, and the approval annotation of protected groups.
/// Field paths are the internal type's, as the real server reports them: one schema shared by
/// every version is `spec.validation.openAPIV3Schema`, else `spec.versions[i].schema.openAPIV3Schema`.
enum CRDAdmission {
    static func causes(_ crd: JSONValue) -> [APIStatus.Cause] {
        var out: [APIStatus.Cause] = []
        let versions = crd["spec"]["versions"].arrayValue ?? []
        let schemas = versions.map { $0["schema"]["openAPIV3Schema"] }
        if !schemas.isEmpty, schemas.allSatisfy({ $0.objectValue != nil }), Set(schemas).count == 1 {
            out += schemaCauses(schemas[0], path: "spec.validation.openAPIV3Schema")
        } else {
            for (i, s) in schemas.enumerated() {
                let path = "spec.versions[\(i)].schema.openAPIV3Schema"
                if s.objectValue == nil {
                    if versions[i]["served"].boolValue != false {
                        out.append(APIErrors.required(path, "because otherwise all fields are pruned"))
                    }
                } else {
                    out += schemaCauses(s, path: path)
                }
            }
        }
        let storage = versions.filter { $0["storage"].boolValue == true }.count
        if !versions.isEmpty, storage != 1 {
            out.append(APIStatus.Cause(
                type: "FieldValueInvalid", message: "Invalid value: \(versionsValue(versions)): must have exactly one version marked as storage version",
                field: "spec.versions"))
        }
        for (i, v) in versions.enumerated() {
            for (j, col) in (v["additionalPrinterColumns"].arrayValue ?? []).enumerated() {
                out += columnCauses(col, path: "spec.versions[\(i)].additionalPrinterColumns[\(j)]")
            }
        }
        out += approvalCauses(crd)
        return out
    }

    /// The versions as Go prints the slice in this message, shortened to the names.
    static func versionsValue(_ versions: [JSONValue]) -> String {
        "[]apiextensions.CustomResourceDefinitionVersion{" + versions.map { "{Name:\"\($0["name"].stringValue ?? "")\"}" }.joined(separator: ", ") + "}"
    }

    // MARK: structural schema

    enum Level { case root, item, field }

    static func schemaCauses(_ schema: JSONValue, path: String) -> [APIStatus.Cause] {
        var out: [APIStatus.Cause] = []
        walk(schema, .root, path, into: &out)
        defaults(schema, path, inMetadata: false, into: &out)
        // ValidateStructural sorts its errors by their text.
        return out.sorted { "\($0.field): \($0.message)" < "\($1.field): \($1.message)" }
    }

    static func forbidden(_ field: String, _ why: String) -> APIStatus.Cause {
        APIStatus.Cause(type: "FieldValueForbidden", message: "Forbidden: \(why)", field: field)
    }

    static func invalid(_ field: String, _ value: String, _ why: String) -> APIStatus.Cause {
        APIStatus.Cause(type: "FieldValueInvalid", message: "Invalid value: \(value): \(why)", field: field)
    }

    static func walk(_ s: JSONValue, _ level: Level, _ path: String, into out: inout [APIStatus.Cause]) {
        guard s.objectValue != nil else { return }
        let type = s["type"].stringValue ?? ""
        let intOrString = s["x-kubernetes-int-or-string"].boolValue == true
        let preserve = s["x-kubernetes-preserve-unknown-fields"].boolValue == true
        let embedded = s["x-kubernetes-embedded-resource"].boolValue == true
        if type == "array", s["items"].objectValue == nil {
            out.append(APIErrors.required("\(path).items", "must be specified"))
        }
        walk(s["items"], .item, "\(path).items", into: &out)
        let props = s["properties"].objectValue ?? [:]
        for (k, v) in props { walk(v, .field, "\(path).properties[\(k)]", into: &out) }
        let additional = s["additionalProperties"]
        if !additional.isNull {
            if level == .root { out.append(forbidden("\(path).additionalProperties", "must not be used at the root")) }
            if !props.isEmpty { out.append(forbidden("\(path).additionalProperties", "additionalProperties and properties are mutual exclusive")) }
            walk(additional, .field, "\(path).additionalProperties", into: &out)
        }
        if intOrString, preserve {
            out.append(invalid("\(path).x-kubernetes-preserve-unknown-fields", "true", "must be false if x-kubernetes-int-or-string is true"))
        }
        if intOrString, embedded {
            out.append(invalid("\(path).x-kubernetes-embedded-resource", "true", "must be false if x-kubernetes-int-or-string is true"))
        }
        if s["uniqueItems"].boolValue == true {
            out.append(forbidden("\(path).uniqueItems", "uniqueItems cannot be set to true since the runtime complexity becomes quadratic"))
        }
        valueValidation(s, level, path, into: &out)
        if embedded, type != "object" {
            if type.isEmpty {
                out.append(APIErrors.required("\(path).type", "must be object if x-kubernetes-embedded-resource is true"))
            } else {
                out.append(invalid("\(path).type", "\"\(type)\"", "must be object if x-kubernetes-embedded-resource is true"))
            }
        } else if type.isEmpty, !intOrString, !preserve {
            let why: String
            switch level {
            case .root: why = "must not be empty at the root"
            case .item: why = "must not be empty for specified array items"
            case .field: why = "must not be empty for specified object fields"
            }
            out.append(APIErrors.required("\(path).type", why))
        }
        if embedded, !additional.isNull {
            out.append(forbidden("\(path).additionalProperties", "must not be used if x-kubernetes-embedded-resource is set"))
        }
        if level == .root, !type.isEmpty, type != "object" {
            out.append(invalid("\(path).type", "\"\(type)\"", "must be object at the root"))
        }
        let checkMetadata = level == .root || embedded
        if checkMetadata {
            for (k, want) in [("kind", "string"), ("apiVersion", "string"), ("metadata", "object")] {
                if let p = props[k], (p["type"].stringValue ?? "") != want {
                    out.append(invalid("\(path).properties[\(k)].type", "\"\(p["type"].stringValue ?? "")\"", "must be \(want)"))
                }
            }
        }
        if level == .root, let meta = props["metadata"]?.objectValue {
            let named = Set((meta["properties"]?.objectValue ?? [:]).keys)
            let extra = Set(meta.keys).subtracting(["type", "properties", "default", "description", "title"])
            if !named.isSubset(of: ["name", "generateName"]) || !extra.isEmpty {
                out.append(forbidden(
                    "\(path).properties[metadata]", "must not specify anything other than name and generateName, but metadata is implicitly specified"))
            }
        }
        listType(s, path, into: &out)
        if embedded, !preserve, props.isEmpty {
            out.append(APIErrors.required(
                "\(path).properties", "must not be empty if x-kubernetes-embedded-resource is true without x-kubernetes-preserve-unknown-fields"))
        }
    }

    /// `x-kubernetes-list-type`, `-list-map-keys` and `-map-type` rules
    /// (ValidateCustomResourceDefinitionOpenAPISchema, validateMapListKeysMapSet).
    static func listType(_ s: JSONValue, _ path: String, into out: inout [APIStatus.Cause]) {
        let type = s["type"].stringValue ?? ""
        let list = s["x-kubernetes-list-type"].stringValue
        let keys = (s["x-kubernetes-list-map-keys"].arrayValue ?? []).compactMap(\.stringValue)
        let items = s["items"]
        if let mapType = s["x-kubernetes-map-type"].stringValue, !["atomic", "granular"].contains(mapType) {
            out.append(APIStatus.Cause(
                type: "FieldValueNotSupported", message: "Unsupported value: \"\(mapType)\": supported values: \"atomic\", \"granular\"",
                field: "\(path).x-kubernetes-map-type"))
        }
        if list != nil, type != "array" {
            if type.isEmpty {
                out.append(APIErrors.required("\(path).type", "must be array if x-kubernetes-list-type is specified"))
            } else {
                out.append(invalid("\(path).type", "\"\(type)\"", "must be array if x-kubernetes-list-type is specified"))
            }
        }
        if let list, !["atomic", "set", "map"].contains(list) {
            out.append(APIStatus.Cause(
                type: "FieldValueNotSupported", message: "Unsupported value: \"\(list)\": supported values: \"atomic\", \"set\", \"map\"",
                field: "\(path).x-kubernetes-list-type"))
        }
        let goKeys = "[]string{" + keys.map { "\"\($0)\"" }.joined(separator: ", ") + "}"
        if !keys.isEmpty {
            if list == nil {
                out.append(APIErrors.required("\(path).x-kubernetes-list-type", "must be map if x-kubernetes-list-map-keys is non-empty"))
            } else if list != "map" {
                out.append(invalid("\(path).x-kubernetes-list-type", "\"\(list!)\"", "must be map if x-kubernetes-list-map-keys is non-empty"))
            }
        }
        guard list == "map" || list == "set" else { return }
        if list == "map" {
            if keys.isEmpty { out.append(APIErrors.required("\(path).x-kubernetes-list-map-keys", "must not be empty if x-kubernetes-list-type is map")) }
            if items.objectValue == nil {
                out.append(APIErrors.required("\(path).items", "must have a schema if x-kubernetes-list-type is map"))
            } else if (items["type"].stringValue ?? "") != "object" {
                out.append(invalid("\(path).items.type", "\"\(items["type"].stringValue ?? "")\"", "must be object if parent array's x-kubernetes-list-type is map"))
            } else {
                let required = Set((items["required"].arrayValue ?? []).compactMap(\.stringValue))
                var seen = Set<String>()
                for k in keys {
                    let p = items["properties"][k]
                    if p.objectValue == nil {
                        out.append(invalid("\(path).x-kubernetes-list-map-keys", goKeys, "entries must all be names of item properties"))
                    } else {
                        if ["array", "object"].contains(p["type"].stringValue ?? "") {
                            out.append(invalid("\(path).items.properties[\(k)].type", "\"object\"", "must be a scalar type if parent array's x-kubernetes-list-type is map"))
                        }
                        if !required.contains(k), p["default"].isNull {
                            out.append(APIErrors.required(
                                "\(path).items.properties[\(k)].default", "this property is in x-kubernetes-list-map-keys, so it must have a default or be a required property"))
                        }
                        if p["nullable"].boolValue == true {
                            out.append(forbidden("\(path).items.properties[\(k)].nullable", "this property is in x-kubernetes-list-map-keys, so it cannot be nullable"))
                        }
                    }
                    if !seen.insert(k).inserted {
                        out.append(invalid("\(path).x-kubernetes-list-map-keys", goKeys, "must not contain duplicate entries"))
                    }
                }
            }
        }
        if items["nullable"].boolValue == true {
            out.append(forbidden("\(path).items.nullable", "cannot be nullable when x-kubernetes-list-type is \(list!)"))
        }
    }

    static let intOrStringAnyOf: JSONValue = [["type": "integer"], ["type": "string"]]

    static func valueValidation(_ s: JSONValue, _ level: Level, _ path: String, skipFirstAllOfAnyOf: Bool? = nil, into out: inout [APIStatus.Cause]) {
        let skipAnyOf = s["anyOf"] == intOrStringAnyOf
        let skipAllOfAnyOf = skipFirstAllOfAnyOf ?? ((s["allOf"].arrayValue?.first?["anyOf"] ?? .null) == intOrStringAnyOf)
        if !skipAnyOf {
            for (i, v) in (s["anyOf"].arrayValue ?? []).enumerated() { nested(v, level, "\(path).anyOf[\(i)]", into: &out) }
        }
        for (i, v) in (s["allOf"].arrayValue ?? []).enumerated() {
            nested(v, level, "\(path).allOf[\(i)]", skipAnyOf: skipAllOfAnyOf && i == 0, into: &out)
        }
        for (i, v) in (s["oneOf"].arrayValue ?? []).enumerated() { nested(v, level, "\(path).oneOf[\(i)]", into: &out) }
        if s["not"].objectValue != nil { nested(s["not"], level, "\(path).not", into: &out) }
    }

    /// A schema under anyOf/allOf/oneOf/not: value validations only.
    static func nested(_ v: JSONValue, _ level: Level, _ path: String, skipAnyOf: Bool = false, into out: inout [APIStatus.Cause]) {
        guard v.objectValue != nil else { return }
        var inner = v
        if skipAnyOf { inner["anyOf"] = .null }
        valueValidation(inner, level, path, skipFirstAllOfAnyOf: false, into: &out)
        nested(v["items"], level, "\(path).items", into: &out)
        for (k, p) in v["properties"].objectValue ?? [:] { nested(p, .field, "\(path).properties[\(k)]", into: &out) }
        let rules: [(String, String)] = [
            ("type", "must be empty to be structural"), ("additionalProperties", "must be undefined to be structural"),
            ("default", "must be undefined to be structural"), ("title", "must be empty to be structural"),
            ("description", "must be empty to be structural"), ("nullable", "must be false to be structural"),
            ("x-kubernetes-preserve-unknown-fields", "must be false to be structural"),
            ("x-kubernetes-embedded-resource", "must be false to be structural"), ("x-kubernetes-int-or-string", "must be false to be structural"),
            ("x-kubernetes-list-map-keys", "must be empty to be structural"), ("x-kubernetes-list-type", "must be undefined to be structural"),
        ]
        for (key, why) in rules {
            let x = v[key]
            let set = x.boolValue.map { $0 } ?? (x.stringValue.map { !$0.isEmpty } ?? (x.arrayValue.map { !$0.isEmpty } ?? !x.isNull))
            if set { out.append(forbidden("\(path).\(key)", why)) }
        }
        if v["properties"]["metadata"].objectValue != nil {
            out.append(forbidden("\(path).properties[metadata]", "must not be specified in a nested context"))
        }
    }

    // MARK: defaults

    /// Every `default` must validate against the schema it sits in (metadata's are not checked here).
    static func defaults(_ s: JSONValue, _ path: String, inMetadata: Bool, into out: inout [APIStatus.Cause]) {
        guard s.objectValue != nil else { return }
        let d = s["default"]
        if !d.isNull, !inMetadata {
            let problems: [APIStatus.Cause]
            var schema = s
            schema["default"] = .null
            // The default is itself defaulted before it is validated.
            problems = CRDValidation.valueCauses(CRDDefaulting.defaulted(d, schema: schema), schema: schema)
            for p in problems {
                let sub = p.field == "<root>" ? "" : ".\(p.field)"
                let message = p.message.replacingOccurrences(of: "<root> in body", with: " in body")
                out.append(APIStatus.Cause(type: p.type, message: message, field: "\(path).default\(sub)"))
            }
        }
        defaults(s["items"], "\(path).items", inMetadata: inMetadata, into: &out)
        for (k, v) in s["properties"].objectValue ?? [:] {
            defaults(v, "\(path).properties[\(k)]", inMetadata: inMetadata || (path.hasSuffix("openAPIV3Schema") && k == "metadata"), into: &out)
        }
        if s["additionalProperties"].objectValue != nil {
            defaults(s["additionalProperties"], "\(path).additionalProperties", inMetadata: inMetadata, into: &out)
        }
    }

    // MARK: printer columns

    static let columnTypes = ["boolean", "date", "integer", "number", "string"]
    static let columnFormats = ["byte", "date", "date-time", "double", "float", "int32", "int64", "password"]

    static func columnCauses(_ col: JSONValue, path: String) -> [APIStatus.Cause] {
        var out: [APIStatus.Cause] = []
        if (col["name"].stringValue ?? "").isEmpty { out.append(APIErrors.required("\(path).name", "")) }
        let type = col["type"].stringValue ?? ""
        if type.isEmpty {
            out.append(APIErrors.required("\(path).type", "must be one of \(columnTypes.joined(separator: ","))"))
        } else if !columnTypes.contains(type) {
            out.append(APIErrors.invalidValue("\(path).type", type, "must be one of \(columnTypes.joined(separator: ","))"))
        }
        if let format = col["format"].stringValue, !format.isEmpty, !columnFormats.contains(format) {
            out.append(APIErrors.invalidValue("\(path).format", format, "must be one of \(columnFormats.joined(separator: ","))"))
        }
        let jsonPath = col["jsonPath"].stringValue ?? ""
        if jsonPath.isEmpty {
            out.append(APIErrors.required("\(path).JSONPath", ""))
        } else if !jsonPath.hasPrefix(".") {
            out.append(APIErrors.invalidValue("\(path).JSONPath", jsonPath, "must be a simple json path starting with ."))
        }
        return out
    }

    // MARK: protected groups

    static func isProtected(_ group: String) -> Bool {
        group.hasSuffix(".k8s.io") || group.hasSuffix(".kubernetes.io") || group == "k8s.io" || group == "kubernetes.io"
    }

    static let approvalAnnotation = "api-approved.kubernetes.io"

    static func approvalCauses(_ crd: JSONValue) -> [APIStatus.Cause] {
        guard isProtected(crd["spec"]["group"].stringValue ?? "") else { return [] }
        let field = "metadata.annotations[\(approvalAnnotation)]"
        guard let value = crd.annotations[approvalAnnotation] else {
            return [APIErrors.required(
                field, "protected groups must have approval annotation \"\(approvalAnnotation)\", see https://github.com/kubernetes/enhancements/pull/1111")]
        }
        if value.hasPrefix("unapproved") || isApprovalURL(value) { return [] }
        return [APIErrors.invalidValue(
            field, value,
            "protected groups must have approval annotation \"\(approvalAnnotation)\" with either a URL or a reason starting with \"unapproved\", see https://github.com/kubernetes/enhancements/pull/1111")]
    }

    /// Go's `url.Parse` succeeding with a scheme and host, roughly.
    static func isApprovalURL(_ s: String) -> Bool {
        guard let range = s.range(of: "://") else { return false }
        let scheme = s[..<range.lowerBound]
        return !scheme.isEmpty && scheme.allSatisfy { $0.isLetter || $0.isNumber || "+-.".contains($0) } && s[range.upperBound...].count > 0
    }
}

/// ObjectMeta limits every object has on a real server (apimachinery's ValidateAnnotations):
/// the annotations together, keys and values, at most 256 KiB. `kubectl apply` of a large CRD
/// without `--server-side` trips it through the last-applied annotation.
enum ObjectMetaLimits {
    static let totalAnnotationSize = 256 * 1024

    static func causes(_ obj: JSONValue) -> [APIStatus.Cause] {
        let size = obj.annotations.reduce(0) { $0 + $1.key.utf8.count + $1.value.utf8.count }
        guard size > totalAnnotationSize else { return [] }
        return [APIStatus.Cause(type: "FieldValueTooLong", message: "Too long: may not be more than \(totalAnnotationSize) bytes", field: "metadata.annotations")]
    }
}
