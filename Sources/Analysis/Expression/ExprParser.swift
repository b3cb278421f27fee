indirect enum ExprNode: Sendable, Hashable {
    case literal(ExprValue)
    case variable(String, Int)
    /// `#`, the current element inside a predicate.
    case pointer(Int)
    case unary(String, ExprNode, Int)
    case binary(String, ExprNode, ExprNode, Int)
    case index(ExprNode, ExprNode, Int)
    case member(ExprNode, String, Int)
    case call(String, [ExprNode], Int)
    /// `{ … }` body of a predicate.
    case closure(ExprNode)
    case array([ExprNode])
    case conditional(ExprNode, ExprNode, ExprNode)
}

/// Recursive-descent parser for the condition language (the subset of expr-lang that Argo
/// Rollouts conditions use). Precedence, loosest first: `?:`, `||`/`or`, `&&`/`and`,
/// comparisons and `in`, `+ -`, `* / %`, `** ^`, unary `! not -`, postfix `[i]` `.name` calls.
struct ExprParser {
    private let tokens: [ExprToken]
    private var pos = 0
    private var depth = 0
    static let maxDepth = 128

    static let predicateFunctions: Set<String> = ["all", "any", "none", "one", "filter", "map", "count"]

    static func parse(_ text: String) throws(ExprParseError) -> ExprNode {
        var p = ExprParser(tokens: try ExprLexer.tokenize(text))
        let node = try p.expression()
        guard case .end = p.current.kind else { throw p.unexpected() }
        return node
    }

    private init(tokens: [ExprToken]) { self.tokens = tokens }

    private var current: ExprToken { tokens[pos] }

    private mutating func advance() { if pos < tokens.count - 1 { pos += 1 } }

    private func isOp(_ s: String) -> Bool { current.kind == .op(s) }
    private func isKeyword(_ s: String) -> Bool { current.kind == .identifier(s) }

    private func unexpected() -> ExprParseError {
        switch current.kind {
        case .end: return ExprParseError(position: current.position, message: "unexpected end of expression")
        case .number(let d): return ExprParseError(position: current.position, message: "unexpected number \(ExprValue.format(d))")
        case .string(let s): return ExprParseError(position: current.position, message: "unexpected string \"\(s)\"")
        case .identifier(let s): return ExprParseError(position: current.position, message: "unexpected \"\(s)\"")
        case .pointer: return ExprParseError(position: current.position, message: "unexpected \"#\"")
        case .op(let s): return ExprParseError(position: current.position, message: "unexpected \"\(s)\"")
        }
    }

    private mutating func expect(_ op: String) throws(ExprParseError) {
        guard isOp(op) else {
            var e = unexpected()
            e.message += ", expected \"\(op)\""
            throw e
        }
        advance()
    }

    private mutating func enter() throws(ExprParseError) {
        depth += 1
        if depth > Self.maxDepth {
            throw ExprParseError(position: current.position, message: "expression nested too deeply")
        }
    }

    mutating func expression() throws(ExprParseError) -> ExprNode {
        try enter()
        defer { depth -= 1 }
        let cond = try orExpr()
        if isOp("?") {
            advance()
            let a = try expression()
            try expect(":")
            let b = try expression()
            return .conditional(cond, a, b)
        }
        return cond
    }

    private mutating func orExpr() throws(ExprParseError) -> ExprNode {
        var lhs = try andExpr()
        while isOp("||") || isKeyword("or") {
            let p = current.position
            advance()
            lhs = .binary("||", lhs, try andExpr(), p)
        }
        return lhs
    }

    private mutating func andExpr() throws(ExprParseError) -> ExprNode {
        var lhs = try comparison()
        while isOp("&&") || isKeyword("and") {
            let p = current.position
            advance()
            lhs = .binary("&&", lhs, try comparison(), p)
        }
        return lhs
    }

    private mutating func comparison() throws(ExprParseError) -> ExprNode {
        var lhs = try additive()
        while true {
            let p = current.position
            if case .op(let o) = current.kind, ["==", "!=", "<", ">", "<=", ">="].contains(o) {
                advance()
                lhs = .binary(o, lhs, try additive(), p)
            } else if isKeyword("in") {
                advance()
                lhs = .binary("in", lhs, try additive(), p)
            } else if isKeyword("not"), pos + 1 < tokens.count, tokens[pos + 1].kind == .identifier("in") {
                advance()
                advance()
                lhs = .unary("!", .binary("in", lhs, try additive(), p), p)
            } else {
                return lhs
            }
        }
    }

