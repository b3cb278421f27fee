import Foundation

/// A parsed condition, e.g. `result[0] >= 0.95` or `all(result, {# < 500})`.
/// Parsing throws `ExprParseError` with the position; evaluation returns errors as values.
public struct ConditionExpression: Sendable, Hashable, CustomStringConvertible {
    public let source: String
    let root: ExprNode

    public init(_ source: String) throws(ExprParseError) {
        self.source = source
        self.root = try ExprParser.parse(source)
    }

    public var description: String { source }

    /// Evaluates with `result` bound (plus any other variables).
    public func evaluate(result: ExprValue, variables: [String: ExprValue] = [:]) -> Result<ExprValue, ExprEvalError> {
        var vars = variables
        vars["result"] = result
        let ev = ExprEvaluator(variables: vars)
        do {
            return .success(try ev.eval(root, pointer: nil))
        } catch {
            return .failure(error)
        }
    }

    /// Evaluates a condition, which must give true or false.
    public func evaluateCondition(result: ExprValue, variables: [String: ExprValue] = [:]) -> Result<Bool, ExprEvalError> {
        switch evaluate(result: result, variables: variables) {
        case .success(.bool(let b)): return .success(b)
        case .success(let other):
            return .failure(ExprEvalError(message: "condition gave \(other.typeName) \(other), expected true or false"))
        case .failure(let e): return .failure(e)
        }
    }
}

struct ExprEvaluator {
    let variables: [String: ExprValue]
    /// Bounds work on adversarial input (nested `map` over large arrays).
    static let maxArray = 100_000

    func fail(_ m: String) -> ExprEvalError { ExprEvalError(message: m) }

    func eval(_ node: ExprNode, pointer: ExprValue?) throws(ExprEvalError) -> ExprValue {
        switch node {
        case .literal(let v): return v
        case .variable(let name, _):
            guard let v = variables[name] else { throw fail("unknown name \"\(name)\"") }
            return v
        case .pointer:
            guard let p = pointer else { throw fail("\"#\" used outside a predicate such as all(result, {# > 0})") }
            return p
        case .closure(let body):
            return try eval(body, pointer: pointer)
        case .array(let items):
            var out: [ExprValue] = []
            for i in items { out.append(try eval(i, pointer: pointer)) }
            return .array(out)
        case .conditional(let c, let a, let b):
            guard case .bool(let cond) = try eval(c, pointer: pointer) else { throw fail("the condition of ?: is not a bool") }
            return try eval(cond ? a : b, pointer: pointer)
        case .unary(let op, let operand, _):
            let v = try eval(operand, pointer: pointer)
            switch (op, v) {
            case ("!", .bool(let b)): return .bool(!b)
            case ("-", .number(let d)): return .number(-d)
            case ("+", .number(let d)): return .number(d)
            default: throw fail("cannot apply \"\(op == "!" ? "!" : op)\" to \(v.typeName) \(v)")
            }
        case .binary(let op, let l, let r, _):
            return try binary(op, l, r, pointer: pointer)
        case .index(let base, let idx, _):
            return try index(try eval(base, pointer: pointer), try eval(idx, pointer: pointer))
        case .member(let base, let name, _):
            let b = try eval(base, pointer: pointer)
            // expr-lang: a key a map lacks reads as nil.
            if case .object(let o) = b { return o[name] ?? .null }
            throw fail("\(b.typeName) has no field \"\(name)\"")
        case .call(let name, let args, _):
            return try call(name, args, pointer: pointer)
        }
    }

