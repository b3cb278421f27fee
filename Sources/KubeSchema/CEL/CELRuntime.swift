/// The functions rules call at runtime: CEL's standard library, cel-go's ext strings and
/// Kubernetes' list, regex, URL and IP libraries. Costs charged follow the actual sizes.
enum CELRuntime {
    static func call(_ fn: String, target: CELValue?, args: [CELValue], _ it: inout CELInterpreter) throws(CELEvalError) -> CELValue {
        let all = (target.map { [$0] } ?? []) + args
        let tf = CELCostConstants.stringTraversalFactor
        func ceilCost(_ n: Int, _ f: Double) -> UInt64 { costFactor(UInt64(n), f) }
        switch (fn, all.count) {
        case (CELOp.equals, 2):
            try it.charge(stringCompareCost(all[0], all[1]))
            return .bool(celEquals(all[0], all[1]))
        case (CELOp.notEquals, 2):
            try it.charge(stringCompareCost(all[0], all[1]))
            return .bool(!celEquals(all[0], all[1]))
        case (CELOp.less, 2), (CELOp.lessEquals, 2), (CELOp.greater, 2), (CELOp.greaterEquals, 2):
            try it.charge(stringCompareCost(all[0], all[1]))
            let c = try compare(all[0], all[1])
            switch fn {
            case CELOp.less: return .bool(c < 0)
            case CELOp.lessEquals: return .bool(c <= 0)
            case CELOp.greater: return .bool(c > 0)
            default: return .bool(c >= 0)
            }
        case (CELOp.logicalNot, 1):
            try it.charge(1)
            guard case .bool(let b) = all[0] else { throw .noOverload(fn) }
            return .bool(!b)
        case (CELOp.negate, 1):
            try it.charge(1)
            switch all[0] {
            case .int(let i):
                guard i != .min else { throw CELEvalError("integer overflow") }
                return .int(-i)
            case .double(let d): return .double(-d)
            default: throw .noOverload(fn)
            }
        case (CELOp.add, 2), (CELOp.subtract, 2), (CELOp.multiply, 2), (CELOp.divide, 2), (CELOp.modulo, 2):
            try it.charge(1)
            return try arithmetic(fn, all[0], all[1], &it)
        case (CELOp.index, 2):
            try it.charge(1)
            return try index(all[0], all[1])
        case (CELOp.in, 2):
            switch all[1] {
            case .list(let l):
                try it.charge(UInt64(l.count))
                return .bool(l.contains { celEquals($0, all[0]) })
            case .map(let m):
                try it.charge(1)
                return .bool(CELKey(all[0]).map { m[$0] != nil } ?? false)
            default: throw .noOverload(fn)
            }
        case ("size", 1):
            try it.charge(1)
            guard let n = all[0].size else { throw .noOverload(fn) }
            return .int(Int64(n))
        case ("type", 1):
            try it.charge(1)
            return .type(all[0].typeName == "object" ? "object" : all[0].typeName)
        case ("dyn", 1):
            return all[0]
        case ("matches", 2):
            guard case .string(let s) = all[0], case .string(let p) = all[1] else { throw .noOverload(fn) }
            try it.charge(satMul(ceilCost(s.unicodeScalars.count + 1, tf), ceilCost(p.unicodeScalars.count, CELCostConstants.regexStringLengthFactor)))
            return .bool(try CELRegex.matches(s, p))
        case ("contains", 2), ("startsWith", 2), ("endsWith", 2):
            guard case .string(let s) = all[0], case .string(let sub) = all[1] else { throw .noOverload(fn) }
            if fn == "contains" {
                try it.charge(satMul(ceilCost(s.unicodeScalars.count, tf), ceilCost(sub.unicodeScalars.count, tf)))
                return .bool(sub.isEmpty || s.contains(sub))
            }
            try it.charge(ceilCost(sub.unicodeScalars.count, tf))
            return .bool(fn == "startsWith" ? s.unicodeScalars.starts(with: sub.unicodeScalars) : s.unicodeScalars.reversed().starts(with: sub.unicodeScalars.reversed()))
        default:
            break
        }
        try it.charge(1)
        if fn.hasPrefix("sets."), args.count == 2, case .list(let a) = args[0], case .list(let b) = args[1] {
            try it.charge(satMul(UInt64(a.count), UInt64(b.count)))
            let inA = { (x: CELValue) in a.contains { celEquals($0, x) } }
            let inB = { (x: CELValue) in b.contains { celEquals($0, x) } }
            switch fn {
            case "sets.contains": return .bool(b.allSatisfy(inA))
            case "sets.equivalent": return .bool(b.allSatisfy(inA) && a.allSatisfy(inB))
            case "sets.intersects": return .bool(a.contains(where: inB))
            default: break
            }
        }
        if case .optional(let o)? = target {
            switch (fn, args.count) {
            case ("hasValue", 0): return .bool(o != nil)
            case ("value", 0):
                guard let o else { throw CELEvalError("optional.none() dereference") }
                return o
            case ("orValue", 1): return o ?? args[0]
            default: throw CELEvalError("no such overload")
            }
        }
        if let v = try CELStringFunctions.call(fn, target: target, args: args, &it) { return v }
        if let v = try CELListFunctions.call(fn, target: target, args: args) { return v }
        if let v = try conversion(fn, all) { return v }
        if let v = try CELNetFunctions.call(fn, target: target, args: args) { return v }
        if let v = try CELQuantity.call(fn, target: target, args: args) { return v }
        if let v = try timeAccessor(fn, target: target, args: args) { return v }
        throw CELEvalError("no such overload")
    }

