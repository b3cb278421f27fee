/// Recursive-descent parser for the CEL grammar, expanding macros (has, all, exists,
/// exists_one, map, filter) into the comprehensions cel-go's parser/macro.go builds.
struct CELParser {
    private var tokens: [(CELToken, Int)] = []
    private var i = 0
    private var nextID = 1
    /// cel-go refuses expressions nested deeper than this (parser.MaxRecursionDepth default).
    private var depth = 0

    static func parse(_ source: String) throws(CELSyntaxError) -> CELExpr {
        var lexer = CELLexer(source)
        var p = CELParser()
        p.tokens = try lexer.tokenize()
        let e = try p.expr()
        if case .eof = p.tok { return e }
        throw p.mismatched("<EOF>")
    }

    private var tok: CELToken { tokens[i].0 }
    private var off: Int { tokens[i].1 }

    private mutating func make(_ offset: Int, _ kind: CELExpr.Kind) -> CELExpr {
        defer { nextID += 1 }
        return CELExpr(id: nextID, offset: offset, kind: kind)
    }

    private func isPunct(_ p: String) -> Bool { tok == .punct(p) }

    private mutating func accept(_ p: String) -> Bool {
        if isPunct(p) { i += 1; return true }
        return false
    }

    private func describe(_ t: CELToken) -> String {
        switch t {
        case .eof: return "'<EOF>'"
        case .punct(let p): return "'\(p)'"
        case .ident(let s): return "'\(s)'"
        case .int(let v): return "'\(v)'"
        case .uint(let v): return "'\(v)u'"
        case .double(let v): return "'\(v)'"
        case .string(let s): return "'\"\(s)\"'"
        case .bytes: return "bytes"
        }
    }

    /// ANTLR's wording, as cel-go reports syntax errors.
    private func mismatched(_ expecting: String) -> CELSyntaxError {
        CELSyntaxError(offset: off, message: "Syntax error: mismatched input \(describe(tok)) expecting \(expecting)")
    }

    private mutating func expect(_ p: String) throws(CELSyntaxError) {
        guard accept(p) else { throw CELSyntaxError(offset: off, message: "Syntax error: missing '\(p)' at \(describe(tok))") }
    }

    private mutating func expr() throws(CELSyntaxError) -> CELExpr {
        depth += 1
        defer { depth -= 1 }
        if depth > 250 { throw CELSyntaxError(offset: off, message: "expression recursion limit exceeded") }
        let cond = try orExpr()
        guard isPunct("?") else { return cond }
        let o = off
        i += 1
        let t = try orExpr()
        try expect(":")
        let f = try expr()
        return make(o, .call(function: CELOp.conditional, target: nil, args: [cond, t, f]))
    }

    private mutating func orExpr() throws(CELSyntaxError) -> CELExpr {
        var lhs = try andExpr()
        while isPunct("||") {
            let o = off
            i += 1
            let rhs = try andExpr()
            lhs = make(o, .call(function: CELOp.logicalOr, target: nil, args: [lhs, rhs]))
        }
        return lhs
    }

    private mutating func andExpr() throws(CELSyntaxError) -> CELExpr {
        var lhs = try relation()
        while isPunct("&&") {
            let o = off
            i += 1
            let rhs = try relation()
            lhs = make(o, .call(function: CELOp.logicalAnd, target: nil, args: [lhs, rhs]))
        }
        return lhs
    }

    private static let relOps: [String: String] = [
        "<": CELOp.less, "<=": CELOp.lessEquals, ">": CELOp.greater, ">=": CELOp.greaterEquals,
        "==": CELOp.equals, "!=": CELOp.notEquals,
    ]

    private mutating func relation() throws(CELSyntaxError) -> CELExpr {
        var lhs = try addition()
        while true {
            let o = off
            if case .punct(let p) = tok, let fn = Self.relOps[p] {
                i += 1
                let rhs = try addition()
                lhs = make(o, .call(function: fn, target: nil, args: [lhs, rhs]))
            } else if tok == .ident("in") {
                i += 1
                let rhs = try addition()
                lhs = make(o, .call(function: CELOp.in, target: nil, args: [lhs, rhs]))
            } else {
                return lhs
            }
        }
    }

