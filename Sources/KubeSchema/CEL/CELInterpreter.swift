/// Evaluates checked expressions, with CEL's error semantics (errors are absorbed by
/// `&&`, `||` and the quantifier macros) and a runtime cost limit per call.
struct CELInterpreter {
    /// Variables; a pending error is held until the variable is read (the accumulator of
    /// a macro whose step failed).
    private var scopes: [[String: Result<CELValue, CELEvalError>]]
    private(set) var cost: UInt64 = 0
    private let limit: UInt64

    /// celconfig.PerCallLimit.
    static let perCallLimit: UInt64 = 1_000_000

    init(variables: [String: CELValue], limit: UInt64 = perCallLimit) {
        scopes = [variables.mapValues { .success($0) }]
        self.limit = limit
    }

    static func evaluate(_ p: CELProgram, variables: [String: CELValue]) -> Result<CELValue, CELEvalError> {
        var i = CELInterpreter(variables: variables)
        do { return .success(try i.eval(p.checked.expr)) } catch { return .failure(error) }
    }

    mutating func charge(_ n: UInt64) throws(CELEvalError) {
        cost = satAdd(cost, n)
        if cost > limit { throw .costExceeded }
    }

    private func lookup(_ name: String) -> Result<CELValue, CELEvalError>? {
        for s in scopes.reversed() { if let v = s[name] { return v } }
        return nil
    }

    private static let typeIdents: [String: String] = [
        "int": "int", "uint": "uint", "double": "double", "bool": "bool", "string": "string", "bytes": "bytes",
        "list": "list", "map": "map", "null_type": "null_type", "type": "type",
    ]

    mutating func eval(_ e: CELExpr) throws(CELEvalError) -> CELValue {
        switch e.kind {
        case .literal(let l):
            switch l {
            case .null: return .null
            case .bool(let b): return .bool(b)
            case .int(let i): return .int(i)
            case .uint(let u): return .uint(u)
            case .double(let d): return .double(d)
            case .string(let s): return .string(s)
            case .bytes(let b): return .bytes(b)
            }
        case .ident(let name):
            try charge(1)
            if let v = lookup(name) { return try v.get() }
            if let t = Self.typeIdents[name] { return .type(t) }
            throw CELEvalError("no such attribute: \(name)")
        case .select(let operand, let field, let testOnly):
            let v = try eval(operand)
            if !testOnly { try charge(1) }
            switch v {
            case .object(let o):
                if testOnly { return .bool(o[field] != nil) }
                guard let f = o[field] else { throw CELEvalError("no such key: \(field)") }
                return f
            case .map(let m):
                if testOnly { return .bool(m[.string(field)] != nil) }
                guard let f = m[.string(field)] else { throw CELEvalError("no such key: \(field)") }
                return f
            default:
                throw CELEvalError("no such overload")
            }
        case .list(let items):
            try charge(CELCostConstants.listCreateBase)
            var out: [CELValue] = []
            out.reserveCapacity(items.count)
            for it in items { out.append(try eval(it)) }
            return .list(out)
        case .map(let entries):
            try charge(CELCostConstants.mapCreateBase)
            var out: [CELKey: CELValue] = [:]
            for en in entries {
                let k = try eval(en.key)
                guard let key = CELKey(k) else { throw CELEvalError("unsupported key type") }
                if out[key] != nil { throw CELEvalError("Failed with repeated key") }
                out[key] = try eval(en.value)
            }
            return .map(out)
        case .comprehension(let c):
            return try comprehension(c)
        case .call(let fn, let target, let args):
            return try call(fn, target, args)
        }
    }

    private mutating func comprehension(_ c: CELComprehension) throws(CELEvalError) -> CELValue {
        let range = try eval(c.iterRange)
        let elems: [CELValue]
        var values: [CELValue] = []
        switch range {
        case .list(let l):
            if c.iterVar2 != nil { elems = l.indices.map { .int(Int64($0)) }; values = l } else { elems = l }
        case .map(let m):
            elems = m.keys.map(\.value)
            if c.iterVar2 != nil { values = m.values.map { $0 } }
        case .object(let o):
            elems = o.keys.map { .string($0) }
            if c.iterVar2 != nil { values = o.values.map { $0 } }
        default: throw CELEvalError("no such overload")
        }
        let initial = try eval(c.accuInit)
        scopes.append([c.accuVar: .success(initial)])
        defer { scopes.removeLast() }
        for (n, el) in elems.enumerated() {
            scopes[scopes.count - 1][c.iterVar] = .success(el)
            if let v2 = c.iterVar2 { scopes[scopes.count - 1][v2] = .success(values[n]) }
            let cond: CELValue
            do { cond = try eval(c.loopCondition) } catch { if error.message == CELEvalError.costExceeded.message { throw error }; cond = .bool(true) }
            if case .bool(false) = cond { break }
            do {
                scopes[scopes.count - 1][c.accuVar] = .success(try eval(c.loopStep))
            } catch {
                if error.message == CELEvalError.costExceeded.message { throw error }
                scopes[scopes.count - 1][c.accuVar] = .failure(error)
            }
        }
        scopes[scopes.count - 1].removeValue(forKey: c.iterVar)
        if let v2 = c.iterVar2 { scopes[scopes.count - 1].removeValue(forKey: v2) }
        return try eval(c.result)
    }

    /// Evaluates, turning an error into a value the logical operators can absorb.
    private mutating func attempt(_ e: CELExpr) throws(CELEvalError) -> Result<CELValue, CELEvalError> {
        do { return .success(try eval(e)) } catch {
            if error.message == CELEvalError.costExceeded.message { throw error }
            return .failure(error)
        }
    }

    private mutating func call(_ fn: String, _ target: CELExpr?, _ args: [CELExpr]) throws(CELEvalError) -> CELValue {
        switch fn {
        case CELOp.logicalAnd, CELOp.logicalOr:
            let decisive = fn == CELOp.logicalOr
            let l = try attempt(args[0])
            if case .success(.bool(let b)) = l, b == decisive { return .bool(decisive) }
            let r = try attempt(args[1])
            if case .success(.bool(let b)) = r, b == decisive { return .bool(decisive) }
            if case .failure(let err) = l { throw err }
            if case .failure(let err) = r { throw err }
            guard case .success(.bool) = l, case .success(.bool) = r else { throw CELEvalError("no such overload") }
            return .bool(!decisive)
        case CELOp.conditional:
            guard case .bool(let c) = try eval(args[0]) else { throw CELEvalError("no such overload") }
            return try eval(c ? args[1] : args[2])
        case CELOp.notStrictlyFalse:
            if case .success(.bool(let b)) = try attempt(args[0]) { return .bool(b) }
            return .bool(true)
        default:
            break
        }
        let t = try target.map { (x: CELExpr) throws(CELEvalError) -> CELValue in try eval(x) }
        var vals: [CELValue] = []
        vals.reserveCapacity(args.count)
        for a in args { vals.append(try eval(a)) }
        return try CELRuntime.call(fn, target: t, args: vals, &self)
    }
}
