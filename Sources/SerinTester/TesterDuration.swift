import Foundation

/// Go-style durations (`300ms`, `30s`, `5m`, `1h30m`), as Flagger's webhook metadata and
/// `hey -z` write them. A bare number is seconds.
enum TesterDuration {
    static func seconds(_ text: String) -> Double? {
        let t = text.trimmingCharacters(in: .whitespaces)
        if t.isEmpty { return nil }
        if let plain = Double(t) { return plain >= 0 ? plain : nil }
        var total = 0.0
        var rest = Substring(t)
        while !rest.isEmpty {
            let number = rest.prefix { $0.isNumber || $0 == "." }
            guard !number.isEmpty, let value = Double(number) else { return nil }
            rest = rest.dropFirst(number.count)
            let unit = rest.prefix { $0.isLetter || $0 == "µ" }
            rest = rest.dropFirst(unit.count)
            switch unit {
            case "ns": total += value / 1e9
            case "us", "µs": total += value / 1e6
            case "ms": total += value / 1e3
            case "s": total += value
            case "m": total += value * 60
            case "h": total += value * 3600
            default: return nil
            }
        }
        return total
    }

    static func format(_ seconds: Double) -> String {
        if seconds >= 60, seconds.truncatingRemainder(dividingBy: 60) == 0 { return "\(Int(seconds / 60))m" }
        if seconds == seconds.rounded() { return "\(Int(seconds))s" }
        return "\((seconds * 1000).rounded() / 1000)s"
    }
}