    private mutating func addition() throws(CELSyntaxError) -> CELExpr {
        var lhs = try multiplication()
        while isPunct("+") || isPunct("-") {
            let fn = isPunct("+") ? CELOp.add : CELOp.subtract
            let o = off
            i += 1
            let rhs = try multiplication()
            lhs = make(o, .call(function: fn, target: nil, args: [lhs, rhs]))
        }
        return lhs
    }

    private mutating func multiplication() throws(CELSyntaxError) -> CELExpr {
        var lhs = try unary()
        while isPunct("*") || isPunct("/") || isPunct("%") {
            let fn = isPunct("*") ? CELOp.multiply : isPunct("/") ? CELOp.divide : CELOp.modulo
            let o = off
            i += 1
            let rhs = try unary()
            lhs = make(o, .call(function: fn, target: nil, args: [lhs, rhs]))
        }
        return lhs
    }

    private mutating func unary() throws(CELSyntaxError) -> CELExpr {
        if isPunct("!") {
            let o = off
            var n = 0
            while accept("!") { n += 1 }
            let m = try member()
            // As cel-go: an even run of operators cancels out.
            return n % 2 == 0 ? m : make(o, .call(function: CELOp.logicalNot, target: nil, args: [m]))
        }
        if isPunct("-") {
            let o = off
            var n = 0
            while accept("-") { n += 1 }
            // A single minus directly before a number is part of the literal.
            if n == 1 {
                switch tok {
                case .int(let v): i += 1; return try postfix(make(o, .literal(.int(-v))))
                case .uint(let v) where v == UInt64(Int64.max) + 1: i += 1; return try postfix(make(o, .literal(.int(Int64.min))))
                case .double(let v): i += 1; return try postfix(make(o, .literal(.double(-v))))
                default: break
                }
            }
            let m = try member()
            return n % 2 == 0 ? m : make(o, .call(function: CELOp.negate, target: nil, args: [m]))
        }
        return try member()
    }

    private mutating func member() throws(CELSyntaxError) -> CELExpr {
        try postfix(try primary())
    }

    private mutating func postfix(_ base: CELExpr) throws(CELSyntaxError) -> CELExpr {
        var e = base
        while true {
            if isPunct(".") {
                let o = off
                i += 1
                guard case .ident(let name) = tok else { throw mismatched("IDENTIFIER") }
                i += 1
                if isPunct("(") {
                    let open = off
                    i += 1
                    let args = try exprList(close: ")")
                    e = try receiverCall(open, name, target: e, args: args)
                } else {
                    e = make(o, .select(operand: e, field: name, testOnly: false))
                }
            } else if isPunct("[") {
                let o = off
                i += 1
                let index = try expr()
                try expect("]")
                e = make(o, .call(function: CELOp.index, target: nil, args: [e, index]))
            } else {
                return e
            }
        }
    }

    private mutating func exprList(close: String) throws(CELSyntaxError) -> [CELExpr] {
        var out: [CELExpr] = []
        if accept(close) { return out }
        while true {
            out.append(try expr())
            if accept(close) { return out }
            guard accept(",") else { throw CELSyntaxError(offset: off, message: "Syntax error: missing '\(close)' at \(describe(tok))") }
            if accept(close) { return out }  // trailing comma
        }
    }

