/// cel-go ext strings (version 2) as Kubernetes enables them; indexes count code points.
enum CELStringFunctions {
    static func call(_ fn: String, target: CELValue?, args: [CELValue], _ it: inout CELInterpreter) throws(CELEvalError) -> CELValue? {
        if fn == "join", case .list(let l)? = target {
            var parts: [String] = []
            for v in l {
                guard case .string(let s) = v else { throw CELEvalError("no such overload") }
                parts.append(s)
            }
            var sep = ""
            if let a = args.first { guard case .string(let s) = a else { throw CELEvalError("no such overload") }; sep = s }
            let out = parts.joined(separator: sep)
            try it.charge(costFactor(UInt64(out.unicodeScalars.count), 2 * CELCostConstants.stringTraversalFactor))
            return .string(out)
        }
        guard case .string(let s)? = target else { return nil }
        let u = Array(s.unicodeScalars)
        func str(_ i: Int) throws(CELEvalError) -> String {
            guard i < args.count, case .string(let v) = args[i] else { throw CELEvalError("no such overload") }
            return v
        }
        func int(_ i: Int) throws(CELEvalError) -> Int {
            guard i < args.count, case .int(let v) = args[i] else { throw CELEvalError("no such overload") }
            return Int(clamping: v)
        }
        func make(_ scalars: some Sequence<Unicode.Scalar>) -> CELValue {
            var v = String.UnicodeScalarView()
            v.append(contentsOf: scalars)
            return .string(String(v))
        }
        let traversal = costFactor(UInt64(u.count), CELCostConstants.stringTraversalFactor)
        switch fn {
        case "charAt":
            let i = try int(0)
            guard i >= 0, i <= u.count else { throw CELEvalError("index out of range: \(i)") }
            return i == u.count ? .string("") : make([u[i]])
        case "indexOf", "lastIndexOf":
            try it.charge(traversal)
            let sub = Array(try str(0).unicodeScalars)
            let last = fn == "lastIndexOf"
            var start = last ? u.count - sub.count : 0
            if args.count > 1 {
                let from = try int(1)
                guard from >= 0, from <= u.count else { throw CELEvalError("index out of range: \(from)") }
                start = last ? min(from, u.count - sub.count) : from
            }
            if sub.isEmpty { return .int(Int64(last ? (args.count > 1 ? start : u.count) : start)) }
            if last {
                var i = start
                while i >= 0 { if Array(u[i..<i + sub.count]) == sub { return .int(Int64(i)) }; i -= 1 }
            } else {
                var i = start
                while i + sub.count <= u.count { if Array(u[i..<i + sub.count]) == sub { return .int(Int64(i)) }; i += 1 }
            }
            return .int(-1)
        case "lowerAscii", "upperAscii":
            try it.charge(traversal)
            let lower = fn == "lowerAscii"
            return make(u.map { c in
                if lower, ("A"..."Z").contains(c) { return Unicode.Scalar(c.value + 32)! }
                if !lower, ("a"..."z").contains(c) { return Unicode.Scalar(c.value - 32)! }
                return c
            })
        case "replace":
            try it.charge(costFactor(UInt64(u.count), 2 * CELCostConstants.stringTraversalFactor))
            let old = try str(0), new = try str(1)
            var n = args.count > 2 ? try int(2) : -1
            if n == 0 { return .string(s) }
            if old.isEmpty {
                var out = ""
                for c in u {
                    if n != 0 { out += new; n -= 1 }
                    out.unicodeScalars.append(c)
                }
                if n != 0 { out += new }
                return .string(out)
            }
            var out = String.UnicodeScalarView()
            let o = Array(old.unicodeScalars)
            var i = 0
            while i < u.count {
                if n != 0, i + o.count <= u.count, Array(u[i..<i + o.count]) == o {
                    out.append(contentsOf: new.unicodeScalars)
                    i += o.count
                    n -= 1
                } else {
                    out.append(u[i])
                    i += 1
                }
            }
            return .string(String(out))
        case "split":
            try it.charge(costFactor(UInt64(u.count), 2 * CELCostConstants.stringTraversalFactor))
            let sep = Array(try str(0).unicodeScalars)
            let limit = args.count > 1 ? try int(1) : -1
            if limit == 0 { return .list([]) }
            var parts: [CELValue] = []
            if sep.isEmpty {
                for (k, c) in u.enumerated() {
                    if limit > 0, parts.count == limit - 1 { parts.append(make(u[k...])); return .list(parts) }
                    parts.append(make([c]))
                }
                return .list(parts)
            }
            var cur: [Unicode.Scalar] = []
            var i = 0
            while i < u.count {
                if (limit < 0 || parts.count < limit - 1), i + sep.count <= u.count, Array(u[i..<i + sep.count]) == sep {
                    parts.append(make(cur)); cur = []; i += sep.count
                } else {
                    cur.append(u[i]); i += 1
                }
            }
            parts.append(make(cur))
            return .list(parts)
        case "substring":
            try it.charge(traversal)
            let start = try int(0)
            let end = args.count > 1 ? try int(1) : u.count
            guard start >= 0, start <= u.count else { throw CELEvalError("index out of range: \(start)") }
            guard end >= 0, end <= u.count else { throw CELEvalError("index out of range: \(end)") }
            guard start <= end else { throw CELEvalError("invalid substring range. start: \(start), end: \(end)") }
            return make(u[start..<end])
        case "trim":
            try it.charge(traversal)
            var a = u[...]
            while let f = a.first, f.properties.isWhitespace { a = a.dropFirst() }
            while let l = a.last, l.properties.isWhitespace { a = a.dropLast() }
            return make(a)
        case "reverse":
            return make(u.reversed())
        case "find", "findAll":
            let p = try str(0)
            try it.charge(satMul(costFactor(UInt64(u.count + 1), CELCostConstants.stringTraversalFactor), costFactor(UInt64(p.unicodeScalars.count), CELCostConstants.regexStringLengthFactor)))
            let found = try CELRegex.find(s, p, limit: fn == "find" ? 1 : (args.count > 1 ? try int(1) : -1))
            if fn == "find" { return .string(found.first ?? "") }
            return .list(found.map { .string($0) })
        default:
            return nil
        }
    }
}

