/// A JSON document that keeps every field, known or not.
///
/// Serin handles objects it does not own (Deployments, Services, routes) as `JSONValue`
/// so that a read-modify-write never drops a field it does not model.
/// Integers and doubles are kept apart so `1` round-trips as `1`, yet compare equal in
/// meaning (`.int(1) == .double(1.0)`).
public enum JSONValue: Sendable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])
}

extension JSONValue: Equatable {
    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): return true
        case let (.bool(a), .bool(b)): return a == b
        case let (.int(a), .int(b)): return a == b
        case let (.double(a), .double(b)): return a == b
        // Exact: 2^53+1 must not equal 2^53 as a double, or equality stops being transitive.
        case let (.int(a), .double(b)), let (.double(b), .int(a)): return Int64(exactly: b) == a
        case let (.string(a), .string(b)): return a == b
        case let (.array(a), .array(b)): return a == b
        case let (.object(a), .object(b)): return a == b
        default: return false
        }
    }
}

extension JSONValue: Hashable {
    public func hash(into hasher: inout Hasher) {
        switch self {
        case .null: hasher.combine(0)
        case .bool(let b): hasher.combine(b)
        case .int(let i): hasher.combine(Double(i))
        case .double(let d): hasher.combine(d)
        case .string(let s): hasher.combine(s)
        case .array(let a): hasher.combine(a)
        case .object(let o): hasher.combine(o)
        }
    }
}

// MARK: - Literals

extension JSONValue: ExpressibleByNilLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral, ExpressibleByStringLiteral, ExpressibleByArrayLiteral,
    ExpressibleByDictionaryLiteral
{
    public init(nilLiteral: ()) { self = .null }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(integerLiteral value: Int64) { self = .int(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(stringLiteral value: String) { self = .string(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        var o: [String: JSONValue] = [:]
        for (k, v) in elements { o[k] = v }
        self = .object(o)
    }
}

// MARK: - Typed access

extension JSONValue {
    public var isNull: Bool { if case .null = self { return true } else { return false } }
    public var stringValue: String? { if case .string(let s) = self { return s } else { return nil } }
    public var boolValue: Bool? { if case .bool(let b) = self { return b } else { return nil } }
    public var arrayValue: [JSONValue]? { if case .array(let a) = self { return a } else { return nil } }
    public var objectValue: [String: JSONValue]? { if case .object(let o) = self { return o } else { return nil } }

    /// The integer this value holds; a double with no fractional part counts.
    public var intValue: Int? {
        switch self {
        case .int(let i): return Int(exactly: i)
        case .double(let d): return Int(exactly: d)
        default: return nil
        }
    }

    public var doubleValue: Double? {
        switch self {
        case .int(let i): return Double(i)
        case .double(let d): return d
        default: return nil
        }
    }

    /// Member of an object; `.null` when absent or when this is not an object.
    /// Setting `.null` removes the key (merge-patch semantics are separate; see `JSONMergePatch`).
    public subscript(key: String) -> JSONValue {
        get {
            if case .object(let o) = self { return o[key] ?? .null }
            return .null
        }
        set {
            var o = objectValue ?? [:]
            if newValue.isNull { o.removeValue(forKey: key) } else { o[key] = newValue }
            self = .object(o)
        }
    }

    /// Element of an array; `.null` when out of range or when this is not an array.
    public subscript(index: Int) -> JSONValue {
        get {
            if case .array(let a) = self, a.indices.contains(index) { return a[index] }
            return .null
        }
        set {
            guard case .array(var a) = self, a.indices.contains(index) else { return }
            a[index] = newValue
            self = .array(a)
        }
    }

    /// Nested member by path, e.g. `obj[path: ["spec", "template"]]`. Setting creates
    /// intermediate objects; setting `.null` removes the leaf.
    public subscript(path path: [String]) -> JSONValue {
        get {
            var cur = self
            for k in path { cur = cur[k] }
            return cur
        }
        set {
            guard let first = path.first else { self = newValue; return }
            var child = self[first]
            child[path: Array(path.dropFirst())] = newValue
            self[first] = child
        }
    }
}