    private mutating func primary() throws(CELSyntaxError) -> CELExpr {
        let o = off
        switch tok {
        case .int(let v): i += 1; return make(o, .literal(.int(v)))
        case .uint(let v):
            i += 1
            return make(o, .literal(.uint(v)))
        case .double(let v): i += 1; return make(o, .literal(.double(v)))
        case .string(let s): i += 1; return make(o, .literal(.string(s)))
        case .bytes(let b): i += 1; return make(o, .literal(.bytes(b)))
        case .ident(let name):
            i += 1
            switch name {
            case "true": return make(o, .literal(.bool(true)))
            case "false": return make(o, .literal(.bool(false)))
            case "null": return make(o, .literal(.null))
            default: break
            }
            if Self.reserved.contains(name) {
                throw CELSyntaxError(offset: o, message: "reserved identifier: \(name)")
            }
            if isPunct("(") {
                let open = off
                i += 1
                let args = try exprList(close: ")")
                return try globalCall(open, name, args: args)
            }
            return make(o, .ident(name))
        case .punct("."):
            // A leading dot names the root container: `.name` resolves like `name` here.
            i += 1
            return try primary()
        case .punct("("):
            i += 1
            let e = try expr()
            try expect(")")
            return e
        case .punct("["):
            i += 1
            let items = try exprList(close: "]")
            return make(o, .list(items))
        case .punct("{"):
            i += 1
            var entries: [CELMapEntry] = []
            if accept("}") { return make(o, .map(entries)) }
            while true {
                let k = try expr()
                try expect(":")
                let v = try expr()
                entries.append(CELMapEntry(key: k, value: v))
                if accept("}") { break }
                try expect(",")
                if accept("}") { break }
            }
            return make(o, .map(entries))
        default:
            throw mismatched("{'[', '{', '(', '.', '-', '!', 'true', 'false', 'null', NUM_FLOAT, NUM_INT, NUM_UINT, STRING, BYTES, IDENTIFIER}")
        }
    }

    static let reserved: Set<String> = [
        "as", "break", "const", "continue", "else", "for", "function", "if", "import", "let", "loop",
        "package", "namespace", "return", "var", "void", "while", "in",
    ]

    // MARK: - Macros

    private mutating func globalCall(_ o: Int, _ name: String, args: [CELExpr]) throws(CELSyntaxError) -> CELExpr {
        if name == "has", args.count == 1 {
            guard case .select(let operand, let field, false) = args[0].kind else {
                throw CELSyntaxError(offset: args[0].offset, message: "invalid argument to has() macro")
            }
            return make(o, .select(operand: operand, field: field, testOnly: true))
        }
        return make(o, .call(function: name, target: nil, args: args))
    }

    /// cel-go ext TwoVarComprehensions: (index or key, value) iteration.
    private mutating func twoVariable(_ o: Int, _ name: String, target: CELExpr, args: [CELExpr]) throws(CELSyntaxError) -> CELExpr {
        guard case .ident(let k) = args[0].kind else { throw CELSyntaxError(offset: args[0].offset, message: "argument must be a simple name") }
        guard case .ident(let v) = args[1].kind else { throw CELSyntaxError(offset: args[1].offset, message: "argument must be a simple name") }
        if k == v { throw CELSyntaxError(offset: args[1].offset, message: "duplicate variable name: \(v)") }
        let initial: CELExpr, condition: CELExpr, step: CELExpr, result: CELExpr
        switch name {
        case "all":
            initial = make(o, .literal(.bool(true)))
            condition = call(o, CELOp.notStrictlyFalse, accu(o))
            step = call(o, CELOp.logicalAnd, accu(o), args[2])
            result = accu(o)
        case "exists":
            initial = make(o, .literal(.bool(false)))
            let notAccu = call(o, CELOp.logicalNot, accu(o))
            condition = call(o, CELOp.notStrictlyFalse, notAccu)
            step = call(o, CELOp.logicalOr, accu(o), args[2])
            result = accu(o)
        case "transformList":
            initial = make(o, .list([]))
            condition = make(o, .literal(.bool(true)))
            let single = make(o, .list([args.count == 4 ? args[3] : args[2]]))
            let append = call(o, CELOp.add, accu(o), single)
            step = args.count == 4 ? call(o, CELOp.conditional, args[2], append, accu(o)) : append
            result = accu(o)
        default:  // existsOne
            initial = make(o, .literal(.int(0)))
            condition = make(o, .literal(.bool(true)))
            let one = make(o, .literal(.int(1)))
            let inc = call(o, CELOp.add, accu(o), one)
            step = call(o, CELOp.conditional, args[2], inc, accu(o))
            let one2 = make(o, .literal(.int(1)))
            result = call(o, CELOp.equals, accu(o), one2)
        }
        return make(o, .comprehension(CELComprehension(
            iterRange: target, iterVar: k, iterVar2: v, accuVar: CELOp.accumulator, accuInit: initial,
            loopCondition: condition, loopStep: step, result: result)))
    }

    private mutating func accu(_ o: Int) -> CELExpr { make(o, .ident(CELOp.accumulator)) }

