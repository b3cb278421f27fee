import Foundation
import KubeCore

/// Durations as Flagger's webhook metadata and `hey -z` write them: Go's grammar, or a bare
/// number of seconds.
enum TesterDuration {
    static func seconds(_ text: String) -> Double? {
        let t = text.trimmingCharacters(in: .whitespaces)
        if let plain = Double(t) { return plain >= 0 ? plain : nil }
        guard let s = GoDuration.secondsOrNil(t), s >= 0 else { return nil }
        return s
    }

    static func format(_ seconds: Double) -> String {
        if seconds >= 60, seconds.truncatingRemainder(dividingBy: 60) == 0 { return "\(Int(seconds / 60))m" }
        if seconds == seconds.rounded() { return "\(Int(seconds))s" }
        return "\((seconds * 1000).rounded() / 1000)s"
    }
}
