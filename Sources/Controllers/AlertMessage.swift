import Delivery
import Foundation
import KubeCore
import SerinAPI

/// One notification, independent of the provider that will carry it.
public struct AlertMessage: Sendable, Hashable {
    /// `Canary` (later also `Rollout`).
    public var kind: String
    public var name: String
    public var namespace: String
    public var severity: AlertSeverity
    /// The Event reason (CamelCase) the message comes from.
    public var reason: String
    public var text: String
    public var phase: String?
    /// Ordered title/value pairs shown under the text (target, weight, failed checks …).
    public var fields: [AlertField]
    public var timestamp: Date
    /// Which release this is about (the Canary's `lastAppliedSpec`): incident tools key their
    /// alert on it, so the release that failed is the one resolved, not the next one.
    public var release: String?
    /// The canary's traffic weight when the event happened.
    public var weight: Int?
    /// The provider's own message line (`spec.template`, rendered); nil: Serin's.
    public var headline: String?

    public init(kind: String, name: String, namespace: String, severity: AlertSeverity, reason: String, text: String,
                phase: String? = nil, fields: [AlertField] = [], timestamp: Date, release: String? = nil,
                weight: Int? = nil) {
        self.kind = kind
        self.name = name
        self.namespace = namespace
        self.severity = severity
        self.reason = reason
        self.text = text
        self.phase = phase
        self.fields = fields
        self.timestamp = timestamp
        self.release = release
        self.weight = weight
    }

    /// `name.namespace`, as Flagger titles its messages.
    public var subject: String { "\(name).\(namespace)" }

    /// One field's value by title.
    public func field(_ title: String) -> String? { fields.first { $0.title == title }?.value }

    /// What a user's template (`AlertTemplate`) may show.
    public var templateValues: [String: String] {
        [
            "Kind": kind, "Name": name, "Namespace": namespace, "Subject": subject, "Reason": reason,
            "Message": text, "Severity": severity.rawValue, "Phase": phase ?? "",
            "Target": field("Target") ?? "", "Weight": weight.map(String.init) ?? "",
            "FailedChecks": field("Failed checks") ?? "", "Timestamp": KubeTime.format(timestamp),
        ]
    }

    /// The key an incident tool groups this release's alerts under.
    public var incidentKey: String { "serin/\(kind)/\(namespace)/\(name)/\(release ?? "-")" }
}

public struct AlertField: Sendable, Hashable {
    public var title: String
    public var value: String
    public init(_ title: String, _ value: String) {
        self.title = title
        self.value = value
    }
}

/// Which of a Canary's decision events become notifications, and how loud.
///
/// Milestones only, as Flagger alerts: a release starting, waiting at a gate, failing checks,
/// rolling back, finishing. Per-step events (each weight advance, readiness waits) stay
/// Kubernetes Events: a 10-step canary would otherwise post ten chat messages.
public enum CanaryAlertEvents {
    static let errors: Set<String> = ["RollingBack", "Failed", "InvalidSpec", "TargetNotFound"]
    static let infos: Set<String> = [
        "NewRevision", "Started", "Initialized", "SkipAnalysis", "ManualPromotion", "Retry", "SwitchTraffic",
        "Promoting", "Succeeded", "Terminated",
    ]
    static let warnings: Set<String> = ["Halt", "Suspended", "Paused", "AbortIgnored"]

    /// The severity of `event`, or nil when it is not worth a notification. `waitingFor` is
    /// what the canary waits for after the decision (a `confirm-*` gate makes `Waiting` a warning).
    public static func severity(of event: CanaryEvent, waitingFor: String?) -> AlertSeverity? {
        if errors.contains(event.reason) { return .error }
        if event.reason == "Waiting" { return (waitingFor ?? "").hasPrefix("confirm-") ? .warn : nil }
        if warnings.contains(event.reason) { return .warn }
        if infos.contains(event.reason) { return .info }
        // A warning this table does not know yet is still worth telling someone about.
        return event.type == .warning ? .warn : nil
    }

    /// The notifications for a decision's events, with Flagger's metadata fields.
    public static func messages(_ events: [CanaryEvent], canary: Canary, status: CanaryStatus,
                                now: Date) -> [AlertMessage] {
        let spec = canary.spec
        let analysis = spec.effectiveAnalysis
        var fields = [
            AlertField("Target", "\(spec.targetRef.kind ?? "Deployment")/\(spec.targetRef.name).\(canary.namespace)"),
            AlertField("Phase", status.phase?.rawValue ?? "Initializing"),
        ]
        switch analysis.strategy {
        case .canary:
            fields.append(AlertField("Traffic routing", "Weight \(status.canaryWeight ?? 0)% of \(analysis.effectiveMaxWeight)%"))
        case .blueGreen:
            fields.append(AlertField("Traffic routing", "Blue/Green, \(analysis.effectiveIterations) iterations"))
        case .abTesting:
            fields.append(AlertField("Traffic routing", "A/B testing, \(analysis.effectiveIterations) iterations"))
        }
        fields.append(AlertField("Failed checks", "\(status.failedChecks ?? 0)/\(analysis.effectiveThreshold)"))
        return events.compactMap { e in
            guard let severity = severity(of: e, waitingFor: status.waitingFor) else { return nil }
            return AlertMessage(kind: "Canary", name: canary.name, namespace: canary.namespace, severity: severity,
                                reason: e.reason, text: e.message, phase: status.phase?.rawValue, fields: fields,
                                timestamp: now, release: status.lastAppliedSpec, weight: status.canaryWeight)
        }
    }
}