    private static func stringCompareCost(_ a: CELValue, _ b: CELValue) -> UInt64 {
        switch (a, b) {
        case let (.string(x), .string(y)): return costFactor(UInt64(min(x.unicodeScalars.count, y.unicodeScalars.count)), CELCostConstants.stringTraversalFactor)
        case let (.bytes(x), .bytes(y)): return costFactor(UInt64(min(x.count, y.count)), CELCostConstants.stringTraversalFactor)
        default: return 1
        }
    }

    static func compare(_ a: CELValue, _ b: CELValue) throws(CELEvalError) -> Int {
        if let c = numericCompare(a, b) { return c }
        func cmp<T: Comparable>(_ x: T, _ y: T) -> Int { x < y ? -1 : x > y ? 1 : 0 }
        switch (a, b) {
        case let (.string(x), .string(y)): return x == y ? 0 : x.unicodeScalars.lexicographicallyPrecedes(y.unicodeScalars) ? -1 : 1
        case let (.bytes(x), .bytes(y)): return x == y ? 0 : x.lexicographicallyPrecedes(y) ? -1 : 1
        case let (.bool(x), .bool(y)): return x == y ? 0 : (!x ? -1 : 1)
        case let (.duration(x), .duration(y)): return cmp(x, y)
        case let (.timestamp(s1, n1), .timestamp(s2, n2)): return s1 != s2 ? cmp(s1, s2) : cmp(n1, n2)
        default: throw CELEvalError("no such overload")
        }
    }

    private static func arithmetic(_ fn: String, _ a: CELValue, _ b: CELValue, _ it: inout CELInterpreter) throws(CELEvalError) -> CELValue {
        func checked(_ r: (Int64, Bool)) throws(CELEvalError) -> CELValue {
            if r.1 { throw CELEvalError("integer overflow") }
            return .int(r.0)
        }
        func checkedU(_ r: (UInt64, Bool)) throws(CELEvalError) -> CELValue {
            if r.1 { throw CELEvalError("unsigned integer overflow") }
            return .uint(r.0)
        }
        switch (fn, a, b) {
        case let (CELOp.add, .int(x), .int(y)): return try checked(x.addingReportingOverflow(y))
        case let (CELOp.subtract, .int(x), .int(y)): return try checked(x.subtractingReportingOverflow(y))
        case let (CELOp.multiply, .int(x), .int(y)): return try checked(x.multipliedReportingOverflow(by: y))
        case let (CELOp.divide, .int(x), .int(y)):
            if y == 0 { throw CELEvalError("division by zero") }
            return try checked(x.dividedReportingOverflow(by: y))
        case let (CELOp.modulo, .int(x), .int(y)):
            if y == 0 { throw CELEvalError("modulus by zero") }
            return try checked(x.remainderReportingOverflow(dividingBy: y))
        case let (CELOp.add, .uint(x), .uint(y)): return try checkedU(x.addingReportingOverflow(y))
        case let (CELOp.subtract, .uint(x), .uint(y)): return try checkedU(x.subtractingReportingOverflow(y))
        case let (CELOp.multiply, .uint(x), .uint(y)): return try checkedU(x.multipliedReportingOverflow(by: y))
        case let (CELOp.divide, .uint(x), .uint(y)):
            if y == 0 { throw CELEvalError("division by zero") }
            return .uint(x / y)
        case let (CELOp.modulo, .uint(x), .uint(y)):
            if y == 0 { throw CELEvalError("modulus by zero") }
            return .uint(x % y)
        case let (CELOp.add, .double(x), .double(y)): return .double(x + y)
        case let (CELOp.subtract, .double(x), .double(y)): return .double(x - y)
        case let (CELOp.multiply, .double(x), .double(y)): return .double(x * y)
        case let (CELOp.divide, .double(x), .double(y)): return .double(x / y)
        case let (CELOp.add, .string(x), .string(y)):
            try it.charge(costFactor(UInt64(x.unicodeScalars.count + y.unicodeScalars.count), CELCostConstants.stringTraversalFactor))
            return .string(x + y)
        case let (CELOp.add, .bytes(x), .bytes(y)): return .bytes(x + y)
        case let (CELOp.add, .list(x), .list(y)): return .list(x + y)
        case let (CELOp.add, .duration(x), .duration(y)): return try durationResult(x.addingReportingOverflow(y))
        case let (CELOp.subtract, .duration(x), .duration(y)): return try durationResult(x.subtractingReportingOverflow(y))
        case let (CELOp.add, .timestamp(s, n), .duration(d)), let (CELOp.add, .duration(d), .timestamp(s, n)):
            return timestamp(s, n, plus: d)
        case let (CELOp.subtract, .timestamp(s, n), .duration(d)):
            return timestamp(s, n, plus: -d)
        case let (CELOp.subtract, .timestamp(s1, n1), .timestamp(s2, n2)):
            let (secs, o1) = s1.subtractingReportingOverflow(s2)
            let (ns, o2) = secs.multipliedReportingOverflow(by: 1_000_000_000)
            if o1 || o2 { throw CELEvalError("integer overflow") }
            return try durationResult(ns.addingReportingOverflow(Int64(n1) - Int64(n2)))
        default:
            throw CELEvalError("no such overload")
        }
    }

