/// CEL's static types, as far as schema-declared rules need them.
indirect enum CELType: Sendable {
    case bool, int, uint, double, string, bytes, null, duration, timestamp, dyn, type, error
    case list(CELType)
    case map(CELType, CELType)
    case object(CELDeclType)
    /// Library types: url, net.IP, net.CIDR, kubernetes.Quantity, optional...
    case opaque(String)
    /// `oldSelf` of a rule with optionalOldSelf.
    case optional(CELType)

    var isDyn: Bool { if case .dyn = self { return true } else { return false } }

    var elemType: CELType? {
        switch self {
        case .list(let e): return e
        case .map(_, let v): return v
        default: return nil
        }
    }

    /// Scalars have a fixed size for the cost estimate (cel-go checker isScalar).
    var isScalar: Bool {
        switch self {
        case .bool, .double, .duration, .int, .timestamp, .uint: return true
        case .optional(let t): return t.isScalar
        default: return false
        }
    }

    var name: String {
        switch self {
        case .bool: return "bool"
        case .int: return "int"
        case .uint: return "uint"
        case .double: return "double"
        case .string: return "string"
        case .bytes: return "bytes"
        case .null: return "null_type"
        case .duration: return "google.protobuf.Duration"
        case .timestamp: return "google.protobuf.Timestamp"
        case .dyn: return "dyn"
        case .type: return "type"
        case .error: return "*error*"
        case .list(let e): return "list(\(e.name))"
        case .map(let k, let v): return "map(\(k.name), \(v.name))"
        case .object: return "object"
        case .opaque(let n): return n
        case .optional(let t): return "optional_type(\(t.name))"
        }
    }
}

extension CELType: Equatable {
    static func == (a: CELType, b: CELType) -> Bool {
        switch (a, b) {
        case (.bool, .bool), (.int, .int), (.uint, .uint), (.double, .double), (.string, .string), (.bytes, .bytes),
             (.null, .null), (.duration, .duration), (.timestamp, .timestamp), (.dyn, .dyn), (.type, .type), (.error, .error):
            return true
        case let (.list(x), .list(y)): return x == y
        case let (.map(k1, v1), .map(k2, v2)): return k1 == k2 && v1 == v2
        case let (.object(x), .object(y)): return x === y || sameShape(x, y)
        case let (.opaque(x), .opaque(y)): return x == y
        case let (.optional(x), .optional(y)): return x == y
        default: return false
        }
    }

    /// `self` and `oldSelf` get the same declaration; objects reached by different paths
    /// with identical shapes compare equal as well.
    private static func sameShape(_ x: CELDeclType, _ y: CELDeclType) -> Bool {
        guard x.fields.count == y.fields.count else { return false }
        for (k, f) in x.fields {
            guard let g = y.fields[k], f.type.celType == g.type.celType else { return false }
        }
        return true
    }
}
