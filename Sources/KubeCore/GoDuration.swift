/// Go's `time.ParseDuration` grammar (`300ms`, `1m30s`, `-1.5h`, `2h45m`): Flagger intervals and
/// timeouts, Argo durations, webhook metadata and CEL's duration() are all written in it. The
/// one duration parser of Serin.
public enum GoDuration {
    public struct ParseError: Error, Sendable, Hashable, CustomStringConvertible {
        public var input: String
        public var reason: String
        /// Well formed, but longer than Go's time.Duration (Int64 nanoseconds) holds.
        public var tooLong: Bool

        public init(input: String, reason: String, tooLong: Bool = false) {
            self.input = input
            self.reason = reason
            self.tooLong = tooLong
        }

        public var description: String {
            tooLong ? "duration \"\(input)\" is longer than the longest Go allows (about 292 years)"
                : "invalid duration \"\(input)\": \(reason)"
        }
    }

    /// Units beyond Go's.
    public struct ExtraUnits: OptionSet, Sendable {
        public let rawValue: Int
        public init(rawValue: Int) { self.rawValue = rawValue }
        /// `d` and `w`, as Prometheus range durations accept them.
        public static let daysAndWeeks = ExtraUnits(rawValue: 1)
    }

    /// The longest duration Go accepts (Int64.max nanoseconds), in seconds.
    public static let maxSeconds = Double(Int64.max) / 1e9

    /// Unit lengths in seconds; `us` and `µs`/`μs` are all microseconds, as in Go.
    private static let units: [String: Double] = [
        "ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600,
    ]
    private static let daysAndWeeks: [String: Double] = ["d": 86_400, "w": 604_800]

    /// The duration in seconds.
    public static func seconds(_ text: String, allowing extra: ExtraUnits = []) throws(ParseError) -> Double {
        var chars = Array(text.unicodeScalars)
        guard !chars.isEmpty else { throw ParseError(input: text, reason: "empty") }
        var sign = 1.0
        if chars[0] == "-" || chars[0] == "+" {
            if chars[0] == "-" { sign = -1 }
            chars.removeFirst()
        }
        // Go accepts a bare "0" and nothing else without a unit.
        if chars.count == 1 && chars[0] == "0" { return 0 }
        guard !chars.isEmpty else { throw ParseError(input: text, reason: "no number") }
        var i = 0
        var total = 0.0
        while i < chars.count {
            var number = ""
            var sawDigit = false
            while i < chars.count, chars[i] == "." || ("0"..."9").contains(chars[i]) {
                if chars[i] != "." { sawDigit = true }
                number.unicodeScalars.append(chars[i])
                i += 1
            }
            guard sawDigit, number.filter({ $0 == "." }).count <= 1, let value = Double(number.hasPrefix(".") ? "0" + number : number)
            else { throw ParseError(input: text, reason: "expected a number at position \(i)") }
            var unit = ""
            while i < chars.count, chars[i] != ".", !("0"..."9").contains(chars[i]) {
                unit.unicodeScalars.append(chars[i])
                i += 1
            }
            guard !unit.isEmpty else { throw ParseError(input: text, reason: "missing unit (use ms, s, m or h)") }
            guard let scale = units[unit] ?? (extra.contains(.daysAndWeeks) ? daysAndWeeks[unit] : nil) else {
                throw ParseError(input: text, reason: "unknown unit \"\(unit)\" (use ns, us, ms, s, m or h)")
            }
            total += value * scale
        }
        // Beyond Go's range the peers refuse the text, and converting it to an integer would trap.
        guard total.isFinite, total <= maxSeconds else { throw ParseError(input: text, reason: "too long", tooLong: true) }
        return sign * total
    }

    /// The duration in nanoseconds, as Go's time.Duration holds it.
    public static func nanoseconds(_ text: String) throws(ParseError) -> Int64 {
        let s = try seconds(text)
        let ns = (s * 1e9).rounded()
        guard ns < 9.2e18, ns > -9.2e18 else { throw ParseError(input: text, reason: "too long", tooLong: true) }
        return Int64(ns)
    }

    /// Seconds, or nil when the text does not parse.
    public static func secondsOrNil(_ text: String?) -> Double? {
        guard let text else { return nil }
        return try? seconds(text)
    }

    /// A compact Go-style rendering (`1m30s`, `500ms`) for messages.
    public static func format(_ seconds: Double) -> String {
        if seconds == 0 { return "0s" }
        if seconds < 1 { return "\(Int((seconds * 1000).rounded()))ms" }
        var rest = Int(seconds.rounded())
        var out = ""
        if rest >= 3600 { out += "\(rest / 3600)h"; rest %= 3600 }
        if rest >= 60 { out += "\(rest / 60)m"; rest %= 60 }
        if rest > 0 || out.isEmpty { out += "\(rest)s" }
        return out
    }
}
