import KubeCore
/// Durations in Go's time.ParseDuration syntax and RFC 3339 timestamps, as CEL reads them.
enum CELTime {
    static func parseDuration(_ s: String) -> Int64? { try? GoDuration.nanoseconds(s) }

    /// cel-go prints durations as seconds: "10s", "1.5s".
    static func formatDuration(_ ns: Int64) -> String {
        let secs = ns / 1_000_000_000, frac = abs(ns % 1_000_000_000)
        if frac == 0 { return "\(secs)s" }
        var f = String(frac)
        f = String(repeating: "0", count: 9 - f.count) + f
        while f.hasSuffix("0") { f.removeLast() }
        return "\(ns < 0 && secs == 0 ? "-" : "")\(secs).\(f)s"
    }

    static func parseTimestamp(_ s: String) -> (Int64, Int32)? {
        let c = Array(s.utf8)
        func num(_ from: Int, _ len: Int) -> Int? {
            guard from + len <= c.count else { return nil }
            var v = 0
            for b in c[from..<from + len] { guard b >= 48, b <= 57 else { return nil }; v = v * 10 + Int(b - 48) }
            return v
        }
        guard c.count >= 20, let y = num(0, 4), c[4] == 45, let mo = num(5, 2), c[7] == 45, let d = num(8, 2),
              c[10] == 84 || c[10] == 116 || c[10] == 32, let h = num(11, 2), c[13] == 58, let mi = num(14, 2), c[16] == 58, let se = num(17, 2)
        else { return nil }
        guard (1...12).contains(mo), (1...31).contains(d), h < 24, mi < 60, se < 61 else { return nil }
        var i = 19
        var nanos = 0
        if i < c.count, c[i] == 46 {
            i += 1
            var digits = 0
            while i < c.count, c[i] >= 48, c[i] <= 57 {
                if digits < 9 { nanos = nanos * 10 + Int(c[i] - 48) }
                digits += 1
                i += 1
            }
            guard digits > 0 else { return nil }
            for _ in digits..<9 where digits < 9 { nanos *= 10 }
        }
        guard i < c.count else { return nil }
        var offset = 0
        if c[i] == 90 || c[i] == 122 {
            i += 1
        } else if c[i] == 43 || c[i] == 45, let oh = num(i + 1, 2), c.count > i + 3, c[i + 3] == 58, let om = num(i + 4, 2) {
            offset = (oh * 3600 + om * 60) * (c[i] == 45 ? -1 : 1)
            i += 6
        } else {
            return nil
        }
        guard i == c.count else { return nil }
        let days = daysFromCivil(y, mo, d)
        let secs = Int64(days) * 86400 + Int64(h * 3600 + mi * 60 + se) - Int64(offset)
        return (secs, Int32(nanos))
    }

    static func formatTimestamp(_ secs: Int64, _ nanos: Int32) -> String {
        let days = Int(secs >= 0 ? secs / 86400 : (secs - 86399) / 86400)
        let rem = Int(secs - Int64(days) * 86400)
        let (y, m, d) = civilFromDays(days)
        func p(_ v: Int, _ n: Int) -> String { let s = String(v); return String(repeating: "0", count: max(0, n - s.count)) + s }
        var out = "\(p(y, 4))-\(p(m, 2))-\(p(d, 2))T\(p(rem / 3600, 2)):\(p(rem / 60 % 60, 2)):\(p(rem % 60, 2))"
        if nanos != 0 {
            var f = p(Int(nanos), 9)
            while f.hasSuffix("0") { f.removeLast() }
            out += "." + f
        }
        return out + "Z"
    }

    static func daysFromCivil(_ y: Int, _ m: Int, _ d: Int) -> Int {
        Int(CivilCalendar.days(fromCivil: Int64(y), Int64(m), Int64(d)))
    }

    static func civilFromDays(_ z: Int) -> (Int, Int, Int) {
        let c = CivilCalendar.civil(fromDays: Int64(z))
        return (Int(c.year), Int(c.month), Int(c.day))
    }
}

enum CELBase64 {
    static func decode(_ s: String) -> [UInt8]? {
        var out: [UInt8] = []
        var buf: UInt32 = 0, bits = 0
        for u in s.utf8 {
            let v: UInt8
            switch u {
            case 65...90: v = u - 65
            case 97...122: v = u - 71
            case 48...57: v = u + 4
            case 43, 45: v = 62
            case 47, 95: v = 63
            case 61: continue
            default: return nil
            }
            buf = buf << 6 | UInt32(v)
            bits += 6
            if bits >= 8 { bits -= 8; out.append(UInt8(truncatingIfNeeded: buf >> UInt32(bits))) }
        }
        return out
    }
}
