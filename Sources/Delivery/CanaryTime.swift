import Foundation

/// RFC 3339 timestamps in status, the only clock memory the decision core has.
enum RFC3339 {
    static func format(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: false))
    }

    static func parse(_ text: String?) -> Date? {
        guard let text else { return nil }
        if let d = try? Date.ISO8601FormatStyle(includingFractionalSeconds: false).parse(text) { return d }
        return try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text)
    }
}
