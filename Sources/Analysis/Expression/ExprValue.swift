import Foundation
import KubeCore

/// A value in a condition expression. A Prometheus vector becomes an array of numbers, a
/// scalar a number.
public enum ExprValue: Sendable, Hashable, CustomStringConvertible {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([ExprValue])
    /// A JSON object (a web metric's answer): fields are read with `result.name` or `result["name"]`.
    case object([String: ExprValue])

    public var typeName: String {
        switch self {
        case .null: return "nil"
        case .bool: return "bool"
        case .number: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "map"
        }
    }

    public var description: String {
        switch self {
        case .null: return "nil"
        case .bool(let b): return b ? "true" : "false"
        case .number(let d): return ExprValue.format(d)
        case .string(let s): return "\"\(s)\""
        case .array(let a): return "[" + a.map(\.description).joined(separator: ", ") + "]"
        case .object(let o):
            return "{" + o.keys.sorted().map { "\"\($0)\": \(o[$0]!.description)" }.joined(separator: ", ") + "}"
        }
    }

    /// A JSON value as conditions see it (integers and doubles are numbers).
    public init(json: JSONValue) {
        switch json {
        case .null: self = .null
        case .bool(let b): self = .bool(b)
        case .int(let i): self = .number(Double(i))
        case .double(let d): self = .number(d)
        case .string(let s): self = .string(s)
        case .array(let a): self = .array(a.map(ExprValue.init(json:)))
        case .object(let o): self = .object(o.mapValues(ExprValue.init(json:)))
        }
    }

    static func format(_ d: Double) -> String {
        if d.isNaN { return "NaN" }
        if d.isInfinite { return d > 0 ? "+Inf" : "-Inf" }
        if d == d.rounded(), abs(d) < 1e15 { return String(Int64(d)) }
        return String(d)
    }

    /// The value of a Prometheus answer as conditions see it.
    public init(_ result: PromResult) {
        switch result {
        case .vector(let samples): self = .array(samples.map { .number($0.value) })
        case .scalar(_, let v): self = .number(v)
        case .matrix(let series): self = .array(series.map { .array($0.points.map { .number($0.value) }) })
        case .string(_, let s): self = .string(s)
        }
    }
}

/// Where and why an expression does not parse. `position` is a 1-based character column.
public struct ExprParseError: Error, Sendable, Hashable, CustomStringConvertible {
    public var position: Int
    public var message: String
    public var description: String { "\(message) at position \(position)" }
}

/// Why an expression could not be evaluated (a type error, an index out of range…).
public struct ExprEvalError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
