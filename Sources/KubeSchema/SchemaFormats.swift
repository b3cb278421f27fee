import Foundation

/// The string formats apiextensions-apiserver validates (kube-openapi's strfmt registry, the
/// formats a CRD keeps after unsupported ones are stripped). Any other format, including
/// int32, int64, float and double, is not checked, as on a real server.
enum Formats {
    static func valid(_ format: String, _ s: String) -> Bool {
        switch format {
        case "byte": return Data(base64Encoded: s) != nil
        case "date": return isDate(s)
        case "date-time", "datetime": return isDateTime(s)
        case "duration": return isDuration(s)
        case "uuid": return isUUID(s, version: nil)
        case "uuid3": return isUUID(s, version: "3")
        case "uuid4": return isUUID(s, version: "4")
        case "uuid5": return isUUID(s, version: "5")
        case "hostname": return isHostname(s)
        case "ipv4": return isIPv4(s)
        case "ipv6": return s.contains(":") && isIPv6(s)
        case "cidr": return isCIDR(s)
        case "mac": return isMAC(s)
        case "uri": return isURI(s)
        case "email": return isEmail(s)
        case "hexcolor": return full(s, "^#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
        case "rgbcolor": return full(s, #"^rgb\(\s*(0|[1-9]\d?|1\d\d?|2[0-4]\d|25[0-5])\s*,\s*(0|[1-9]\d?|1\d\d?|2[0-4]\d|25[0-5])\s*,\s*(0|[1-9]\d?|1\d\d?|2[0-4]\d|25[0-5])\s*\)$"#)
        case "bsonobjectid": return full(s, "^[0-9a-fA-F]{24}$")
        default: return true
        }
    }

    static func full(_ s: String, _ pattern: String) -> Bool { PatternCache.matches(pattern, s) ?? true }

    static func isDate(_ s: String) -> Bool {
        guard full(s, #"^\d{4}-\d{2}-\d{2}$"#) else { return false }
        let p = s.split(separator: "-").compactMap { Int($0) }
        return p.count == 3 && (1...12).contains(p[1]) && (1...daysIn(p[1], p[0])).contains(p[2])
    }

    static func daysIn(_ month: Int, _ year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// RFC 3339 date-time (strfmt also takes a space or lowercase `t` for `T`, and no offset).
    static func isDateTime(_ s: String) -> Bool {
        let pattern = #"^(\d{4}-\d{2}-\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:?\d{2})?$"#
        guard full(s, pattern) else { return false }
        let date = String(s.prefix(10))
        let time = s.dropFirst(11).prefix(8).split(separator: ":").compactMap { Int($0) }
        return isDate(date) && time.count == 3 && time[0] < 24 && time[1] < 60 && time[2] < 61
    }

    /// strfmt durations: Go's `time.ParseDuration` units plus d, w and long unit names.
    static func isDuration(_ s: String) -> Bool {
        let unit = "(ns|us|µs|μs|ms|s|m|h|d|w|nanoseconds?|microseconds?|milliseconds?|seconds?|minutes?|hours?|days?|weeks?|sec|min|hr)"
        return full(s, #"^[-+]?(\d+(\.\d+)?\s*"# + unit + #"\s*)+$"#) || s == "0"
    }

    static func isUUID(_ s: String, version: String?) -> Bool {
        let v = version ?? "[0-9a-fA-F]"
        let variant = version == nil || version == "3" ? "[0-9a-fA-F]" : "[89abAB]"
        return full(s, "^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?\(v)[0-9a-fA-F]{3}-?\(variant)[0-9a-fA-F]{3}-?[0-9a-fA-F]{12}$")
    }

    /// strfmt's HostnamePattern, at most 255 bytes, labels at most 63.
    static func isHostname(_ s: String) -> Bool {
        let pattern = #"^([a-zA-Z0-9\p{S}\p{L}]((-?[a-zA-Z0-9\p{S}\p{L}]{0,62})?)|([a-zA-Z0-9\p{S}\p{L}](([a-zA-Z0-9-\p{S}\p{L}]{0,61}[a-zA-Z0-9\p{S}\p{L}])?)(\.)){1,}([a-zA-Z0-9\p{S}\p{L}])(-?[a-zA-Z0-9\p{S}\p{L}]){1,62})$"#
        guard full(s, pattern), s.utf8.count <= 255 else { return false }
        return s.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { $0.utf8.count <= 63 }
    }

    static func isIPv4(_ s: String) -> Bool {
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return false }
        // Go's net.ParseIP: decimal octets, no leading zeros.
        return parts.allSatisfy { p in
            !p.isEmpty && p.count <= 3 && p.allSatisfy({ $0.isASCII && $0.isNumber }) && Int(p)! <= 255 && (p.count == 1 || p.first != "0")
        }
    }

    static func isIPv6(_ s: String) -> Bool {
        var text = Substring(s)
        var groups = 8
        if let last = text.split(separator: ":", omittingEmptySubsequences: false).last, last.contains(".") {
            guard isIPv4(String(last)) else { return false }
            text = text.dropLast(last.count)
            if text.hasSuffix(":"), !text.hasSuffix("::") { text = text.dropLast() }
            groups = 6
        }
        func hex(_ g: Substring) -> Bool { (1...4).contains(g.count) && g.allSatisfy(\.isHexDigit) }
        let halves = text.components(separatedBy: "::")
        switch halves.count {
        case 1:
            let g = text.split(separator: ":", omittingEmptySubsequences: false)
            return g.count == groups && g.allSatisfy(hex)
        case 2:
            let a = halves[0].isEmpty ? [] : halves[0].split(separator: ":", omittingEmptySubsequences: false)
            let b = halves[1].isEmpty ? [] : halves[1].split(separator: ":", omittingEmptySubsequences: false)
            return a.count + b.count < groups && a.allSatisfy(hex) && b.allSatisfy(hex)
        default:
            return false
        }
    }

    static func isCIDR(_ s: String) -> Bool {
        let parts = s.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let bits = Int(parts[1]), parts[1].allSatisfy(\.isNumber) else { return false }
        if isIPv4(String(parts[0])) { return (0...32).contains(bits) }
        if parts[0].contains(":"), isIPv6(String(parts[0])) { return (0...128).contains(bits) }
        return false
    }

    static func isMAC(_ s: String) -> Bool {
        full(s, "^([0-9a-fA-F]{2}[:-]){5}[0-9a-fA-F]{2}$") || full(s, "^([0-9a-fA-F]{2}[:-]){7}[0-9a-fA-F]{2}$")
            || full(s, #"^([0-9a-fA-F]{4}\.){2}[0-9a-fA-F]{4}$"#) || full(s, #"^([0-9a-fA-F]{4}\.){3}[0-9a-fA-F]{4}$"#)
    }

    /// Go's `url.ParseRequestURI`: an absolute URI or an absolute path.
    static func isURI(_ s: String) -> Bool {
        guard !s.isEmpty, !s.contains(" ") || s.hasPrefix("/") else { return false }
        if s.hasPrefix("/") { return true }
        return full(s, "^[a-zA-Z][a-zA-Z0-9+.-]*:.+")
    }

    static func isEmail(_ s: String) -> Bool {
        full(s, #"^[^@\s<>]+@[^@\s<>]+$"#) || full(s, #"^[^<>]*<[^@\s<>]+@[^@\s<>]+>$"#)
    }
}