    private mutating func call(_ o: Int, _ fn: String, _ args: CELExpr...) -> CELExpr {
        make(o, .call(function: fn, target: nil, args: args))
    }

    private mutating func receiverCall(_ o: Int, _ name: String, target: CELExpr, args: [CELExpr]) throws(CELSyntaxError) -> CELExpr {
        if ["all", "exists", "exists_one", "existsOne"].contains(name) && args.count == 3 || name == "transformList" && (args.count == 3 || args.count == 4) {
            return try twoVariable(o, name, target: target, args: args)
        }
        let isQuantifier = ["all", "exists", "exists_one"].contains(name) && args.count == 2
        let isMap = name == "map" && (args.count == 2 || args.count == 3)
        let isFilter = name == "filter" && args.count == 2
        if name == "bind", args.count == 3, case .ident("cel") = target.kind {
            // cel.bind(v, init, expr): a comprehension over nothing whose accumulator is v (ext.Bindings).
            guard case .ident(let v) = args[0].kind else {
                throw CELSyntaxError(offset: args[0].offset, message: "cel.bind() variable names must be simple identifiers")
            }
            let empty = make(o, .list([]))
            let never = make(o, .literal(.bool(false)))
            let step = make(o, .ident(v))
            return make(o, .comprehension(CELComprehension(
                iterRange: empty, iterVar: "#unused", iterVar2: nil, accuVar: v, accuInit: args[1], loopCondition: never, loopStep: step, result: args[2])))
        }
        guard isQuantifier || isMap || isFilter else {
            // Namespaced functions (`ip.isCanonical(s)`) are global calls, as cel-go resolves them.
            if case .ident(let ns) = target.kind, CELOverloads.table["\(ns).\(name)"] != nil {
                return make(o, .call(function: "\(ns).\(name)", target: nil, args: args))
            }
            return make(o, .call(function: name, target: target, args: args))
        }
        guard case .ident(let v) = args[0].kind else {
            throw CELSyntaxError(offset: args[0].offset, message: "argument must be a simple name")
        }
        if v == CELOp.accumulator || v == "__result__" {
            throw CELSyntaxError(offset: args[0].offset, message: "iteration variable overwrites accumulator variable")
        }
        let initial: CELExpr, condition: CELExpr, step: CELExpr, result: CELExpr
        switch name {
        case "all":
            initial = make(o, .literal(.bool(true)))
            condition = call(o, CELOp.notStrictlyFalse, accu(o))
            step = call(o, CELOp.logicalAnd, accu(o), args[1])
            result = accu(o)
        case "exists":
            initial = make(o, .literal(.bool(false)))
            let notAccu = call(o, CELOp.logicalNot, accu(o))
            condition = call(o, CELOp.notStrictlyFalse, notAccu)
            step = call(o, CELOp.logicalOr, accu(o), args[1])
            result = accu(o)
        case "exists_one":
            initial = make(o, .literal(.int(0)))
            condition = make(o, .literal(.bool(true)))
            let one = make(o, .literal(.int(1)))
            let inc = call(o, CELOp.add, accu(o), one)
            step = call(o, CELOp.conditional, args[1], inc, accu(o))
            let one2 = make(o, .literal(.int(1)))
            result = call(o, CELOp.equals, accu(o), one2)
        case "map":
            initial = make(o, .list([]))
            condition = make(o, .literal(.bool(true)))
            let fn = args.count == 3 ? args[2] : args[1]
            let single = make(o, .list([fn]))
            let append = call(o, CELOp.add, accu(o), single)
            step = args.count == 3 ? call(o, CELOp.conditional, args[1], append, accu(o)) : append
            result = accu(o)
        default:  // filter
            initial = make(o, .list([]))
            condition = make(o, .literal(.bool(true)))
            let single = make(o, .list([args[0]]))
            let append = call(o, CELOp.add, accu(o), single)
            step = call(o, CELOp.conditional, args[1], append, accu(o))
            result = accu(o)
        }
        return make(o, .comprehension(CELComprehension(
            iterRange: target, iterVar: v, iterVar2: nil, accuVar: CELOp.accumulator, accuInit: initial,
            loopCondition: condition, loopStep: step, result: result)))
    }
}
