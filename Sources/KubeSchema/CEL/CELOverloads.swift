/// Function signatures the checker resolves calls against, with cel-go's overload ids
/// (the cost estimate keys on them) and the Kubernetes libraries' functions.
indirect enum CELSig: Sendable {
    case t(CELType)
    case param(Int)
    case list(CELSig)
    case map(CELSig, CELSig)
    case optional(CELSig)
}

struct CELOverload: Sendable {
    let id: String
    let member: Bool
    /// For a member overload the first parameter is the receiver.
    let params: [CELSig]
    let result: CELSig
}

enum CELOverloads {
    private static let A = CELSig.param(0), B = CELSig.param(1)
    private static func t(_ x: CELType) -> CELSig { .t(x) }

    static func g(_ id: String, _ params: [CELSig], _ r: CELSig) -> CELOverload { CELOverload(id: id, member: false, params: params, result: r) }
    static func m(_ id: String, _ params: [CELSig], _ r: CELSig) -> CELOverload { CELOverload(id: id, member: true, params: params, result: r) }

    static let url = CELType.opaque("kubernetes.URL"), ip = CELType.opaque("net.IP"), cidr = CELType.opaque("net.CIDR")
    static let quantity = CELType.opaque("kubernetes.Quantity")

    static let table: [String: [CELOverload]] = {
        var d: [String: [CELOverload]] = [:]
        func add(_ fn: String, _ o: CELOverload...) { d[fn, default: []] += o }
        let bool = t(.bool), int = t(.int), uint = t(.uint), double = t(.double), string = t(.string), bytes = t(.bytes)
        let ts = t(.timestamp), dur = t(.duration)
        add(CELOp.equals, g("equals", [A, A], bool))
        add(CELOp.notEquals, g("not_equals", [A, A], bool))
        add(CELOp.logicalAnd, g("logical_and", [bool, bool], bool))
        add(CELOp.logicalOr, g("logical_or", [bool, bool], bool))
        add(CELOp.logicalNot, g("logical_not", [bool], bool))
        add(CELOp.notStrictlyFalse, g("not_strictly_false", [bool], bool))
        add(CELOp.conditional, g("conditional", [bool, A, A], A))
        let ordered: [(String, CELSig)] = [("bool", bool), ("int64", int), ("uint64", uint), ("double", double), ("string", string),
                                           ("bytes", bytes), ("timestamp", ts), ("duration", dur)]
        let mixed: [(String, CELSig, CELSig)] = [("int64_double", int, double), ("int64_uint64", int, uint), ("uint64_double", uint, double),
                                                 ("uint64_int64", uint, int), ("double_int64", double, int), ("double_uint64", double, uint)]
        for (op, name) in [(CELOp.less, "less"), (CELOp.lessEquals, "less_equals"), (CELOp.greater, "greater"), (CELOp.greaterEquals, "greater_equals")] {
            for (n, s) in ordered { add(op, g("\(name)_\(n)", [s, s], bool)) }
            for (n, x, y) in mixed { add(op, g("\(name)_\(n)", [x, y], bool)) }
        }
        add(CELOp.add, g("add_int64", [int, int], int), g("add_uint64", [uint, uint], uint), g("add_double", [double, double], double),
            g("add_string", [string, string], string), g("add_bytes", [bytes, bytes], bytes), g("add_list", [.list(A), .list(A)], .list(A)),
            g("add_timestamp_duration", [ts, dur], ts), g("add_duration_timestamp", [dur, ts], ts), g("add_duration_duration", [dur, dur], dur))
        add(CELOp.subtract, g("subtract_int64", [int, int], int), g("subtract_uint64", [uint, uint], uint), g("subtract_double", [double, double], double),
            g("subtract_timestamp_timestamp", [ts, ts], dur), g("subtract_timestamp_duration", [ts, dur], ts), g("subtract_duration_duration", [dur, dur], dur))
        add(CELOp.multiply, g("multiply_int64", [int, int], int), g("multiply_uint64", [uint, uint], uint), g("multiply_double", [double, double], double))
        add(CELOp.divide, g("divide_int64", [int, int], int), g("divide_uint64", [uint, uint], uint), g("divide_double", [double, double], double))
        add(CELOp.modulo, g("modulo_int64", [int, int], int), g("modulo_uint64", [uint, uint], uint))
        add(CELOp.negate, g("negate_int64", [int], int), g("negate_double", [double], double))
        add(CELOp.index, g("index_list", [.list(A), int], A), g("index_map", [.map(A, B), A], B))
        add(CELOp.in, g("in_list", [A, .list(A)], bool), g("in_map", [A, .map(A, B)], bool))
        add("size", g("size_string", [string], int), g("size_bytes", [bytes], int), g("size_list", [.list(A)], int), g("size_map", [.map(A, B)], int),
            m("string_size", [string], int), m("bytes_size", [bytes], int), m("list_size", [.list(A)], int), m("map_size", [.map(A, B)], int))
        add("matches", g("matches", [string, string], bool), m("matches_string", [string, string], bool))
        add("contains", m("contains_string", [string, string], bool))
        add("startsWith", m("starts_with_string", [string, string], bool))
        add("endsWith", m("ends_with_string", [string, string], bool))
        add("int", g("int64_to_int64", [int], int), g("uint64_to_int64", [uint], int), g("double_to_int64", [double], int),
            g("string_to_int64", [string], int), g("timestamp_to_int64", [ts], int), g("duration_to_int64", [dur], int))
        add("uint", g("uint64_to_uint64", [uint], uint), g("int64_to_uint64", [int], uint), g("double_to_uint64", [double], uint), g("string_to_uint64", [string], uint))
        add("double", g("double_to_double", [double], double), g("int64_to_double", [int], double), g("uint64_to_double", [uint], double), g("string_to_double", [string], double))
        add("string", g("string_to_string", [string], string), g("int64_to_string", [int], string), g("uint64_to_string", [uint], string),
            g("double_to_string", [double], string), g("bytes_to_string", [bytes], string), g("bool_to_string", [bool], string),
            g("timestamp_to_string", [ts], string), g("duration_to_string", [dur], string),
            g("ip_to_string", [t(ip)], string), g("cidr_to_string", [t(cidr)], string), g("url_to_string", [t(url)], string))
        add("bytes", g("bytes_to_bytes", [bytes], bytes), g("string_to_bytes", [string], bytes))
        add("bool", g("bool_to_bool", [bool], bool), g("string_to_bool", [string], bool))
        add("duration", g("duration_to_duration", [dur], dur), g("string_to_duration", [string], dur))
        add("timestamp", g("timestamp_to_timestamp", [ts], ts), g("string_to_timestamp", [string], ts), g("int64_to_timestamp", [int], ts))
        add("type", g("type", [A], t(.type)))
        add("dyn", g("to_dyn", [A], t(.dyn)))
        for (fn, unit) in [("getFullYear", "year"), ("getMonth", "month"), ("getDayOfYear", "day_of_year"), ("getDayOfMonth", "day_of_month"),
                           ("getDate", "day_of_month_1_based"), ("getDayOfWeek", "day_of_week"), ("getHours", "hours"), ("getMinutes", "minutes"),
                           ("getSeconds", "seconds"), ("getMilliseconds", "milliseconds")] {
            add(fn, m("timestamp_to_\(unit)", [ts], int), m("timestamp_to_\(unit)_with_tz", [ts, string], int))
            if ["hours", "minutes", "seconds", "milliseconds"].contains(unit) { add(fn, m("duration_to_\(unit)", [dur], int)) }
        }
        // cel-go ext strings (version 2)
        add("charAt", m("string_char_at_int", [string, int], string))
        add("indexOf", m("string_index_of_string", [string, string], int), m("string_index_of_string_int", [string, string, int], int),
            m("list_a_index_of_int", [.list(A), A], int))
        add("lastIndexOf", m("string_last_index_of_string", [string, string], int), m("string_last_index_of_string_int", [string, string, int], int),
            m("list_a_last_index_of_int", [.list(A), A], int))
        add("lowerAscii", m("string_lower_ascii", [string], string))
        add("upperAscii", m("string_upper_ascii", [string], string))
        add("replace", m("string_replace_string_string", [string, string, string], string), m("string_replace_string_string_int", [string, string, string, int], string))
        add("split", m("string_split_string", [string, string], t(.list(.string))), m("string_split_string_int", [string, string, int], t(.list(.string))))
        add("substring", m("string_substring_int", [string, int], string), m("string_substring_int_int", [string, int, int], string))
        add("trim", m("string_trim", [string], string))
        add("join", m("list_join", [t(.list(.string))], string), m("list_join_string", [t(.list(.string)), string], string))
        add("reverse", m("string_reverse", [string], string))
        // Kubernetes list library
        add("isSorted", m("list_is_sorted", [.list(A)], bool))
        add("sum", m("list_sum", [.list(A)], A))
        add("min", m("list_min", [.list(A)], A))
        add("max", m("list_max", [.list(A)], A))
        // regex, url, ip, cidr, quantity
        add("find", m("string_find_string", [string, string], string))
        add("findAll", m("string_find_all_string", [string, string], t(.list(.string))), m("string_find_all_string_int", [string, string, int], t(.list(.string))))
        add("url", g("string_to_url", [string], t(url)))
        add("isURL", g("is_url_string", [string], bool))
        for fn in ["getScheme", "getHost", "getHostname", "getPort", "getEscapedPath"] { add(fn, m("url_\(fn)", [t(url)], string)) }
        add("getQuery", m("url_get_query", [t(url)], t(.map(.string, .list(.string)))))
        add("isIP", g("is_ip", [string], bool))
        add("ip", g("string_to_ip", [string], t(ip)), m("cidr_ip", [t(cidr)], t(ip)))
        add("ip.isCanonical", g("ip_is_canonical", [string], bool))
        add("family", m("ip_family", [t(ip)], int))
        for fn in ["isUnspecified", "isLoopback", "isLinkLocalMulticast", "isLinkLocalUnicast", "isGlobalUnicast"] { add(fn, m("ip_\(fn)", [t(ip)], bool)) }
        add("isCIDR", g("is_cidr", [string], bool))
        add("cidr", g("string_to_cidr", [string], t(cidr)))
        add("containsIP", m("cidr_contains_ip_ip", [t(cidr), t(ip)], bool), m("cidr_contains_ip_string", [t(cidr), string], bool))
        add("containsCIDR", m("cidr_contains_cidr", [t(cidr), t(cidr)], bool), m("cidr_contains_cidr_string", [t(cidr), string], bool))
        add("masked", m("cidr_masked", [t(cidr)], t(cidr)))
        add("prefixLength", m("cidr_prefix_length", [t(cidr)], int))
        add("sets.contains", g("list_sets_contains_list", [.list(A), .list(A)], bool))
        add("sets.equivalent", g("list_sets_equivalent_list", [.list(A), .list(A)], bool))
        add("sets.intersects", g("list_sets_intersects_list", [.list(A), .list(A)], bool))
        add("hasValue", m("optional_has_value", [.optional(A)], bool))
        add("value", m("optional_value", [.optional(A)], A))
        add("orValue", m("optional_or_value", [.optional(A), A], A))
        add("quantity", g("string_to_quantity", [string], t(quantity)))
        add("isQuantity", g("is_quantity_string", [string], bool))
        add("sign", m("quantity_sign", [t(quantity)], int))
        add("isInteger", m("quantity_is_integer", [t(quantity)], bool))
        add("asInteger", m("quantity_get_integer", [t(quantity)], int))
        add("asApproximateFloat", m("quantity_get_float", [t(quantity)], double))
        add("isGreaterThan", m("quantity_greater", [t(quantity), t(quantity)], bool))
        add("isLessThan", m("quantity_less", [t(quantity), t(quantity)], bool))
        add("compareTo", m("quantity_compare", [t(quantity), t(quantity)], int))
        add("add", m("quantity_add", [t(quantity), t(quantity)], t(quantity)), m("quantity_add_int", [t(quantity), int], t(quantity)))
        add("sub", m("quantity_sub", [t(quantity), t(quantity)], t(quantity)), m("quantity_sub_int", [t(quantity), int], t(quantity)))
        return d
    }()

