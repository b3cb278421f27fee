import Foundation
import KubeCore

/// Durations as kubectl prints ages (`45s`, `3m20s`, `2h`, `5d`): exact when short, coarser
/// as they grow.
enum HumanDuration {
    static func format(_ seconds: Double) -> String {
        let s = Int(max(0, seconds).rounded(.down))
        if s < 120 { return "\(s)s" }
        let m = s / 60
        if m < 10 { return s % 60 == 0 ? "\(m)m" : "\(m)m\(s % 60)s" }
        if m < 180 { return "\(m)m" }
        let h = m / 60
        if h < 8 { return m % 60 == 0 ? "\(h)h" : "\(h)h\(m % 60)m" }
        if h < 48 { return "\(h)h" }
        let d = h / 24
        if d < 8 { return h % 24 == 0 ? "\(d)d" : "\(d)d\(h % 24)h" }
        if d < 365 * 2 { return "\(d)d" }
        return "\(d / 365)y"
    }

    /// Age of an RFC 3339 timestamp relative to `now`, or `-` when absent or unreadable.
    static func age(_ rfc3339: String?, now: Date) -> String {
        guard let date = KubeTime.parse(rfc3339) else { return "-" }
        return format(now.timeIntervalSince(date))
    }

    /// A schedule offset: `0s`, `1m`, `10m30s`, `1h5m` (exact, for simulate).
    static func offset(_ seconds: Double) -> String {
        var rest = Int(seconds.rounded())
        if rest == 0 { return "0s" }
        var out = ""
        if rest >= 3600 { out += "\(rest / 3600)h"; rest %= 3600 }
        if rest >= 60 { out += "\(rest / 60)m"; rest %= 60 }
        if rest > 0 { out += "\(rest)s" }
        return out
    }
}

