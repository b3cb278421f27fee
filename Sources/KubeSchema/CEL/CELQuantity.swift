/// Kubernetes' quantity library (resource.Quantity), with values held as doubles: exact
/// for the integers and decimal fractions rules compare in practice.
enum CELQuantity {
    private static let suffixes: [String: Double] = [
        "Ki": 1024, "Mi": 1_048_576, "Gi": 1_073_741_824, "Ti": 1_099_511_627_776, "Pi": 1_125_899_906_842_624, "Ei": 1_152_921_504_606_846_976,
        "n": 1e-9, "u": 1e-6, "m": 1e-3, "": 1, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15, "E": 1e18,
    ]

    /// resource.ParseQuantity's syntax: a signed decimal number and an optional suffix.
    static func parse(_ s: String) -> Double? {
        var chars = Substring(s)
        var sign = 1.0
        if let f = chars.first, f == "+" || f == "-" { sign = f == "-" ? -1 : 1; chars = chars.dropFirst() }
        let number = chars.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
        guard !number.isEmpty, number != ".", number.filter({ $0 == "." }).count <= 1, let v = Double(number) else { return nil }
        let suffix = String(chars.dropFirst(number.count))
        if let scale = suffixes[suffix] { return sign * v * scale }
        if let e = suffix.first, e == "e" || e == "E", let exp = Int(suffix.dropFirst()) {
            var scale = 1.0
            for _ in 0..<abs(exp) { scale *= 10 }
            return sign * (exp < 0 ? v / scale : v * scale)
        }
        return nil
    }

    static func call(_ fn: String, target: CELValue?, args: [CELValue]) throws(CELEvalError) -> CELValue? {
        if target == nil, args.count == 1, case .string(let s) = args[0] {
            switch fn {
            case "isQuantity": return .bool(parse(s) != nil)
            case "quantity":
                guard let q = parse(s) else { throw CELEvalError("quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'") }
                return .quantity(q)
            default: return nil
            }
        }
        guard case .quantity(let q)? = target else { return nil }
        func other() throws(CELEvalError) -> Double {
            switch args.first {
            case .quantity(let o)?: return o
            case .int(let i)?: return Double(i)
            default: throw CELEvalError("no such overload")
            }
        }
        switch fn {
        case "sign": return .int(q > 0 ? 1 : q < 0 ? -1 : 0)
        case "isInteger": return .bool(q == q.rounded() && abs(q) < 9.2e18)
        case "asInteger":
            guard q == q.rounded(), abs(q) < 9.2e18 else { throw CELEvalError("cannot convert value to integer") }
            return .int(Int64(q))
        case "asApproximateFloat": return .double(q)
        case "isGreaterThan": return .bool(q > (try other()))
        case "isLessThan": return .bool(q < (try other()))
        case "compareTo":
            let o = try other()
            return .int(q < o ? -1 : q > o ? 1 : 0)
        case "add": return .quantity(q + (try other()))
        case "sub": return .quantity(q - (try other()))
        default: return nil
        }
    }
}
