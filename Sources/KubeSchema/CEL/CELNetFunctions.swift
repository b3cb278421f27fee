/// Kubernetes' ip, cidr and url libraries, for the checks rules make on strings.
enum CELNetFunctions {
    static func call(_ fn: String, target: CELValue?, args: [CELValue]) throws(CELEvalError) -> CELValue? {
        if target == nil, args.count == 1, case .string(let s) = args[0] {
            switch fn {
            case "isIP": return .bool(parseIP(s) != nil)
            case "ip":
                guard parseIP(s) != nil else { throw CELEvalError("IP Address '\(s)' parse error during conversion from string: ParseAddr(\"\(s)\"): unable to parse IP") }
                return .ip(s)
            case "ip.isCanonical":
                guard let b = parseIP(s) else { throw CELEvalError("IP Address '\(s)' parse error during conversion from string") }
                return .bool(canonical(b) == s)
            case "isCIDR": return .bool(parseCIDR(s) != nil)
            case "cidr":
                guard let (a, p) = parseCIDR(s) else { throw CELEvalError("network address parse error during conversion from string: network address parse error during conversion from string") }
                return .cidr(a, prefix: p)
            case "isURL": return .bool(parseURL(s) != nil)
            case "url":
                guard parseURL(s) != nil else { throw CELEvalError("URL parse error during conversion from string: parse \"\(s)\": invalid URI for request") }
                return .url(s)
            default: return nil
            }
        }
        switch target {
        case .ip(let s)?:
            guard let b = parseIP(s) else { return nil }
            switch fn {
            case "family": return .int(b.count == 4 ? 4 : 6)
            case "isUnspecified": return .bool(b.allSatisfy { $0 == 0 })
            case "isLoopback": return .bool(b.count == 4 ? b[0] == 127 : b == Array(repeating: 0, count: 15) + [1])
            case "isLinkLocalMulticast": return .bool(b.count == 4 ? b[0] == 224 && b[1] == 0 && b[2] == 0 : b[0] == 0xff && b[1] & 0x0f == 0x02)
            case "isLinkLocalUnicast": return .bool(b.count == 4 ? b[0] == 169 && b[1] == 254 : b[0] == 0xfe && b[1] & 0xc0 == 0x80)
            case "isGlobalUnicast":
                let special = b.count == 4 ? (b[0] == 0 || b[0] == 127 || b[0] >= 224 || (b[0] == 169 && b[1] == 254) || b.allSatisfy { $0 == 255 }) : (b[0] == 0xff || (b[0] == 0xfe && b[1] & 0xc0 == 0x80) || b.allSatisfy { $0 == 0 } || b == Array(repeating: 0, count: 15) + [1])
                return .bool(!special)
            default: return nil
            }
        case .cidr(let a, let p)?:
            switch fn {
            case "ip": return .ip(a)
            case "prefixLength": return .int(Int64(p))
            case "masked":
                guard let b = parseIP(a) else { return nil }
                return .cidr(canonical(mask(b, p)), prefix: p)
            case "containsIP", "containsCIDR":
                guard let base = parseIP(a), let arg = args.first else { return nil }
                var other: [UInt8]
                var otherPrefix = base.count * 8
                switch arg {
                case .ip(let s): guard let o = parseIP(s) else { return nil }; other = o
                case .cidr(let s, let q): guard let o = parseIP(s) else { return nil }; other = o; otherPrefix = q
                case .string(let s):
                    if fn == "containsIP" {
                        guard let o = parseIP(s) else { throw CELEvalError("IP Address '\(s)' parse error during conversion from string") }
                        other = o
                    } else {
                        guard let (oa, q) = parseCIDR(s), let o = parseIP(oa) else { throw CELEvalError("network address parse error during conversion from string") }
                        other = o; otherPrefix = q
                    }
                default: return nil
                }
                guard other.count == base.count, otherPrefix >= p else { return .bool(false) }
                return .bool(mask(other, p) == mask(base, p))
            default: return nil
            }
        case .url(let s)?:
            guard let u = parseURL(s) else { return nil }
            switch fn {
            case "getScheme": return .string(u.scheme)
            case "getHost": return .string(u.host)
            case "getHostname":
                var h = u.host
                if h.hasPrefix("[") { h = String(h.dropFirst().prefix { $0 != "]" }) } else if let c = h.lastIndex(of: ":") { h = String(h[..<c]) }
                return .string(h)
            case "getPort":
                if u.host.hasPrefix("[") { return .string(u.host.split(separator: "]").dropFirst().first.map { String($0.dropFirst()) } ?? "") }
                return .string(u.host.split(separator: ":").dropFirst().first.map(String.init) ?? "")
            case "getEscapedPath": return .string(u.path)
            case "getQuery":
                var q: [CELKey: CELValue] = [:]
                for part in u.query.split(separator: "&") {
                    let kv = part.split(separator: "=", maxSplits: 1).map(String.init)
                    let k = kv[0], v = kv.count > 1 ? kv[1] : ""
                    if case .list(let l)? = q[.string(k)] { q[.string(k)] = .list(l + [.string(v)]) } else { q[.string(k)] = .list([.string(v)]) }
                }
                return .map(q)
            default: return nil
            }
        default:
            return nil
        }
    }