    private static func durationResult(_ r: (Int64, Bool)) throws(CELEvalError) -> CELValue {
        if r.1 { throw CELEvalError("integer overflow") }
        return .duration(r.0)
    }

    private static func timestamp(_ s: Int64, _ n: Int32, plus d: Int64) -> CELValue {
        var secs = s + d / 1_000_000_000
        var nanos = Int64(n) + d % 1_000_000_000
        if nanos < 0 { nanos += 1_000_000_000; secs -= 1 }
        if nanos >= 1_000_000_000 { nanos -= 1_000_000_000; secs += 1 }
        return .timestamp(seconds: secs, nanos: Int32(nanos))
    }

    private static func index(_ c: CELValue, _ i: CELValue) throws(CELEvalError) -> CELValue {
        switch c {
        case .list(let l):
            let idx: Int64
            switch i {
            case .int(let v): idx = v
            case .uint(let v): idx = Int64(clamping: v)
            case .double(let d):
                guard let v = Int64(exactly: d) else { throw CELEvalError("unsupported index value") }
                idx = v
            default: throw CELEvalError("no such overload")
            }
            guard idx >= 0, idx < Int64(l.count) else { throw CELEvalError("index out of bounds: \(idx)") }
            return l[Int(idx)]
        case .map(let m):
            guard let k = CELKey(i), let v = m[k] else { throw CELEvalError("no such key: \(display(i))") }
            return v
        case .object(let o):
            guard case .string(let k) = i, let v = o[k] else { throw CELEvalError("no such key: \(display(i))") }
            return v
        default:
            throw CELEvalError("no such overload")
        }
    }

    static func display(_ v: CELValue) -> String {
        switch v {
        case .string(let s): return s
        case .int(let i): return String(i)
        case .uint(let u): return "\(u)u"
        case .double(let d): return String(d)
        case .bool(let b): return String(b)
        default: return v.typeName
        }
    }

