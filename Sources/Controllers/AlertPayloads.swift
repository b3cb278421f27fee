import Foundation
import KubeCore
import KubeRuntime
import SerinAPI

/// The JSON body each provider type expects for one message.
public enum AlertPayload {
    public static func body(_ type: AlertProviderType, _ m: AlertMessage, channel: String?, username: String) -> JSONValue {
        switch type {
        case .slack: return slack(m, channel: channel, username: username)
        case .msteams: return msTeams(m)
        case .discord: return discord(m, username: username)
        case .generic: return generic(m, channel: channel, username: username)
        case .rocket: return rocket(m, channel: channel, username: username)
        case .googlechat: return googleChat(m)
        // The rest need a token or an action (`AlertNotifier.Target.plan`); a plain document
        // keeps this total.
        case .pagerduty, .opsgenie, .telegram, .email, .alertmanager: return generic(m, channel: channel, username: username)
        }
    }

    /// One line for clients that show no rich layout (notification previews, plain-text logs).
    public static func summary(_ m: AlertMessage) -> String {
        m.headline ?? "\(label(m.severity)) \(m.kind) \(m.subject): \(m.text)"
    }

    static func label(_ s: AlertSeverity) -> String {
        switch s {
        case .info: return "[info]"
        case .warn: return "[warning]"
        case .error: return "[error]"
        }
    }

    /// Green, amber, red (hex without `#`).
    static func color(_ s: AlertSeverity) -> String {
        switch s {
        case .info: return "2EB886"
        case .warn: return "FFAE42"
        case .error: return "E01E5A"
        }
    }

    static func timestamp(_ m: AlertMessage) -> String { KubeTime.format(m.timestamp) }

    /// Slack incoming webhook: `text` (fallback and notifications) plus Block Kit blocks.
    static func slack(_ m: AlertMessage, channel: String?, username: String) -> JSONValue {
        var fields: [JSONValue] = m.fields.map { .object(["type": "mrkdwn", "text": .string("*\($0.title)*\n\($0.value)")]) }
        if fields.count > 10 { fields = Array(fields.prefix(10)) }  // Slack's limit per section
        var blocks: [JSONValue] = [
            ["type": "section",
             "text": ["type": "mrkdwn", "text": .string("*\(m.kind) \(m.subject)* · \(m.reason)\n\(m.text)")]],
        ]
        if !fields.isEmpty { blocks.append(["type": "section", "fields": .array(fields)]) }
        blocks.append(["type": "context",
                       "elements": [["type": "mrkdwn", "text": .string("\(label(m.severity)) serin · \(timestamp(m))")]]])
        var body: JSONValue = ["text": .string(summary(m)), "username": .string(username), "blocks": .array(blocks)]
        if let channel, !channel.isEmpty { body["channel"] = .string(channel) }
        return body
    }

    /// Microsoft Teams incoming webhook: a legacy MessageCard with facts.
    static func msTeams(_ m: AlertMessage) -> JSONValue {
        let facts: [JSONValue] = m.fields.map { ["name": .string($0.title), "value": .string($0.value)] }
        return [
            "@type": "MessageCard",
            "@context": "https://schema.org/extensions",
            "themeColor": .string(color(m.severity)),
            "summary": .string(summary(m)),
            "title": .string("\(m.kind) \(m.subject)"),
            "sections": [[
                "activityTitle": .string("\(label(m.severity)) \(m.reason)"),
                "activitySubtitle": .string(m.text),
                "facts": .array(facts),
            ]],
        ]
    }

    /// Discord webhook: `content` plus one embed coloured by severity.
    static func discord(_ m: AlertMessage, username: String) -> JSONValue {
        let fields: [JSONValue] = m.fields.map { ["name": .string($0.title), "value": .string($0.value), "inline": true] }
        let embed: JSONValue = [
            "title": .string("\(m.kind) \(m.subject) · \(m.reason)"),
            "description": .string(m.text),
            "color": .int(Int64(color(m.severity), radix: 16) ?? 0),
            "fields": .array(fields),
            "timestamp": .string(timestamp(m)),
        ]
        return ["username": .string(username), "content": .string(summary(m)), "embeds": [embed]]
    }

    /// A JSON document describing the event, for any receiver.
    static func generic(_ m: AlertMessage, channel: String?, username: String) -> JSONValue {
        var fields: [String: JSONValue] = [:]
        for f in m.fields { fields[f.title] = .string(f.value) }
        var body: JSONValue = [
            "kind": .string(m.kind), "name": .string(m.name), "namespace": .string(m.namespace),
            "severity": .string(m.severity.rawValue), "reason": .string(m.reason), "message": .string(m.text),
            "phase": m.phase.map(JSONValue.string) ?? .null, "timestamp": .string(timestamp(m)),
            "fields": .object(fields), "username": .string(username),
        ]
        if let channel, !channel.isEmpty { body["channel"] = .string(channel) }
        return body
    }
}