    private static func mask(_ b: [UInt8], _ p: Int) -> [UInt8] {
        b.enumerated().map { i, x in
            let bits = max(0, min(8, p - i * 8))
            return bits == 8 ? x : bits == 0 ? 0 : x & UInt8(0xff << (8 - bits) & 0xff)
        }
    }

    /// Kubernetes' strict parse: dotted quad without leading zeros, or IPv6 without zone;
    /// IPv4-mapped IPv6 is refused.
    static func parseIP(_ s: String) -> [UInt8]? {
        if s.contains(".") && !s.contains(":") { return parseIPv4(s) }
        guard s.contains(":"), !s.contains("%") else { return nil }
        var parts = s.components(separatedByString: "::")
        guard parts.count <= 2 else { return nil }
        func groups(_ t: String) -> [UInt16]? {
            if t.isEmpty { return [] }
            var out: [UInt16] = []
            for g in t.split(separator: ":", omittingEmptySubsequences: false) {
                guard !g.isEmpty, g.count <= 4, let v = UInt16(g, radix: 16) else { return nil }
                out.append(v)
            }
            return out
        }
        if parts.count == 1 { parts.append("") }
        guard let head = groups(parts[0]), let tail = groups(parts[1]) else { return nil }
        let compressed = s.contains("::")
        guard compressed ? head.count + tail.count < 8 : head.count == 8 else { return nil }
        let all = head + Array(repeating: 0, count: 8 - head.count - tail.count) + tail
        let bytes = all.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xff)] }
        if bytes.prefix(10).allSatisfy({ $0 == 0 }), bytes[10] == 0xff, bytes[11] == 0xff { return nil }
        return bytes
    }

    private static func parseIPv4(_ s: String) -> [UInt8]? {
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var out: [UInt8] = []
        for p in parts {
            guard !p.isEmpty, p.count <= 3, p.allSatisfy(\.isASCII), p.allSatisfy(\.isNumber), !(p.count > 1 && p.hasPrefix("0")), let v = UInt8(p) else { return nil }
            out.append(v)
        }
        return out
    }

    static func parseCIDR(_ s: String) -> (String, Int)? {
        let parts = s.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let b = parseIP(String(parts[0])), let p = Int(parts[1]), !(parts[1].count > 1 && parts[1].hasPrefix("0")),
              p >= 0, p <= b.count * 8 else { return nil }
        return (String(parts[0]), p)
    }

    static func canonical(_ b: [UInt8]) -> String {
        if b.count == 4 { return b.map(String.init).joined(separator: ".") }
        let g = stride(from: 0, to: 16, by: 2).map { UInt16(b[$0]) << 8 | UInt16(b[$0 + 1]) }
        // The longest run of two or more zero groups collapses to "::".
        var best = (start: -1, len: 0), i = 0
        while i < 8 {
            if g[i] == 0 {
                var j = i
                while j < 8, g[j] == 0 { j += 1 }
                if j - i > best.len, j - i >= 2 { best = (i, j - i) }
                i = j
            } else { i += 1 }
        }
        let hex = g.map { String($0, radix: 16) }
        if best.start < 0 { return hex.joined(separator: ":") }
        return hex[..<best.start].joined(separator: ":") + "::" + hex[(best.start + best.len)...].joined(separator: ":")
    }

    struct URLParts {
        var scheme = "", host = "", path = "", query = ""
    }

    /// Go's url.ParseRequestURI: an absolute URI, or an absolute path.
    static func parseURL(_ s: String) -> URLParts? {
        guard !s.isEmpty, !s.contains(" ") else { return nil }
        var u = URLParts()
        var rest = Substring(s)
        if let q = rest.firstIndex(of: "?") { u.query = String(rest[rest.index(after: q)...]); rest = rest[..<q] }
        if rest.hasPrefix("/") { u.path = String(rest); return u }
        guard let colon = rest.firstIndex(of: ":") else { return nil }
        let scheme = rest[..<colon]
        guard let f = scheme.first, f.isLetter, scheme.allSatisfy({ $0.isLetter || $0.isNumber || "+-.".contains($0) }) else { return nil }
        u.scheme = String(scheme)
        rest = rest[rest.index(after: colon)...]
        if rest.hasPrefix("//") {
            rest = rest.dropFirst(2)
            let slash = rest.firstIndex(of: "/") ?? rest.endIndex
            var authority = rest[..<slash]
            if let at = authority.lastIndex(of: "@") { authority = authority[authority.index(after: at)...] }
            u.host = String(authority)
            u.path = String(rest[slash...])
        } else {
            guard rest.hasPrefix("/") || rest.isEmpty == false else { return nil }
            u.path = String(rest)
        }
        return u
    }
}

extension String {
    fileprivate func components(separatedByString sep: String) -> [String] {
        var out: [String] = []
        var cur = Substring(self)
        while let r = cur.firstRange(of: sep) {
            out.append(String(cur[..<r.lowerBound]))
            cur = cur[r.upperBound...]
        }
        out.append(String(cur))
        return out
    }
}
