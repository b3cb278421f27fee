import Foundation

/// One `{{ … }}` action of a query template, evaluated as Go's text/template does for the
/// parts Flagger's templates use: a pipeline of commands, each a function call, a model
/// name, a literal or a parenthesized pipeline.
struct GoTemplateAction {
    let source: String
    let position: Int
    let values: [String: String]

    typealias Failure = QueryTemplate.MissingVariable

    enum Value: Equatable {
        case string(String)
        case int(Int)
        case double(Double)
        case bool(Bool)

        var text: String {
            switch self {
            case .string(let s): return s
            case .int(let i): return String(i)
            case .double(let d): return d == d.rounded() && abs(d) < 1e21 ? String(format: "%.0f", d) : String(d)
            case .bool(let b): return b ? "true" : "false"
            }
        }

        var truthy: Bool {
            switch self {
            case .string(let s): return !s.isEmpty
            case .int(let i): return i != 0
            case .double(let d): return d != 0
            case .bool(let b): return b
            }
        }
    }

    enum Token: Equatable {
        case word(String)
        case literal(Value)
        case open, close, pipe
    }

    static let controlWords: Set<String> = ["if", "else", "end", "range", "with", "define", "template", "block", "break", "continue"]

    func fail(_ problem: String) -> Failure { Failure(name: source, position: position, problem: problem) }

    func render() throws(Failure) -> String {
        let body = source.trimmingCharacters(in: .whitespaces)
        if body.hasPrefix("/*") && body.hasSuffix("*/") { return "" }
        var tokens = try tokenize(body)
        if case .word(let w)? = tokens.first, Self.controlWords.contains(w) {
            throw fail("{{ \(w) }} is not supported in metric queries; write the query without control actions")
        }
        if tokens.isEmpty { throw fail("empty action") }
        let v = try pipeline(&tokens)
        if !tokens.isEmpty { throw fail("unexpected \")\"") }
        return v.text
    }

    func tokenize(_ s: String) throws(Failure) -> [Token] {
        let c = Array(s)
        var out: [Token] = []
        var i = 0
        while i < c.count {
            let ch = c[i]
            if ch.isWhitespace { i += 1; continue }
            if ch == "(" { out.append(.open); i += 1; continue }
            if ch == ")" { out.append(.close); i += 1; continue }
            if ch == "|" { out.append(.pipe); i += 1; continue }
            if ch == "\"" {
                var j = i + 1, text = ""
                while j < c.count, c[j] != "\"" {
                    if c[j] == "\\", j + 1 < c.count {
                        j += 1
                        switch c[j] {
                        case "n": text.append("\n")
                        case "t": text.append("\t")
                        default: text.append(c[j])
                        }
                    } else {
                        text.append(c[j])
                    }
                    j += 1
                }
                guard j < c.count else { throw fail("unterminated quoted string") }
                out.append(.literal(.string(text)))
                i = j + 1
                continue
            }
            if ch == "`" {
                guard let end = c[(i + 1)...].firstIndex(of: "`") else { throw fail("unterminated raw string") }
                out.append(.literal(.string(String(c[(i + 1)..<end]))))
                i = end + 1
                continue
            }
            var j = i
            while j < c.count, !c[j].isWhitespace, !"()|\"`".contains(c[j]) { j += 1 }
            let word = String(c[i..<j])
            if let n = Int(word) {
                out.append(.literal(.int(n)))
            } else if let d = Double(word), word.first?.isNumber == true || word.first == "-" {
                out.append(.literal(.double(d)))
            } else if word == "true" || word == "false" {
                out.append(.literal(.bool(word == "true")))
            } else {
                out.append(.word(word))
            }
            i = j
        }
        return out
    }

    /// command ('|' command)*; a piped value is the last argument of the next command.
    func pipeline(_ tokens: inout [Token]) throws(Failure) -> Value {
        var value = try command(&tokens, piped: nil)
        while tokens.first == .pipe {
            tokens.removeFirst()
            value = try command(&tokens, piped: value)
        }
        return value
    }

    func command(_ tokens: inout [Token], piped: Value?) throws(Failure) -> Value {
        guard let head = tokens.first, head != .pipe, head != .close else { throw fail("missing command") }
        var operands: [Token] = []
        // Collect this command's operands up to '|' or ')' (parenthesized pipelines evaluated in place).
        while let t = tokens.first, t != .pipe, t != .close {
            tokens.removeFirst()
            if t == .open {
                let v = try pipeline(&tokens)
                guard tokens.first == .close else { throw fail("missing \")\"") }
                tokens.removeFirst()
                operands.append(.literal(v))
            } else {
                operands.append(t)
            }
        }
        guard case .word(let name) = operands[0], Self.functionNames.contains(name) else {
            // A value: a model name, a literal or a parenthesized pipeline.
            guard operands.count == 1, piped == nil else {
                throw fail("\(describe(operands[0])) is not a function and takes no arguments")
            }
            return try operand(operands[0])
        }
        var args = try operands.dropFirst().map { (t) throws(Failure) -> Value in try operand(t) }
        if let piped { args.append(piped) }
        return try call(name, args)
    }

    func describe(_ t: Token) -> String {
        switch t {
        case .word(let w): return w
        case .literal(let v): return "\"\(v.text)\""
        default: return "\"(\""
        }
    }

    /// A model name (`namespace`, `variables.X`, `.target`, `args.X`) or a literal.
    func operand(_ t: Token) throws(Failure) -> Value {
        switch t {
        case .literal(let v): return v
        case .word(var w):
            if w.hasPrefix(".") { w.removeFirst() }
            if let v = values[w] { return .string(v) }
            if Self.functionNames.contains(w) { return try call(w, []) }
            throw Failure(name: w, position: position)
        default:
            throw fail("unexpected token")
        }
    }

