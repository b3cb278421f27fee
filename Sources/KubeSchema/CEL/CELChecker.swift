/// A type-checked expression: the type and candidate overloads of every node.
struct CELChecked: Sendable {
    let expr: CELExpr
    let types: [Int: CELType]
    let overloads: [Int: [String]]
    let usesOldSelf: Bool

    var resultType: CELType { types[expr.id] ?? .dyn }
}

struct CELCheckErrors: Error {
    let errors: [CELCheckError]
}

struct CELCheckError: Error {
    let offset: Int
    let message: String
}

/// Type checks an expression against the declared variables, as cel-go's checker does
/// for what schema-declared rules contain, collecting every error.
struct CELChecker {
    private var types: [Int: CELType] = [:]
    private var overloads: [Int: [String]] = [:]
    private var scopes: [[String: CELType]]
    private(set) var errors: [CELCheckError] = []
    private var usesOldSelf = false

    static func check(_ e: CELExpr, variables: [String: CELType]) -> Result<CELChecked, CELCheckErrors> {
        var c = CELChecker(scopes: [variables])
        _ = c.visit(e)
        if !c.errors.isEmpty { return .failure(CELCheckErrors(errors: c.errors)) }
        return .success(CELChecked(expr: e, types: c.types, overloads: c.overloads, usesOldSelf: c.usesOldSelf))
    }

    private init(scopes: [[String: CELType]]) { self.scopes = scopes }

    private static let typeNames: Set<String> = ["int", "uint", "double", "bool", "string", "bytes", "list", "map", "null_type", "type"]

    private func lookup(_ name: String) -> CELType? {
        for s in scopes.reversed() { if let t = s[name] { return t } }
        return nil
    }

    private mutating func fail(_ e: CELExpr, _ msg: String) -> CELType {
        errors.append(CELCheckError(offset: e.offset, message: msg))
        types[e.id] = .error
        return .error
    }

    @discardableResult
    private mutating func visit(_ e: CELExpr) -> CELType {
        let t = infer(e)
        types[e.id] = t
        return t
    }

    private mutating func infer(_ e: CELExpr) -> CELType {
        switch e.kind {
        case .literal(let l):
            switch l {
            case .null: return .null
            case .bool: return .bool
            case .int: return .int
            case .uint: return .uint
            case .double: return .double
            case .string: return .string
            case .bytes: return .bytes
            }
        case .ident(let name):
            if let t = lookup(name) {
                if name == "oldSelf" { usesOldSelf = true }
                return t
            }
            if Self.typeNames.contains(name) { return .type }
            return fail(e, "undeclared reference to '\(name)' (in container '')")
        case .select(let operand, let field, let testOnly):
            let ot = visit(operand)
            switch ot {
            case .error: return .error
            case .dyn: return testOnly ? .bool : .dyn
            case .map(_, let v): return testOnly ? .bool : v
            case .object(let d):
                guard let f = d.fields[field] else { return fail(e, "undefined field '\(field)'") }
                return testOnly ? .bool : f.type.celType
            default:
                return fail(e, "type '\(ot.name)' does not support field selection")
            }
        case .call(let fn, let target, let args):
            let tt = target.map { visit($0) }
            let ats = args.map { visit($0) }
            if tt == .error || ats.contains(.error) { return .error }
            guard let (ids, result) = CELOverloads.resolve(fn, target: tt, args: ats) else {
                if CELOverloads.table[fn] == nil {
                    let name = target == nil ? fn : fn
                    return fail(e, "undeclared reference to '\(name)' (in container '')")
                }
                let argList = "(" + ats.map(\.name).joined(separator: ", ") + ")"
                let applied = tt.map { "\($0.name).\(argList)" } ?? argList
                return fail(e, "found no matching overload for '\(fn)' applied to '\(applied)'")
            }
            overloads[e.id] = ids
            return result
        case .list(let items):
            var elem: CELType?
            for item in items {
                let t = visit(item)
                if t == .error { return .error }
                if let prev = elem {
                    // Homogeneous aggregate literals (Kubernetes enables the option).
                    if !CELOverloads.compatible(prev, t) {
                        return fail(item, "expected type '\(prev.name)' but found '\(t.name)'")
                    }
                    elem = CELOverloads.join(prev, t)
                } else {
                    elem = t
                }
            }
            return .list(elem ?? .dyn)
        case .map(let entries):
            var kt: CELType?, vt: CELType?
            for en in entries {
                let k = visit(en.key), v = visit(en.value)
                if k == .error || v == .error { return .error }
                kt = kt.map { CELOverloads.join($0, k) } ?? k
                vt = vt.map { CELOverloads.join($0, v) } ?? v
            }
            return .map(kt ?? .dyn, vt ?? .dyn)
        case .comprehension(let c):
            let rt = visit(c.iterRange)
            var iterType: CELType
            var valueType = CELType.dyn
            switch rt {
            case .error: return .error
            case .list(let el): iterType = el; valueType = el
            case .map(let k, let v): iterType = k; valueType = v
            case .dyn: iterType = .dyn
            default: return fail(c.iterRange, "expression of type '\(rt.name)' cannot be range of a comprehension (must be list, map, or dynamic)")
            }
            var accuType = visit(c.accuInit)
            let errorsBefore = errors.count
            if c.iterVar2 != nil, case .list = rt { iterType = .int }
            var vars = [c.accuVar: accuType, c.iterVar: iterType]
            if let v2 = c.iterVar2 { vars[v2] = valueType }
            scopes.append(vars)
            visit(c.loopCondition)
            var stepType = visit(c.loopStep)
            // map/filter start from `[]`: the step's list type is the accumulator's real type.
            if case .list(.dyn) = accuType, case .list(let el) = stepType, !el.isDyn, errors.count == errorsBefore {
                accuType = .list(el)
                scopes[scopes.count - 1][c.accuVar] = accuType
                stepType = visit(c.loopStep)
            }
            scopes[scopes.count - 1].removeValue(forKey: c.iterVar)
            if let v2 = c.iterVar2 { scopes[scopes.count - 1].removeValue(forKey: v2) }
            let r = visit(c.result)
            scopes.removeLast()
            _ = stepType
            return r
        }
    }
}
