import KubeCore

/// How loud a notification is. Ordered: a filter at `warn` lets `warn` and `error` through.
public enum AlertSeverity: String, Codable, Sendable, Hashable, CaseIterable, Comparable {
    case info, warn, error

    private var rank: Int {
        switch self {
        case .info: return 0
        case .warn: return 1
        case .error: return 2
        }
    }

    public static func < (a: AlertSeverity, b: AlertSeverity) -> Bool { a.rank < b.rank }
}

/// Where a provider's messages go, by the payload shape it expects.
public enum AlertProviderType: String, Codable, Sendable, Hashable, CaseIterable {
    /// Slack incoming webhook (`text` + `blocks`).
    case slack
    /// Microsoft Teams incoming webhook (MessageCard).
    case msteams
    /// Discord webhook (`content` + `embeds`).
    case discord
    /// Any HTTP endpoint taking a JSON document describing the event.
    case generic
    /// Rocket.Chat incoming webhook (`text` + `attachments`).
    case rocket
    /// Google Chat space webhook (`text`); Flagger's `gchat` is read as this.
    case googlechat
    /// PagerDuty Events API v2 (`/v2/enqueue`): routing key from the Secret's `token`.
    case pagerduty
    /// Opsgenie Alerts API (`/v2/alerts`): API key from the Secret's `token`.
    case opsgenie
    /// Telegram Bot API `sendMessage`: bot token from the Secret's `token`, chat id in `channel`.
    case telegram
    /// SMTP with STARTTLS and AUTH to `email.to`; login from the Secret's `username`/`password`.
    case email
    /// Prometheus Alertmanager's v2 API (`/api/v2/alerts`).
    case alertmanager

    /// Other names for a type, as Flagger spells them.
    public static let aliases: [String: AlertProviderType] = ["gchat": .googlechat]

    /// Types that page someone: they get warnings and errors (trigger) and the release's end
    /// (resolve), never the informational milestones.
    public var isIncidentTool: Bool { self == .pagerduty || self == .opsgenie || self == .alertmanager }

    /// The API address used when the provider sets none (nil: an address is required).
    public var defaultAddress: String? {
        switch self {
        case .pagerduty: return "https://events.pagerduty.com"
        case .opsgenie: return "https://api.opsgenie.com"
        case .telegram: return "https://api.telegram.org"
        default: return nil
        }
    }

    /// Whether the Secret must hold a `token` (API key, routing key or bot token).
    public var needsToken: Bool { self == .pagerduty || self == .opsgenie || self == .telegram }
}

/// `AlertProvider` (serin.dev/v1alpha1, namespaced): a chat or webhook destination named by a
/// Canary's `analysis.alerts[].providerRef`. Shape of Flagger's AlertProvider plus a
/// severity filter.
public struct AlertProvider: Codable, Sendable, Hashable {
    public var apiVersion: String
    public var kind: String
    /// Carried verbatim so that no field is lost.
    public var metadata: JSONValue
    public var spec: AlertProviderSpec

    public init(name: String, namespace: String? = nil, spec: AlertProviderSpec) {
        apiVersion = "serin.dev/v1alpha1"
        kind = "AlertProvider"
        var meta: JSONValue = ["name": .string(name)]
        if let namespace { meta["namespace"] = .string(namespace) }
        metadata = meta
        self.spec = spec
    }

    /// Decodes the JSON the API server returns; a type error names the field.
    public init(json: JSONValue) throws(CanaryDecodeError) {
        do {
            self = try json.decode(as: AlertProvider.self)
        } catch let e as DecodingError {
            let text = e.fieldMessage
            if let colon = text.range(of: ": ") {
                throw CanaryDecodeError(path: String(text[..<colon.lowerBound]), message: String(text[colon.upperBound...]))
            }
            throw CanaryDecodeError(path: "", message: text)
        } catch {
            throw CanaryDecodeError(path: "", message: "\(error)")
        }
    }

    public var name: String { metadata["name"].stringValue ?? "" }
    public var namespace: String? { metadata["namespace"].stringValue }

    /// The existing `ResourceType.alertProviders`, under the name the other kinds use.
    public static let resourceType = ResourceType.alertProviders
}

public struct AlertProviderSpec: Codable, Sendable, Hashable {
    /// `slack`, `msteams`, `discord` or `generic`; a String so that an unknown type is a
    /// validation message rather than a decode failure.
    public var type: String
    /// The webhook URL. Often a credential itself (Slack, Discord): prefer `secretRef`.
    public var address: String?
    /// A Secret in the provider's namespace whose key `address` holds the URL (and optionally
    /// `proxy`); it wins over `address`, as in Flagger.
    public var secretRef: AlertProviderSecretRef?
    /// Slack channel (other types ignore it).
    public var channel: String?
    /// Sender name shown by Slack and Discord; default `serin`.
    public var username: String?
    /// HTTP proxy URL for the call.
    public var proxy: String?
    /// Lowest severity sent: `info` (everything, the default), `warn` or `error`.
    public var severity: String?
    /// The message line, replacing Serin's default; placeholders as in `AlertTemplate`.
    public var template: String?
    /// Sender and recipients of the `email` type.
    public var email: AlertProviderEmail?

    public init(type: String, address: String? = nil, secretRef: AlertProviderSecretRef? = nil,
                channel: String? = nil, username: String? = nil, proxy: String? = nil, severity: String? = nil,
                template: String? = nil, email: AlertProviderEmail? = nil) {
        self.type = type
        self.address = address
        self.secretRef = secretRef
        self.channel = channel
        self.username = username
        self.proxy = proxy
        self.severity = severity
        self.template = template
        self.email = email
    }

    public var providerType: AlertProviderType? { AlertProviderType(rawValue: type) ?? AlertProviderType.aliases[type] }
    /// The filter in force (`info` when absent or unreadable; validation reports the latter).
    public var effectiveSeverity: AlertSeverity { severity.flatMap(AlertSeverity.init(rawValue:)) ?? .info }
    public var effectiveUsername: String { (username?.isEmpty == false ? username : nil) ?? "serin" }
}

public struct AlertProviderEmail: Codable, Sendable, Hashable {
    /// The From address (`serin@example.com`).
    public var from: String
    /// The recipients.
    public var to: [String]
    public init(from: String, to: [String]) {
        self.from = from
        self.to = to
    }
}

public struct AlertProviderSecretRef: Codable, Sendable, Hashable {
    public var name: String
    public init(name: String) { self.name = name }
}

extension CanaryAlert {
    /// The lowest severity this alert entry sends (`info` when absent).
    public var effectiveSeverity: AlertSeverity { severity.flatMap(AlertSeverity.init(rawValue:)) ?? .info }
}
