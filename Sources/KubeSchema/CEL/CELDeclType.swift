import KubeCore

/// A schema node as Kubernetes declares it to CEL (apiserver/pkg/cel/common/schemas.go
/// SchemaDeclType): its CEL type, and the size bounds the cost estimate reads.
final class CELDeclType: Sendable {
    enum Kind: Sendable { case bool, int, double, string, bytes, duration, timestamp, dyn, list, map, object }

    let kind: Kind
    /// Element type of a list, value type of a map.
    let elem: CELDeclType?
    /// Object fields by CEL (escaped) name.
    let fields: [String: CELDeclField]
    /// maxLength/maxItems/maxProperties, or the estimate from the request size limit.
    let maxElements: Int64
    let minSerializedSize: Int64

    init(_ kind: Kind, elem: CELDeclType? = nil, fields: [String: CELDeclField] = [:], maxElements: Int64 = 0, minSerializedSize: Int64 = 1) {
        self.kind = kind
        self.elem = elem
        self.fields = fields
        self.maxElements = maxElements
        self.minSerializedSize = minSerializedSize
    }

    var celType: CELType {
        switch kind {
        case .bool: return .bool
        case .int: return .int
        case .double: return .double
        case .string: return .string
        case .bytes: return .bytes
        case .duration: return .duration
        case .timestamp: return .timestamp
        case .dyn: return .dyn
        case .list: return .list(elem?.celType ?? .dyn)
        case .map: return .map(.string, elem?.celType ?? .dyn)
        case .object: return .object(self)
        }
    }

    /// Map keys are plain strings with no declared bound (apiservercel.StringType).
    static let mapKey = CELDeclType(.string, minSerializedSize: 2)
}

struct CELDeclField: Sendable {
    let name: String
    /// The property name in the schema (before CEL escaping).
    let jsonName: String
    let type: CELDeclType
}

enum CELSchemaTypes {
    /// apiservercel.DefaultMaxRequestSizeBytes.
    static let maxRequestSizeBytes: Int64 = 3_145_728
    static let minDurationSizeJSON: Int64 = 4
    static let maxDurationSizeJSON: Int64 = 32
    static let jsonDateSize: Int64 = 12
    static let minDatetimeSizeJSON: Int64 = 22
    static let maxDatetimeSizeJSON: Int64 = 35

