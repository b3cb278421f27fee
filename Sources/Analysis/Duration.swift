import Foundation

/// Go-style duration strings as Flagger and Argo write them: `30s`, `1m`, `1h30m`, `500ms`, `1.5m`
/// (also `d` and `w` as Prometheus accepts them).
public enum DurationString {
    public struct ParseError: Error, Sendable, Equatable, CustomStringConvertible {
        public var input: String
        /// Well formed, but longer than Go's time.Duration holds.
        public var tooLong = false
        public var description: String {
            tooLong ? "duration \"\(input)\" is longer than the longest Go allows (about 292 years)"
                : "invalid duration \"\(input)\" (expected e.g. 30s, 1m, 1h30m)"
        }
    }

    /// The longest duration Go's `time.ParseDuration` accepts (Int64.max nanoseconds), in seconds.
    public static let maxSeconds = Double(Int64.max) / 1e9

    /// Seconds in the duration.
    public static func seconds(_ text: String) throws -> Double {
        let s = text.trimmingCharacters(in: .whitespaces)
        guard !s.isEmpty else { throw ParseError(input: text) }
        var total = 0.0
        var i = s.startIndex
        var sawUnit = false
        while i < s.endIndex {
            let numStart = i
            while i < s.endIndex, s[i].isNumber || s[i] == "." { i = s.index(after: i) }
            guard numStart < i, let n = Double(s[numStart..<i]) else { throw ParseError(input: text) }
            let unitStart = i
            while i < s.endIndex, s[i].isLetter { i = s.index(after: i) }
            let unit = String(s[unitStart..<i])
            let factor: Double
            switch unit {
            case "ms": factor = 0.001
            case "s": factor = 1
            case "m": factor = 60
            case "h": factor = 3600
            case "d": factor = 86400
            case "w": factor = 604_800
            case "" where s == "0": factor = 0
            default: throw ParseError(input: text)
            }
            total += n * factor
            sawUnit = true
        }
        // Go's time.Duration (int64 nanoseconds) ends near 292 years; beyond it Argo and Flagger
        // reject the text, and converting it to an integer here would trap.
        guard sawUnit else { throw ParseError(input: text) }
        guard total.isFinite, total <= maxSeconds else { throw ParseError(input: text, tooLong: true) }
        return total
    }

    /// A Prometheus range-vector duration for a number of seconds (`90s`, `5m`).
    public static func prometheus(seconds: Double) -> String {
        let whole = Int(seconds.rounded(.up))
        if whole > 0, whole % 3600 == 0 { return "\(whole / 3600)h" }
        if whole > 0, whole % 60 == 0 { return "\(whole / 60)m" }
        return "\(max(whole, 1))s"
    }
}