/// Kubernetes' list library: isSorted, sum, min, max, indexOf, lastIndexOf.
enum CELListFunctions {
    static func call(_ fn: String, target: CELValue?, args: [CELValue]) throws(CELEvalError) -> CELValue? {
        guard case .list(let l)? = target else { return nil }
        switch fn {
        case "isSorted":
            for i in l.indices.dropFirst() where try CELRuntime.compare(l[i - 1], l[i]) > 0 { return .bool(false) }
            return .bool(true)
        case "sum":
            guard var acc = l.first else { return .int(0) }
            for v in l.dropFirst() {
                switch (acc, v) {
                case let (.int(x), .int(y)):
                    let (r, o) = x.addingReportingOverflow(y)
                    if o { throw CELEvalError("integer overflow") }
                    acc = .int(r)
                case let (.uint(x), .uint(y)):
                    let (r, o) = x.addingReportingOverflow(y)
                    if o { throw CELEvalError("unsigned integer overflow") }
                    acc = .uint(r)
                case let (.double(x), .double(y)): acc = .double(x + y)
                case let (.duration(x), .duration(y)): acc = .duration(x + y)
                default: throw CELEvalError("no such overload")
                }
            }
            return acc
        case "min", "max":
            guard var best = l.first else { throw CELEvalError("\(fn) called on empty list") }
            for v in l.dropFirst() {
                let c = try CELRuntime.compare(v, best)
                if fn == "min" ? c < 0 : c > 0 { best = v }
            }
            return best
        case "indexOf", "lastIndexOf":
            guard let x = args.first else { return nil }
            let idx = fn == "indexOf" ? l.firstIndex { celEquals($0, x) } : l.lastIndex { celEquals($0, x) }
            return .int(Int64(idx ?? -1))
        default:
            return nil
        }
    }
}