    private static func conversion(_ fn: String, _ a: [CELValue]) throws(CELEvalError) -> CELValue? {
        guard a.count == 1 else { return nil }
        let v = a[0]
        switch fn {
        case "int":
            switch v {
            case .int: return v
            case .uint(let u): guard let i = Int64(exactly: u) else { throw CELEvalError("integer overflow") }; return .int(i)
            case .double(let d):
                guard d.isFinite, d > -9.223372036854775808e18, d < 9.223372036854775807e18 else { throw CELEvalError("integer overflow") }
                return .int(Int64(d))
            case .string(let s): guard let i = Int64(s) else { throw CELEvalError("cannot convert string to int") }; return .int(i)
            case .timestamp(let s, _): return .int(s)
            case .duration(let d): return .int(d)
            default: throw CELEvalError("no such overload")
            }
        case "uint":
            switch v {
            case .uint: return v
            case .int(let i): guard let u = UInt64(exactly: i) else { throw CELEvalError("unsigned integer overflow") }; return .uint(u)
            case .double(let d):
                guard d.isFinite, d > -1, d < 1.8446744073709552e19 else { throw CELEvalError("unsigned integer overflow") }
                return .uint(UInt64(d))
            case .string(let s): guard let u = UInt64(s) else { throw CELEvalError("cannot convert string to uint") }; return .uint(u)
            default: throw CELEvalError("no such overload")
            }
        case "double":
            switch v {
            case .double: return v
            case .int(let i): return .double(Double(i))
            case .uint(let u): return .double(Double(u))
            case .string(let s): guard let d = Double(s) else { throw CELEvalError("cannot convert string to double") }; return .double(d)
            default: throw CELEvalError("no such overload")
            }
        case "string":
            switch v {
            case .string: return v
            case .int(let i): return .string(String(i))
            case .uint(let u): return .string(String(u))
            case .double(let d): return .string(d == d.rounded() && abs(d) < 1e21 ? String(Int64(d)) : String(d))
            case .bool(let b): return .string(String(b))
            case .bytes(let b): return .string(String(decoding: b, as: UTF8.self))
            case .duration(let d): return .string(CELTime.formatDuration(d))
            case .timestamp(let s, let n): return .string(CELTime.formatTimestamp(s, n))
            case .ip(let s), .url(let s): return .string(s)
            case .cidr(let s, let p): return .string("\(s)/\(p)")
            default: throw CELEvalError("no such overload")
            }
        case "bytes":
            switch v {
            case .bytes: return v
            case .string(let s): return .bytes(Array(s.utf8))
            default: throw CELEvalError("no such overload")
            }
        case "bool":
            switch v {
            case .bool: return v
            case .string(let s):
                switch s {
                case "true", "TRUE", "True", "t", "1": return .bool(true)
                case "false", "FALSE", "False", "f", "0": return .bool(false)
                default: throw CELEvalError("type conversion error from 'string' to 'bool'")
                }
            default: throw CELEvalError("no such overload")
            }
        case "duration":
            switch v {
            case .duration: return v
            case .string(let s):
                guard let d = CELTime.parseDuration(s) else { throw CELEvalError("type conversion error from 'string' to 'google.protobuf.Duration'") }
                return .duration(d)
            default: throw CELEvalError("no such overload")
            }
        case "timestamp":
            switch v {
            case .timestamp: return v
            case .string(let s):
                guard let t = CELTime.parseTimestamp(s) else { throw CELEvalError("type conversion error from 'string' to 'google.protobuf.Timestamp'") }
                return .timestamp(seconds: t.0, nanos: t.1)
            case .int(let i): return .timestamp(seconds: i, nanos: 0)
            default: throw CELEvalError("no such overload")
            }
        default:
            return nil
        }
    }

    private static func timeAccessor(_ fn: String, target: CELValue?, args: [CELValue]) throws(CELEvalError) -> CELValue? {
        guard let target else { return nil }
        switch target {
        case .duration(let d):
            switch fn {
            case "getHours": return .int(d / 3_600_000_000_000)
            case "getMinutes": return .int(d / 60_000_000_000)
            case "getSeconds": return .int(d / 1_000_000_000)
            case "getMilliseconds": return .int(d / 1_000_000)
            default: return nil
            }
        case .timestamp(let s, let n):
            guard args.isEmpty else { throw CELEvalError("time zones are not supported") }
            let days = Int(s >= 0 ? s / 86400 : (s - 86399) / 86400)
            let rem = Int(s - Int64(days) * 86400)
            let (y, m, d) = CELTime.civilFromDays(days)
            switch fn {
            case "getFullYear": return .int(Int64(y))
            case "getMonth": return .int(Int64(m - 1))
            case "getDate": return .int(Int64(d))
            case "getDayOfMonth": return .int(Int64(d - 1))
            case "getDayOfYear": return .int(Int64(days - CELTime.daysFromCivil(y, 1, 1)))
            case "getDayOfWeek": return .int(Int64(((days % 7) + 11) % 7))
            case "getHours": return .int(Int64(rem / 3600))
            case "getMinutes": return .int(Int64(rem / 60 % 60))
            case "getSeconds": return .int(Int64(rem % 60))
            case "getMilliseconds": return .int(Int64(n / 1_000_000))
            default: return nil
            }
        default:
            return nil
        }
    }
}