    func binary(_ op: String, _ l: ExprNode, _ r: ExprNode, pointer: ExprValue?) throws(ExprEvalError) -> ExprValue {
        if op == "&&" || op == "||" {
            guard case .bool(let a) = try eval(l, pointer: pointer) else { throw fail("left side of \(op) is not a bool") }
            if op == "&&" && !a { return .bool(false) }
            if op == "||" && a { return .bool(true) }
            guard case .bool(let b) = try eval(r, pointer: pointer) else { throw fail("right side of \(op) is not a bool") }
            return .bool(b)
        }
        let a = try eval(l, pointer: pointer)
        let b = try eval(r, pointer: pointer)
        switch op {
        case "==": return .bool(equal(a, b))
        case "!=": return .bool(!equal(a, b))
        case "in":
            switch (a, b) {
            case (_, .array(let items)): return .bool(items.contains { equal($0, a) })
            case (.string(let s), .string(let t)): return .bool(t.contains(s))
            default: throw fail("cannot use \"in\" with \(b.typeName)")
            }
        case "<", ">", "<=", ">=":
            switch (a, b) {
            case (.number(let x), .number(let y)):
                return .bool(op == "<" ? x < y : op == ">" ? x > y : op == "<=" ? x <= y : x >= y)
            case (.string(let x), .string(let y)):
                return .bool(op == "<" ? x < y : op == ">" ? x > y : op == "<=" ? x <= y : x >= y)
            default:
                throw fail("cannot compare \(a.typeName) \(a) \(op) \(b.typeName) \(b)\(hint(a, b))")
            }
        case "+":
            switch (a, b) {
            case (.number(let x), .number(let y)): return .number(x + y)
            case (.string(let x), .string(let y)): return .string(x + y)
            case (.array(let x), .array(let y)):
                guard x.count + y.count <= Self.maxArray else { throw fail("array too large") }
                return .array(x + y)
            default: throw fail("cannot add \(a.typeName) and \(b.typeName)\(hint(a, b))")
            }
        default:
            guard case .number(let x) = a, case .number(let y) = b else {
                throw fail("cannot apply \"\(op)\" to \(a.typeName) and \(b.typeName)\(hint(a, b))")
            }
            switch op {
            case "-": return .number(x - y)
            case "*": return .number(x * y)
            case "/": return .number(x / y)
            case "%": return .number(fmod(x, y))
            case "**": return .number(pow(x, y))
            default: throw fail("unknown operator \(op)")
            }
        }
    }

    /// Vectors are arrays: point at `result[0]` when someone compares the whole vector.
    func hint(_ a: ExprValue, _ b: ExprValue) -> String {
        if case .array = a, case .number = b { return " (a vector is an array: use result[0])" }
        if case .number = a, case .array = b { return " (a vector is an array: use result[0])" }
        return ""
    }

    func equal(_ a: ExprValue, _ b: ExprValue) -> Bool {
        switch (a, b) {
        case (.number(let x), .number(let y)): return x == y
        case (.array(let x), .array(let y)): return x.count == y.count && zip(x, y).allSatisfy { equal($0, $1) }
        default: return a == b
        }
    }

    func integer(_ v: ExprValue, what: String) throws(ExprEvalError) -> Int {
        guard case .number(let d) = v, d.isFinite, d == d.rounded(), abs(d) < 1e15 else {
            throw fail("\(what) must be a whole number, got \(v)")
        }
        return Int(d)
    }

    func index(_ base: ExprValue, _ idx: ExprValue) throws(ExprEvalError) -> ExprValue {
        switch base {
        case .array(let items):
            var i = try integer(idx, what: "an index")
            if i < 0 { i += items.count }
            guard items.indices.contains(i) else {
                throw fail("index \(idx) out of range (the result has \(items.count) element\(items.count == 1 ? "" : "s"))")
            }
            return items[i]
        case .string(let s):
            let chars = Array(s)
            var i = try integer(idx, what: "an index")
            if i < 0 { i += chars.count }
            guard chars.indices.contains(i) else { throw fail("index \(idx) out of range (string of \(chars.count))") }
            return .string(String(chars[i]))
        case .object(let o):
            guard case .string(let key) = idx else { throw fail("a map's key must be a string, got \(idx.typeName) \(idx)") }
            return o[key] ?? .null
        default:
            throw fail("cannot index \(base.typeName) \(base)")
        }
    }

    func numbers(_ v: ExprValue, _ fn: String) throws(ExprEvalError) -> [Double] {
        guard case .array(let items) = v else {
            if case .number(let d) = v { return [d] }
            throw fail("\(fn) needs an array of numbers, got \(v.typeName)")
        }
        var out: [Double] = []
        for i in items {
            guard case .number(let d) = i else { throw fail("\(fn) needs an array of numbers, found \(i.typeName)") }
            out.append(d)
        }
        return out
    }

    func number(_ v: ExprValue, _ fn: String) throws(ExprEvalError) -> Double {
        guard case .number(let d) = v else {
            throw fail("\(fn) needs a number, got \(v.typeName) \(v)\(v.typeName == "array" ? " (use result[0])" : "")")
        }
        return d
    }

