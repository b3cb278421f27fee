import Foundation
import KubeCore

/// The part of Kubernetes' JSONPath (client-go `util/jsonpath`) Argo's web metrics use:
/// `{$}`, `{$.data.ok}`, `{.items[0].value}`, `{$['key']}`, `{$.items[*].v}`, `{$.items[-1]}`
/// and filters `[?(@.name == "x")]`. `select` gives every match in order.
public struct JSONPathSelector: Sendable, Hashable {
    enum Step: Sendable, Hashable {
        case field(String)
        case index(Int)
        case wildcard
        case filter(path: [String], op: String, literal: JSONValue)
    }

    let steps: [Step]
    public let text: String

    public struct ParseError: Error, Sendable, Hashable, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    public init(_ text: String) throws(ParseError) {
        self.text = text
        var body = text.trimmingCharacters(in: .whitespaces)
        if body.hasPrefix("{") {
            guard body.hasSuffix("}") else { throw ParseError(message: "jsonPath \"\(text)\": missing the closing }") }
            body = String(body.dropFirst().dropLast()).trimmingCharacters(in: .whitespaces)
        }
        if body.hasPrefix("$") { body.removeFirst() }
        steps = try Self.parse(Array(body), text: text)
    }

    static func parse(_ c: [Character], text: String) throws(ParseError) -> [Step] {
        var steps: [Step] = []
        var i = 0
        func fail(_ why: String) -> ParseError { ParseError(message: "jsonPath \"\(text)\": \(why) at position \(i + 1)") }
        while i < c.count {
            if c[i] == "." {
                i += 1
                var name = ""
                while i < c.count, c[i] != ".", c[i] != "[" { name.append(c[i]); i += 1 }
                if name.isEmpty { throw fail("a field name is missing") }
                steps.append(name == "*" ? .wildcard : .field(name))
            } else if c[i] == "[" {
                guard let close = c[i...].firstIndex(of: "]") else { throw fail("[ is not closed") }
                let inner = String(c[(i + 1)..<close]).trimmingCharacters(in: .whitespaces)
                if inner == "*" {
                    steps.append(.wildcard)
                } else if let n = Int(inner) {
                    steps.append(.index(n))
                } else if inner.count >= 2, let q = inner.first, q == "'" || q == "\"", inner.last == q {
                    steps.append(.field(String(inner.dropFirst().dropLast())))
                } else if inner.hasPrefix("?(") && inner.hasSuffix(")") {
                    steps.append(try filter(String(inner.dropFirst(2).dropLast()), fail: fail))
                } else {
                    throw fail("\"[\(inner)]\" is not an index, a quoted name, * or a filter")
                }
                i = close + 1
            } else {
                throw fail("unexpected \"\(c[i])\"")
            }
        }
        return steps
    }

    static func filter(_ expr: String, fail: (String) -> ParseError) throws(ParseError) -> Step {
        for op in ["==", "!=", "<=", ">=", "<", ">"] {
            guard let r = expr.range(of: op) else { continue }
            let lhs = expr[..<r.lowerBound].trimmingCharacters(in: .whitespaces)
            let rhs = expr[r.upperBound...].trimmingCharacters(in: .whitespaces)
            guard lhs.hasPrefix("@") else { throw fail("a filter starts with @") }
            let path = lhs.dropFirst().split(separator: ".").map(String.init)
            let literal: JSONValue
            if let q = rhs.first, q == "'" || q == "\"", rhs.last == q, rhs.count >= 2 {
                literal = .string(String(rhs.dropFirst().dropLast()))
            } else if let d = Double(rhs) {
                literal = .double(d)
            } else if rhs == "true" || rhs == "false" {
                literal = .bool(rhs == "true")
            } else {
                throw fail("the filter's value \"\(rhs)\" is not a quoted string, a number or a bool")
            }
            return .filter(path: path, op: op, literal: literal)
        }
        throw fail("the filter \"\(expr)\" has no comparison")
    }

    /// Every value the path selects, in document order.
    public func select(_ root: JSONValue) -> [JSONValue] {
        var current = [root]
        for step in steps {
            var next: [JSONValue] = []
            for v in current {
                switch step {
                case .field(let name):
                    if let o = v.objectValue, let x = o[name] { next.append(x) }
                case .index(let n):
                    if let a = v.arrayValue {
                        let k = n < 0 ? a.count + n : n
                        if a.indices.contains(k) { next.append(a[k]) }
                    }
                case .wildcard:
                    if let a = v.arrayValue { next += a } else if let o = v.objectValue { next += o.keys.sorted().compactMap { o[$0] } }
                case let .filter(path, op, literal):
                    for item in v.arrayValue ?? [] {
                        var x: JSONValue? = item
                        for p in path { x = x?.objectValue?[p] }
                        if let x, Self.compare(x, op, literal) { next.append(item) }
                    }
                }
            }
            current = next
        }
        return current
    }

    static func compare(_ a: JSONValue, _ op: String, _ b: JSONValue) -> Bool {
        if let x = a.doubleValue, let y = b.doubleValue {
            switch op {
            case "==": return x == y
            case "!=": return x != y
            case "<": return x < y
            case ">": return x > y
            case "<=": return x <= y
            default: return x >= y
            }
        }
        switch op {
        case "==": return a == b
        case "!=": return a != b
        default: return false
        }
    }
}