    static let functionNames: Set<String> = [
        "printf", "print", "println", "len", "index", "eq", "ne", "lt", "le", "gt", "ge", "and", "or", "not", "urlquery",
    ]

    func call(_ name: String, _ args: [Value]) throws(Failure) -> Value {
        func need(_ n: Int) throws(Failure) {
            if args.count != n { throw fail("\(name) takes \(n) argument\(n == 1 ? "" : "s"), got \(args.count)") }
        }
        switch name {
        case "printf":
            guard case .string(let format)? = args.first else { throw fail("printf needs a format string first") }
            return .string(GoPrintf.format(format, Array(args.dropFirst())))
        case "print":
            // Go's fmt.Sprint: a space between operands when neither is a string.
            var out = ""
            for (k, a) in args.enumerated() {
                if k > 0, !isString(a), !isString(args[k - 1]) { out += " " }
                out += a.text
            }
            return .string(out)
        case "println": return .string(args.map(\.text).joined(separator: " ") + "\n")
        case "len":
            try need(1)
            return .int(args[0].text.utf8.count)
        case "index":
            guard args.count == 2, case .string(let s) = args[0], case .int(let i) = args[1] else {
                throw fail("index takes a string and a position")
            }
            let bytes = Array(s.utf8)
            guard bytes.indices.contains(i) else { throw fail("index \(i) out of range") }
            return .int(Int(bytes[i]))
        case "eq", "ne", "lt", "le", "gt", "ge":
            try need(2)
            return .bool(try compare(name, args[0], args[1]))
        case "and":
            guard !args.isEmpty else { throw fail("and needs arguments") }
            return args.first { !$0.truthy } ?? args.last!
        case "or":
            guard !args.isEmpty else { throw fail("or needs arguments") }
            return args.first { $0.truthy } ?? args.last!
        case "not":
            try need(1)
            return .bool(!args[0].truthy)
        case "urlquery":
            var allowed = CharacterSet.alphanumerics
            allowed.insert(charactersIn: "-._~")
            let joined = args.map(\.text).joined()
            return .string((joined.addingPercentEncoding(withAllowedCharacters: allowed) ?? joined)
                .replacingOccurrences(of: "%20", with: "+"))
        default:
            throw Failure(name: name, position: position)
        }
    }

    func isString(_ v: Value) -> Bool { if case .string = v { return true } else { return false } }

    func compare(_ op: String, _ a: Value, _ b: Value) throws(Failure) -> Bool {
        let order: ComparisonResult
        switch (a, b) {
        case let (.string(x), .string(y)): order = x < y ? .orderedAscending : x == y ? .orderedSame : .orderedDescending
        case let (.int(x), .int(y)): order = x < y ? .orderedAscending : x == y ? .orderedSame : .orderedDescending
        case let (.bool(x), .bool(y)):
            guard op == "eq" || op == "ne" else { throw fail("\(op) cannot order booleans") }
            order = x == y ? .orderedSame : .orderedAscending
        default:
            let x = Double(a.text), y = Double(b.text)
            guard let x, let y else { throw fail("\(op) cannot compare \(a.text) with \(b.text)") }
            order = x < y ? .orderedAscending : x == y ? .orderedSame : .orderedDescending
        }
        switch op {
        case "eq": return order == .orderedSame
        case "ne": return order != .orderedSame
        case "lt": return order == .orderedAscending
        case "le": return order != .orderedDescending
        case "gt": return order == .orderedDescending
        default: return order != .orderedAscending
        }
    }
}

/// Go's `fmt.Sprintf` for the verbs queries use: %s %v %d %q %f (with precision) %x %%;
/// a verb whose operand does not fit is written as Go writes it (`%!d(string=web)`).
enum GoPrintf {
    static func format(_ format: String, _ args: [GoTemplateAction.Value]) -> String {
        let c = Array(format)
        var out = ""
        var next = 0
        var i = 0
        while i < c.count {
            guard c[i] == "%", i + 1 < c.count else { out.append(c[i]); i += 1; continue }
            var j = i + 1
            var precision: Int?
            if c[j] == "." {
                var digits = ""
                j += 1
                while j < c.count, c[j].isNumber { digits.append(c[j]); j += 1 }
                precision = Int(digits) ?? 0
            }
            guard j < c.count else { out += String(c[i...]); break }
            let verb = c[j]
            i = j + 1
            if verb == "%" { out += "%"; continue }
            guard next < args.count else { out += "%!\(verb)(MISSING)"; continue }
            let a = args[next]
            next += 1
            switch (verb, a) {
            case ("s", _), ("v", _): out += a.text
            case ("q", .string(let s)): out += "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
            case ("d", .int(let n)): out += String(n)
            case ("x", .int(let n)): out += String(n, radix: 16)
            case ("x", .string(let s)): out += s.utf8.map { String(format: "%02x", $0) }.joined()
            case ("f", .double(let d)): out += String(format: "%.\(precision ?? 6)f", d)
            case ("f", .int(let n)): out += "%!f(int=\(n))"
            default: out += "%!\(verb)(\(typeName(a))=\(a.text))"
            }
        }
        if next < args.count {
            out += "%!(EXTRA " + args[next...].map { "\(typeName($0))=\($0.text)" }.joined(separator: ", ") + ")"
        }
        return out
    }

    static func typeName(_ v: GoTemplateAction.Value) -> String {
        switch v {
        case .string: return "string"
        case .int: return "int"
        case .double: return "float64"
        case .bool: return "bool"
        }
    }
}
