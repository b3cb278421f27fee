import KubeCore

/// Runtime values of the evaluator.
indirect enum CELValue: Sendable {
    case null
    case bool(Bool)
    case int(Int64)
    case uint(UInt64)
    case double(Double)
    case string(String)
    case bytes([UInt8])
    /// Nanoseconds.
    case duration(Int64)
    /// Seconds and nanoseconds since the Unix epoch, UTC.
    case timestamp(seconds: Int64, nanos: Int32)
    case list([CELValue])
    case map([CELKey: CELValue])
    /// A schema object: fields by CEL name.
    case object([String: CELValue])
    case type(String)
    case ip(String)
    case cidr(String, prefix: Int)
    case url(String)
    case optional(CELValue?)
    case quantity(Double)

    var typeName: String {
        switch self {
        case .null: return "null_type"
        case .bool: return "bool"
        case .int: return "int"
        case .uint: return "uint"
        case .double: return "double"
        case .string: return "string"
        case .bytes: return "bytes"
        case .duration: return "google.protobuf.Duration"
        case .timestamp: return "google.protobuf.Timestamp"
        case .list: return "list"
        case .map: return "map"
        case .object: return "object"
        case .type: return "type"
        case .ip: return "net.IP"
        case .cidr: return "net.CIDR"
        case .url: return "kubernetes.URL"
        case .optional: return "optional_type"
        case .quantity: return "kubernetes.Quantity"
        }
    }
}

/// Map keys CEL allows: bool, int, uint, string.
enum CELKey: Hashable, Sendable {
    case bool(Bool)
    case int(Int64)
    case uint(UInt64)
    case string(String)

    init?(_ v: CELValue) {
        switch v {
        case .bool(let b): self = .bool(b)
        case .int(let i): self = .int(i)
        case .uint(let u): self = Int64(exactly: u).map { .int($0) } ?? .uint(u)
        case .double(let d):
            // Numeric keys compare by value (heterogeneous equality).
            guard let i = Int64(exactly: d) else { return nil }
            self = .int(i)
        case .string(let s): self = .string(s)
        default: return nil
        }
    }

    var value: CELValue {
        switch self {
        case .bool(let b): return .bool(b)
        case .int(let i): return .int(i)
        case .uint(let u): return .uint(u)
        case .string(let s): return .string(s)
        }
    }
}

struct CELEvalError: Error, Sendable {
    let message: String
    init(_ message: String) { self.message = message }

    static func noOverload(_ fn: String) -> CELEvalError { CELEvalError("no such overload") }
    static let costExceeded = CELEvalError("operation cancelled: actual cost limit exceeded")
}

extension CELValue {
    /// The value of `json` as the schema node `decl` declares it to CEL (unknown fields are not visible).
    static func from(_ json: JSONValue, _ decl: CELDeclType?) -> CELValue {
        guard let decl else { return natural(json) }
        switch decl.kind {
        case .object:
            guard case .object(let o) = json else { return natural(json) }
            var out: [String: CELValue] = [:]
            for (name, f) in decl.fields {
                if let v = o[f.jsonName], !v.isNull { out[name] = from(v, f.type) }
            }
            return .object(out)
        case .map:
            guard case .object(let o) = json else { return natural(json) }
            var out: [CELKey: CELValue] = [:]
            for (k, v) in o { out[.string(k)] = from(v, decl.elem) }
            return .map(out)
        case .list:
            guard case .array(let a) = json else { return natural(json) }
            return .list(a.map { from($0, decl.elem) })
        case .duration:
            if let s = json.stringValue, let d = CELTime.parseDuration(s) { return .duration(d) }
            return natural(json)
        case .timestamp:
            if let s = json.stringValue, let t = CELTime.parseTimestamp(s) { return .timestamp(seconds: t.0, nanos: t.1) }
            return natural(json)
        case .bytes:
            if let s = json.stringValue, let b = CELBase64.decode(s) { return .bytes(b) }
            return natural(json)
        case .double:
            if let d = json.doubleValue { return .double(d) }
            return natural(json)
        case .int:
            if case .int(let i) = json { return .int(i) }
            if case .double(let d) = json, let i = Int64(exactly: d) { return .int(i) }
            return natural(json)
        default:
            return natural(json)
        }
    }