    /// The declared type of `schema`, nil when CEL cannot see it (as SchemaDeclType).
    static func declType(_ s: JSONValue, isResourceRoot: Bool) -> CELDeclType? {
        guard s.objectValue != nil else { return nil }
        if s["x-kubernetes-int-or-string"].boolValue == true {
            let max = s["maxLength"].intValue.map { Int64(Swift.max(0, $0)) * 4 } ?? (maxRequestSizeBytes - 2)
            return CELDeclType(.dyn, maxElements: max, minSerializedSize: 1)
        }
        var s = s
        if isResourceRoot { s = withTypeAndObjectMeta(s) }
        switch s["type"].stringValue ?? "" {
        case "array":
            guard s["items"].objectValue != nil,
                  let items = declType(s["items"], isResourceRoot: s["items"]["x-kubernetes-embedded-resource"].boolValue == true)
            else { return nil }
            let max = s["maxItems"].intValue.map { Int64(Swift.max(0, $0)) } ?? ((maxRequestSizeBytes - 2) / (items.minSerializedSize + 1))
            return CELDeclType(.list, elem: items, maxElements: max, minSerializedSize: 2)
        case "object":
            let ap = s["additionalProperties"]
            if ap.objectValue != nil {
                guard let props = declType(ap, isResourceRoot: ap["x-kubernetes-embedded-resource"].boolValue == true) else { return nil }
                let max = s["maxProperties"].intValue.map { Int64(Swift.max(0, $0)) } ?? ((maxRequestSizeBytes - 2) / (props.minSerializedSize + 6))
                return CELDeclType(.map, elem: props, maxElements: max, minSerializedSize: 2)
            }
            let required = Set((s["required"].arrayValue ?? []).compactMap(\.stringValue))
            var fields: [String: CELDeclField] = [:]
            var minSize: Int64 = 2
            for (name, prop) in s["properties"].objectValue ?? [:] {
                guard let t = declType(prop, isResourceRoot: prop["x-kubernetes-embedded-resource"].boolValue == true) else { continue }
                if let escaped = CELNames.escape(name) {
                    fields[escaped] = CELDeclField(name: escaped, jsonName: name, type: t)
                }
                if required.contains(name), prop["default"].isNull {
                    minSize += Int64(name.utf8.count) + t.minSerializedSize + 4
                }
            }
            return CELDeclType(.object, fields: fields, maxElements: 0, minSerializedSize: minSize)
        case "string":
            switch s["format"].stringValue ?? "" {
            case "byte":
                let max = s["maxLength"].intValue.map { Int64(Swift.max(0, $0)) } ?? (maxRequestSizeBytes - 2)
                return CELDeclType(.bytes, maxElements: max, minSerializedSize: 2)
            case "duration":
                return CELDeclType(.duration, maxElements: maxDurationSizeJSON, minSerializedSize: minDurationSizeJSON)
            case "date":
                return CELDeclType(.timestamp, maxElements: jsonDateSize, minSerializedSize: jsonDateSize)
            case "date-time":
                return CELDeclType(.timestamp, maxElements: maxDatetimeSizeJSON, minSerializedSize: minDatetimeSizeJSON)
            default:
                let max: Int64
                if let n = s["maxLength"].intValue {
                    max = Int64(Swift.max(0, n)) * 4
                } else if let e = s["enum"].arrayValue, !e.isEmpty {
                    max = e.compactMap { $0.stringValue.map { Int64($0.utf8.count) } }.max() ?? 0
                } else {
                    max = maxRequestSizeBytes - 2
                }
                return CELDeclType(.string, maxElements: max, minSerializedSize: 2)
            }
        case "boolean": return CELDeclType(.bool, minSerializedSize: 4)
        case "number": return CELDeclType(.double, minSerializedSize: 1)
        case "integer": return CELDeclType(.int, minSerializedSize: 1)
        default: return nil
        }
    }

    /// apiVersion, kind and metadata.name/generateName are visible at a resource root even when undeclared.
    static func withTypeAndObjectMeta(_ s: JSONValue) -> JSONValue {
        let p = s["properties"]
        if p["kind"]["type"].stringValue == "string", p["apiVersion"]["type"].stringValue == "string",
           p["metadata"]["type"].stringValue == "object",
           p["metadata"]["properties"]["name"]["type"].stringValue == "string",
           p["metadata"]["properties"]["generateName"]["type"].stringValue == "string" {
            return s
        }
        var out = s
        var props = p.objectValue ?? [:]
        props["kind"] = ["type": "string"]
        props["apiVersion"] = ["type": "string"]
        props["metadata"] = ["type": "object", "properties": ["name": ["type": "string"], "generateName": ["type": "string"]]]
        out["properties"] = .object(props)
        return out
    }

    /// The worst-case number of times a rule on a node of this minimum size runs under
    /// unbounded lists or maps (apiservercel MaxCardinality).
    static func maxCardinality(_ minSize: Int64) -> UInt64 {
        UInt64(maxRequestSizeBytes / (minSize + 1))
    }
}

/// Property names as CEL sees them (apiserver/pkg/cel/escaping.go).
enum CELNames {
    static let reserved: Set<String> = [
        "true", "false", "null", "in", "as", "break", "const", "continue", "else", "for", "function", "if",
        "import", "let", "loop", "package", "namespace", "return", "var", "void", "while",
    ]

    static func escape(_ name: String) -> String? {
        guard let first = name.unicodeScalars.first, !("0"..."9").contains(first) else { return nil }
        if reserved.contains(name) { return "__\(name)__" }
        var out = ""
        var chars = Array(name.unicodeScalars)[...]
        while let c = chars.first {
            if c == "_", chars.dropFirst().first == "_" {
                out += "__underscores__"
                chars = chars.dropFirst(2)
                continue
            }
            chars = chars.dropFirst()
            switch c {
            case ".": out += "__dot__"
            case "-": out += "__dash__"
            case "/": out += "__slash__"
            case "a"..."z", "A"..."Z", "0"..."9", "_": out.unicodeScalars.append(c)
            default: return nil
            }
        }
        return out
    }
}
