import Foundation
import KubeCore

/// Durations of analysis intervals and windows: Go's grammar (GoDuration, the one parser), not
/// signed, and with Prometheus' `d` and `w` as well.
public enum DurationString {
    public typealias ParseError = GoDuration.ParseError

    /// The longest duration Go's `time.ParseDuration` accepts, in seconds.
    public static let maxSeconds = GoDuration.maxSeconds

    /// Seconds in the duration.
    public static func seconds(_ text: String) throws(ParseError) -> Double {
        let s = text.trimmingCharacters(in: .whitespaces)
        if s.hasPrefix("-") || s.hasPrefix("+") { throw ParseError(input: text, reason: "a signed duration is not a length of time") }
        return try GoDuration.seconds(s, allowing: .daysAndWeeks)
    }

    /// A Prometheus range-vector duration for a number of seconds (`90s`, `5m`).
    public static func prometheus(seconds: Double) -> String {
        let whole = Int(seconds.rounded(.up))
        if whole > 0, whole % 3600 == 0 { return "\(whole / 3600)h" }
        if whole > 0, whole % 60 == 0 { return "\(whole / 60)m" }
        return "\(max(whole, 1))s"
    }
}
