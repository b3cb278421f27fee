import Foundation

/// `JSONValue` inside Codable types (e.g. a pod template carried verbatim in a typed spec),
/// and conversion between typed values and `JSONValue`.
extension JSONValue: Codable {
    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null; return }
        if let b = try? c.decode(Bool.self) { self = .bool(b); return }
        if let i = try? c.decode(Int64.self) { self = .int(i); return }
        if let d = try? c.decode(Double.self) { self = .double(d); return }
        if let s = try? c.decode(String.self) { self = .string(s); return }
        if let a = try? c.decode([JSONValue].self) { self = .array(a); return }
        if let o = try? c.decode([String: JSONValue].self) { self = .object(o); return }
        throw DecodingError.dataCorruptedError(in: c, debugDescription: "not a JSON value")
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case .bool(let b): try c.encode(b)
        case .int(let i): try c.encode(i)
        case .double(let d): try c.encode(d)
        case .string(let s): try c.encode(s)
        case .array(let a): try c.encode(a)
        case .object(let o): try c.encode(o)
        }
    }
}

extension JSONValue {
    /// The JSON form of a typed value.
    public init<T: Encodable>(encoding value: T) throws {
        let data = try JSONEncoder().encode(value)
        self = try JSONValue(parsing: data)
    }

    /// Decodes this value as a typed value. Errors name the coding path (e.g. `spec.analysis.interval`).
    public func decode<T: Decodable>(as type: T.Type = T.self) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(serializedBytes()))
    }
}

extension DecodingError {
    /// "spec.analysis.stepWeight: expected Int, found a string" — for InvalidSpec conditions.
    public var fieldMessage: String {
        func path(_ keys: [any CodingKey]) -> String {
            keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
                .joined(separator: ".").replacingOccurrences(of: ".[", with: "[")
        }
        switch self {
        case .typeMismatch(let t, let ctx):
            return "\(path(ctx.codingPath)): expected \(t)"
        case .valueNotFound(let t, let ctx):
            return "\(path(ctx.codingPath)): required \(t) is missing"
        case .keyNotFound(let k, let ctx):
            let p = path(ctx.codingPath + [k])
            return "\(p): required field is missing"
        case .dataCorrupted(let ctx):
            return "\(path(ctx.codingPath)): \(ctx.debugDescription)"
        @unknown default:
            return "\(self)"
        }
    }
}