    /// The overloads of `function` that accept these argument types (more than one when
    /// an argument is dyn), and the result type.
    static func resolve(_ function: String, target: CELType?, args: [CELType]) -> (ids: [String], result: CELType)? {
        guard let cands = table[function] else { return nil }
        let actual = (target.map { [$0] } ?? []) + args
        var ids: [String] = []
        var result: CELType?
        for o in cands where o.member == (target != nil) && o.params.count == actual.count {
            var binds: [Int: CELType] = [:]
            var ok = true
            for (p, a) in zip(o.params, actual) where !match(p, a, &binds) { ok = false; break }
            guard ok else { continue }
            ids.append(o.id)
            let r = substitute(o.result, binds)
            if let prev = result { result = prev == r ? prev : .dyn } else { result = r }
        }
        guard let result else { return nil }
        return (ids, result)
    }

    static func match(_ p: CELSig, _ a: CELType, _ binds: inout [Int: CELType]) -> Bool {
        switch p {
        case .t(let x): return compatible(x, a)
        case .param(let n):
            if let b = binds[n] {
                guard compatible(b, a) else { return false }
                binds[n] = join(b, a)
                return true
            }
            binds[n] = a
            return true
        case .list(let e):
            if a.isDyn { return match(e, .dyn, &binds) }
            if case .list(let ae) = a { return match(e, ae, &binds) }
            return false
        case .map(let k, let v):
            if a.isDyn { return match(k, .dyn, &binds) && match(v, .dyn, &binds) }
            if case .map(let ak, let av) = a { return match(k, ak, &binds) && match(v, av, &binds) }
            return false
        case .optional(let e):
            if a.isDyn { return match(e, .dyn, &binds) }
            if case .optional(let ae) = a { return match(e, ae, &binds) }
            return false
        }
    }