    func call(_ name: String, _ args: [ExprNode], pointer: ExprValue?) throws(ExprEvalError) -> ExprValue {
        func arity(_ n: ClosedRange<Int>) throws(ExprEvalError) {
            guard n.contains(args.count) else {
                let want = n.lowerBound == n.upperBound ? "\(n.lowerBound)" : "\(n.lowerBound)–\(n.upperBound)"
                throw fail("\(name) takes \(want) argument\(n.upperBound == 1 ? "" : "s"), got \(args.count)")
            }
        }
        func arg(_ i: Int) throws(ExprEvalError) -> ExprValue { try eval(args[i], pointer: pointer) }

        if ExprParser.predicateFunctions.contains(name) {
            try arity(2...2)
            guard case .array(let items) = try arg(0) else { throw fail("\(name) needs an array as first argument") }
            guard items.count <= Self.maxArray else { throw fail("array too large") }
            let body = args[1]
            if name == "map" {
                var out: [ExprValue] = []
                for item in items { out.append(try eval(body, pointer: item)) }
                return .array(out)
            }
            var matches: [ExprValue] = []
            for item in items {
                guard case .bool(let b) = try eval(body, pointer: item) else {
                    throw fail("the predicate of \(name) must give true or false")
                }
                if b { matches.append(item) }
                if name == "all" && !b { return .bool(false) }
                if name == "any" && b { return .bool(true) }
            }
            switch name {
            case "all": return .bool(true)
            case "any": return .bool(false)
            case "none": return .bool(matches.isEmpty)
            case "one": return .bool(matches.count == 1)
            case "count": return .number(Double(matches.count))
            default: return .array(matches)
            }
        }

        switch name {
        case "len":
            try arity(1...1)
            switch try arg(0) {
            case .array(let a): return .number(Double(a.count))
            case .string(let s): return .number(Double(s.count))
            case let v: throw fail("len needs an array or string, got \(v.typeName)")
            }
        case "isNaN":
            try arity(1...1)
            return .bool(try number(try arg(0), name).isNaN)
        case "isInf":
            try arity(1...2)
            let d = try number(try arg(0), name)
            let sign = args.count == 2 ? try number(try arg(1), name) : 0
            return .bool(d.isInfinite && (sign == 0 || (sign > 0) == (d > 0)))
        case "default":
            try arity(2...2)
            // An error or nil in the first argument (e.g. result[0] of an empty vector) gives the default.
            if let v = try? eval(args[0], pointer: pointer), v != .null { return v }
            return try arg(1)
        case "abs", "floor", "ceil", "round", "sqrt":
            try arity(1...1)
            let d = try number(try arg(0), name)
            switch name {
            case "abs": return .number(abs(d))
            case "floor": return .number(d.rounded(.down))
            case "ceil": return .number(d.rounded(.up))
            case "round": return .number(d.rounded())
            default: return .number(sqrt(d))
            }
        case "int", "asInt":
            try arity(1...1)
            switch try arg(0) {
            case .number(let d): return .number(d.rounded(.towardZero))
            case .string(let s):
                guard let d = Double(s.trimmingCharacters(in: .whitespaces)) else { throw fail("\(name): \"\(s)\" is not a number") }
                return .number(d.rounded(.towardZero))
            case let v: throw fail("\(name) needs a number or string, got \(v.typeName)")
            }
        case "float", "asFloat":
            try arity(1...1)
            switch try arg(0) {
            case .number(let d): return .number(d)
            case .string(let s):
                guard let d = Double(s.trimmingCharacters(in: .whitespaces)) else { throw fail("\(name): \"\(s)\" is not a number") }
                return .number(d)
            case let v: throw fail("\(name) needs a number or string, got \(v.typeName)")
            }
        case "sum", "mean", "avg", "min", "max", "median":
            try arity(1...Int.max)
            var xs: [Double] = []
            if args.count == 1 {
                xs = try numbers(try arg(0), name)
            } else {
                for i in args.indices { xs.append(try number(try arg(i), name)) }
            }
            if name == "sum" { return .number(xs.reduce(0, +)) }
            guard !xs.isEmpty else { throw fail("\(name) of an empty array") }
            switch name {
            case "mean", "avg": return .number(xs.reduce(0, +) / Double(xs.count))
            case "min": return .number(xs.min()!)
            case "max": return .number(xs.max()!)
            default:
                let s = xs.sorted()
                return .number(s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2)
            }
        case "first", "last":
            try arity(1...1)
            guard case .array(let a) = try arg(0) else { throw fail("\(name) needs an array") }
            return (name == "first" ? a.first : a.last) ?? .null
        default:
            throw fail("unknown function \(name)")
        }
    }
}
