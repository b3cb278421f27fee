import KubeCore
import SerinAPI

/// What an incident tool is told about one message: open (or update) the release's alert,
/// close it, or nothing (informational milestones page no one).
public enum AlertIncidentAction: String, Sendable, Hashable {
    case trigger, resolve

    public static func of(_ m: AlertMessage) -> AlertIncidentAction? {
        if m.reason == "Succeeded" { return .resolve }
        return m.severity >= .warn ? .trigger : nil
    }
}

/// PagerDuty Events API v2, Opsgenie Alerts API and Alertmanager v2 bodies. Every alert of
/// one release shares `AlertMessage.incidentKey`, so the release's success resolves them.
extension AlertPayload {
    /// PagerDuty `POST /v2/enqueue`. A resolve carries only the key, as the API documents.
    static func pagerDuty(_ m: AlertMessage, action: AlertIncidentAction, routingKey: String) -> JSONValue {
        var body: JSONValue = ["routing_key": .string(routingKey), "event_action": .string(action.rawValue),
                               "dedup_key": .string(m.incidentKey)]
        guard action == .trigger else { return body }
        var details: [String: JSONValue] = ["reason": .string(m.reason)]
        for f in m.fields { details[f.title] = .string(f.value) }
        body["payload"] = [
            "summary": .string(String(summary(m).prefix(1024))),
            "source": .string("serin/\(m.namespace)/\(m.name)"),
            "severity": .string(m.severity == .error ? "error" : "warning"),
            "timestamp": .string(timestamp(m)),
            "component": .string(m.field("Target") ?? m.subject),
            "group": .string(m.namespace),
            "class": .string(m.reason),
            "custom_details": .object(details),
        ]
        return body
    }

    /// Opsgenie `POST /v2/alerts` (create; Opsgenie de-duplicates on `alias`), or the body of
    /// `POST /v2/alerts/{alias}/close`.
    static func opsgenie(_ m: AlertMessage, action: AlertIncidentAction, username: String) -> JSONValue {
        guard action == .trigger else {
            return ["source": .string(username), "user": .string(username), "note": .string(summary(m))]
        }
        var details: [String: JSONValue] = ["reason": .string(m.reason)]
        for f in m.fields { details[f.title] = .string(f.value) }
        return [
            "message": .string(String(summary(m).prefix(130))),
            "alias": .string(String(m.incidentKey.prefix(512))),
            "description": .string(String(textLines(m, bold: "").prefix(15000))),
            "entity": .string(m.subject),
            "source": .string(username),
            "priority": .string(m.severity == .error ? "P2" : "P3"),
            "tags": .array(["serin", .string(m.kind), .string(m.namespace)]),
            "details": .object(details),
        ]
    }

    /// Alertmanager `POST /api/v2/alerts`: one alert per severity label. A resolve sends both
    /// with `endsAt` now, since the release may have warned and failed.
    static func alertmanager(_ m: AlertMessage, action: AlertIncidentAction) -> JSONValue {
        func alert(_ severity: String) -> JSONValue {
            var a: JSONValue = [
                "labels": [
                    "alertname": "SerinRelease", "severity": .string(severity), "kind": .string(m.kind),
                    "namespace": .string(m.namespace), "name": .string(m.name), "release": .string(m.release ?? "-"),
                ],
                "annotations": [
                    "summary": .string(summary(m)), "description": .string(m.text), "reason": .string(m.reason),
                    "target": .string(m.field("Target") ?? ""),
                ],
                "startsAt": .string(timestamp(m)),
            ]
            if action == .resolve { a["endsAt"] = .string(timestamp(m)) }
            return a
        }
        switch action {
        case .trigger: return [alert(m.severity == .error ? "critical" : "warning")]
        case .resolve: return [alert("critical"), alert("warning")]
        }
    }
}