    static func substitute(_ p: CELSig, _ binds: [Int: CELType]) -> CELType {
        switch p {
        case .t(let x): return x
        case .param(let n): return binds[n] ?? .dyn
        case .list(let e): return .list(substitute(e, binds))
        case .map(let k, let v): return .map(substitute(k, binds), substitute(v, binds))
        case .optional(let e): return .optional(substitute(e, binds))
        }
    }

    static func compatible(_ x: CELType, _ y: CELType) -> Bool {
        if x.isDyn || y.isDyn { return true }
        switch (x, y) {
        case let (.list(a), .list(b)): return compatible(a, b)
        case let (.map(k1, v1), .map(k2, v2)): return compatible(k1, k2) && compatible(v1, v2)
        case let (.optional(a), .optional(b)): return compatible(a, b)
        case (.null, .object), (.object, .null), (.null, .opaque), (.opaque, .null): return true
        default: return x == y
        }
    }

    /// The more specific of two compatible types: dyn yields to anything.
    static func join(_ x: CELType, _ y: CELType) -> CELType {
        if x.isDyn { return y }
        if y.isDyn { return x }
        switch (x, y) {
        case let (.list(a), .list(b)): return .list(join(a, b))
        case let (.map(k1, v1), .map(k2, v2)): return .map(join(k1, k2), join(v1, v2))
        default: return x
        }
    }
}
