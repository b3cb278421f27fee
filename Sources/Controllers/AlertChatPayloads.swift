import KubeCore
import SerinAPI

/// Rocket.Chat, Google Chat and Telegram bodies: chat services whose payloads are plain
/// text, or text plus one attachment.
extension AlertPayload {
    /// Rocket.Chat incoming webhook: `text`, the sender as `alias`, and one attachment with the
    /// fields (Rocket.Chat's own names: `title`, `value`, `short`).
    static func rocket(_ m: AlertMessage, channel: String?, username: String) -> JSONValue {
        let fields: [JSONValue] = m.fields.map { ["title": .string($0.title), "value": .string($0.value), "short": true] }
        var body: JSONValue = [
            "alias": .string(username),
            "text": .string(summary(m)),
            "attachments": [[
                "title": .string("\(m.kind) \(m.subject) · \(m.reason)"),
                "text": .string(m.text),
                "color": .string("#" + color(m.severity)),
                "fields": .array(fields),
            ]],
        ]
        if let channel, !channel.isEmpty { body["channel"] = .string(channel) }
        return body
    }

    /// Google Chat space webhook: one `text` message (Chat's `*bold*`), the fields as lines.
    static func googleChat(_ m: AlertMessage) -> JSONValue {
        ["text": .string(textLines(m, bold: "*"))]
    }

    /// Telegram `sendMessage`: plain text (no `parse_mode`, so nothing in a message needs escaping).
    static func telegram(_ m: AlertMessage, chat: String) -> JSONValue {
        ["chat_id": .string(chat), "text": .string(String(textLines(m, bold: "").prefix(4096)))]
    }

    /// The summary line, then one `Title: value` line per field.
    static func textLines(_ m: AlertMessage, bold: String) -> String {
        ([bold + summary(m) + bold] + m.fields.map { "\($0.title): \($0.value)" }).joined(separator: "\n")
    }
}
