import Foundation

/// RFC 3339 timestamps as Kubernetes writes them (the one timestamp helper of Serin): `Time` (`2026-01-02T15:04:05Z`) and
/// `MicroTime` (`2026-01-02T15:04:05.000000Z`, used by Leases and events.k8s.io).
public enum KubeTime {
    /// Formats `date` in UTC, with six fractional digits when `micro` is true.
    public static func format(_ date: Date, micro: Bool = false) -> String {
        let total = date.timeIntervalSince1970
        var secs = Int64(total.rounded(.down))
        var micros = Int64(((total - Double(secs)) * 1_000_000).rounded())
        if micros >= 1_000_000 { secs += 1; micros -= 1_000_000 }
        var days = secs / 86_400
        var rem = secs % 86_400
        if rem < 0 { rem += 86_400; days -= 1 }
        let (y, m, d) = CivilCalendar.civil(fromDays: days)
        let hh = rem / 3600, mm = (rem % 3600) / 60, ss = rem % 60
        var out = pad(y, 4) + "-" + pad(m, 2) + "-" + pad(d, 2) + "T" + pad(hh, 2) + ":" + pad(mm, 2) + ":" + pad(ss, 2)
        if micro { out += "." + pad(micros, 6) }
        return out + "Z"
    }

    /// Parses an optional or empty timestamp (a status field that may be unset).
    public static func parse(_ text: String?) -> Date? {
        guard let text, !text.isEmpty else { return nil }
        return parse(text)
    }

    /// Parses an RFC 3339 timestamp (any number of fractional digits, `Z` or a numeric offset).
    public static func parse(_ text: String) -> Date? {
        let c = Array(text.utf8)
        func num(_ from: Int, _ len: Int) -> Int64? {
            guard from + len <= c.count else { return nil }
            var v: Int64 = 0
            for i in from..<(from + len) {
                guard c[i] >= 48, c[i] <= 57 else { return nil }
                v = v * 10 + Int64(c[i] - 48)
            }
            return v
        }
        guard c.count >= 20, let y = num(0, 4), c[4] == UInt8(ascii: "-"), let mo = num(5, 2), c[7] == UInt8(ascii: "-"),
            let d = num(8, 2), c[10] == UInt8(ascii: "T") || c[10] == UInt8(ascii: "t") || c[10] == UInt8(ascii: " "),
            let h = num(11, 2), c[13] == UInt8(ascii: ":"), let mi = num(14, 2), c[16] == UInt8(ascii: ":"), let s = num(17, 2),
            (1...12).contains(mo), (1...31).contains(d), h < 24, mi < 60, s < 61
        else { return nil }
        var i = 19
        var frac = 0.0
        if i < c.count, c[i] == UInt8(ascii: ".") {
            i += 1
            var scale = 0.1
            let start = i
            while i < c.count, c[i] >= 48, c[i] <= 57 {
                frac += Double(c[i] - 48) * scale
                scale /= 10
                i += 1
            }
            if i == start { return nil }
        }
        var offset: Int64 = 0
        guard i < c.count else { return nil }
        if c[i] == UInt8(ascii: "Z") || c[i] == UInt8(ascii: "z") {
            i += 1
        } else if c[i] == UInt8(ascii: "+") || c[i] == UInt8(ascii: "-") {
            guard let oh = num(i + 1, 2), c.count > i + 3, c[i + 3] == UInt8(ascii: ":"), let om = num(i + 4, 2) else { return nil }
            offset = (oh * 3600 + om * 60) * (c[i] == UInt8(ascii: "-") ? -1 : 1)
            i += 6
        } else {
            return nil
        }
        guard i == c.count else { return nil }
        let days = CivilCalendar.days(fromCivil: y, mo, d)
        let secs = days * 86_400 + h * 3600 + mi * 60 + s - offset
        return Date(timeIntervalSince1970: Double(secs) + frac)
    }

    private static func pad(_ v: Int64, _ width: Int) -> String {
        let s = String(v)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }
}