    static func natural(_ json: JSONValue) -> CELValue {
        switch json {
        case .null: return .null
        case .bool(let b): return .bool(b)
        case .int(let i): return .int(i)
        case .double(let d): return .double(d)
        case .string(let s): return .string(s)
        case .array(let a): return .list(a.map(natural))
        case .object(let o):
            var out: [CELKey: CELValue] = [:]
            for (k, v) in o { out[.string(k)] = natural(v) }
            return .map(out)
        }
    }

    /// Size as CEL's size() and the runtime cost tracker count it.
    var size: Int? {
        switch self {
        case .string(let s): return s.unicodeScalars.count
        case .bytes(let b): return b.count
        case .list(let l): return l.count
        case .map(let m): return m.count
        case .object(let o): return o.count
        default: return nil
        }
    }
}

/// CEL equality: numbers compare by value across int, uint and double.
func celEquals(_ a: CELValue, _ b: CELValue) -> Bool {
    switch (a, b) {
    case (.null, .null): return true
    case let (.bool(x), .bool(y)): return x == y
    case let (.string(x), .string(y)): return x == y
    case let (.bytes(x), .bytes(y)): return x == y
    case let (.duration(x), .duration(y)): return x == y
    case let (.timestamp(s1, n1), .timestamp(s2, n2)): return s1 == s2 && n1 == n2
    case let (.type(x), .type(y)): return x == y
    case let (.ip(x), .ip(y)): return x == y
    case let (.cidr(x, p), .cidr(y, q)): return x == y && p == q
    case let (.url(x), .url(y)): return x == y
    case let (.quantity(x), .quantity(y)): return x == y
    case let (.optional(x), .optional(y)):
        switch (x, y) {
        case (nil, nil): return true
        case let (a?, b?): return celEquals(a, b)
        default: return false
        }
    case let (.list(x), .list(y)):
        guard x.count == y.count else { return false }
        return zip(x, y).allSatisfy { celEquals($0, $1) }
    case let (.map(x), .map(y)):
        guard x.count == y.count else { return false }
        return x.allSatisfy { k, v in y[k].map { celEquals(v, $0) } ?? false }
    case let (.object(x), .object(y)):
        guard x.count == y.count else { return false }
        return x.allSatisfy { k, v in y[k].map { celEquals(v, $0) } ?? false }
    default:
        if let c = numericCompare(a, b) { return c == 0 }
        return false
    }
}

/// Orders numbers of any of the three numeric types; nil when either is not a number.
func numericCompare(_ a: CELValue, _ b: CELValue) -> Int? {
    func cmp<T: Comparable>(_ x: T, _ y: T) -> Int { x < y ? -1 : x > y ? 1 : 0 }
    switch (a, b) {
    case let (.int(x), .int(y)): return cmp(x, y)
    case let (.uint(x), .uint(y)): return cmp(x, y)
    case let (.double(x), .double(y)): return x.isNaN || y.isNaN ? nil : cmp(x, y)
    case let (.int(x), .uint(y)): return x < 0 ? -1 : cmp(UInt64(x), y)
    case let (.uint(x), .int(y)): return y < 0 ? 1 : cmp(x, UInt64(y))
    case let (.int(x), .double(y)): return y.isNaN ? nil : cmp(Double(x), y)
    case let (.double(x), .int(y)): return x.isNaN ? nil : cmp(x, Double(y))
    case let (.uint(x), .double(y)): return y.isNaN ? nil : cmp(Double(x), y)
    case let (.double(x), .uint(y)): return x.isNaN ? nil : cmp(x, Double(y))
    default: return nil
    }
}