    private mutating func additive() throws(ExprParseError) -> ExprNode {
        var lhs = try multiplicative()
        while case .op(let o) = current.kind, o == "+" || o == "-" {
            let p = current.position
            advance()
            lhs = .binary(o, lhs, try multiplicative(), p)
        }
        return lhs
    }

    private mutating func multiplicative() throws(ExprParseError) -> ExprNode {
        var lhs = try power()
        while case .op(let o) = current.kind, o == "*" || o == "/" || o == "%" {
            let p = current.position
            advance()
            lhs = .binary(o, lhs, try power(), p)
        }
        return lhs
    }

    private mutating func power() throws(ExprParseError) -> ExprNode {
        let base = try unary()
        if case .op(let o) = current.kind, o == "**" || o == "^" {
            let p = current.position
            advance()
            try enter()
            defer { depth -= 1 }
            return .binary("**", base, try power(), p)
        }
        return base
    }

    private mutating func unary() throws(ExprParseError) -> ExprNode {
        let p = current.position
        if isOp("!") || isKeyword("not") {
            advance()
            try enter()
            defer { depth -= 1 }
            return .unary("!", try unary(), p)
        }
        if isOp("-") || isOp("+") {
            let o = isOp("-") ? "-" : "+"
            advance()
            try enter()
            defer { depth -= 1 }
            return .unary(o, try unary(), p)
        }
        return try postfix()
    }

    private mutating func postfix() throws(ExprParseError) -> ExprNode {
        var node = try primary()
        while true {
            let p = current.position
            if isOp("[") {
                advance()
                let i = try expression()
                try expect("]")
                node = .index(node, i, p)
            } else if isOp(".") {
                advance()
                guard case .identifier(let name) = current.kind else { throw unexpected() }
                advance()
                node = .member(node, name, p)
            } else {
                return node
            }
        }
    }

    private mutating func primary() throws(ExprParseError) -> ExprNode {
        let tok = current
        switch tok.kind {
        case .number(let d):
            advance()
            return .literal(.number(d))
        case .string(let s):
            advance()
            return .literal(.string(s))
        case .pointer:
            advance()
            return .pointer(tok.position)
        case .op("."):
            // expr-lang's `.field` inside a predicate: a member of the current element `#`.
            advance()
            guard case .identifier(let name) = current.kind else { throw unexpected() }
            advance()
            return .member(.pointer(tok.position), name, tok.position)
        case .identifier(let name):
            advance()
            switch name {
            case "true": return .literal(.bool(true))
            case "false": return .literal(.bool(false))
            case "nil", "null": return .literal(.null)
            case "NaN": return .literal(.number(.nan))
            case "Inf": return .literal(.number(.infinity))
            case "and", "or", "in", "not": throw ExprParseError(position: tok.position, message: "unexpected \"\(name)\"")
            default: break
            }
            guard isOp("(") else { return .variable(name, tok.position) }
            advance()
            var args: [ExprNode] = []
            if !isOp(")") {
                while true {
                    let isPredicateArg = Self.predicateFunctions.contains(name) && args.count == 1
                    if isOp("{") {
                        advance()
                        let body = try expression()
                        try expect("}")
                        args.append(.closure(body))
                    } else if isPredicateArg {
                        args.append(.closure(try expression()))
                    } else {
                        args.append(try expression())
                    }
                    if isOp(",") { advance(); continue }
                    break
                }
            }
            try expect(")")
            return .call(name, args, tok.position)
        case .op("("):
            advance()
            let e = try expression()
            try expect(")")
            return e
        case .op("["):
            advance()
            var items: [ExprNode] = []
            if !isOp("]") {
                while true {
                    items.append(try expression())
                    if isOp(",") { advance(); if isOp("]") { break }; continue }
                    break
                }
            }
            try expect("]")
            return .array(items)
        default:
            throw unexpected()
        }
    }
}
