import KubeCore

/// When a webhook runs during a canary's life (Flagger's eight hook types).
public enum WebhookType: String, Codable, Sendable, Hashable, CaseIterable {
    /// Gate before the canary is scaled up; a "no" keeps the canary Waiting.
    case confirmRollout = "confirm-rollout"
    /// Once, before traffic reaches the canary; a failure counts a failed check.
    case preRollout = "pre-rollout"
    /// Every analysis interval, beside the metric checks; a failure counts a failed check.
    case rollout
    /// Gate before each weight increase.
    case confirmTrafficIncrease = "confirm-traffic-increase"
    /// Gate before promotion; a "no" keeps the canary WaitingPromotion.
    case confirmPromotion = "confirm-promotion"
    /// After Succeeded or Failed; its outcome only produces an event.
    case postRollout = "post-rollout"
    /// Polled during analysis; a 2xx answer rolls the canary back.
    case rollback
    /// Receives every event the canary emits.
    case event
}

/// One entry of `analysis.webhooks`.
public struct CanaryWebhook: Codable, Sendable, Hashable {
    public var name: String
    /// Absent means `rollout`, as in Flagger.
    public var type: WebhookType?
    public var url: String
    /// Duration string; default 10s.
    public var timeout: String?
    public var retries: Int?
    /// Free-form key/values sent with the call (Flagger's loadtester reads `type`, `cmd`).
    public var metadata: [String: String]?
    /// Flagger's flag to not alert on this hook's failures.
    public var muteAlert: Bool?

    public init(name: String, type: WebhookType? = nil, url: String, timeout: String? = nil, retries: Int? = nil,
                metadata: [String: String]? = nil, muteAlert: Bool? = nil) {
        self.name = name
        self.type = type
        self.url = url
        self.timeout = timeout
        self.retries = retries
        self.metadata = metadata
        self.muteAlert = muteAlert
    }

    /// Flagger accepts `type: ""` (meaning rollout); kept so the manifest reads back as written.
    public var typeWrittenEmpty: Bool = false
    /// Skip verifying the webhook server's certificate (Flagger's `disableTLS`).
    public var disableTLS: Bool?

    enum CodingKeys: String, CodingKey {
        case name, type, url, timeout, retries, metadata, muteAlert, disableTLS
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        if try c.decodeIfPresent(String.self, forKey: .type) == "" {
            type = nil
            typeWrittenEmpty = true
        } else {
            type = try c.decodeIfPresent(WebhookType.self, forKey: .type)
        }
        url = try c.decode(String.self, forKey: .url)
        timeout = try c.decodeIfPresent(String.self, forKey: .timeout)
        retries = try c.decodeIfPresent(Int.self, forKey: .retries)
        metadata = try c.decodeIfPresent([String: String].self, forKey: .metadata)
        muteAlert = try c.decodeIfPresent(Bool.self, forKey: .muteAlert)
        disableTLS = try c.decodeIfPresent(Bool.self, forKey: .disableTLS)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        if let type {
            try c.encode(type, forKey: .type)
        } else if typeWrittenEmpty {
            try c.encode("", forKey: .type)
        }
        try c.encode(url, forKey: .url)
        try c.encodeIfPresent(timeout, forKey: .timeout)
        try c.encodeIfPresent(retries, forKey: .retries)
        try c.encodeIfPresent(metadata, forKey: .metadata)
        try c.encodeIfPresent(muteAlert, forKey: .muteAlert)
        try c.encodeIfPresent(disableTLS, forKey: .disableTLS)
    }

    public var effectiveType: WebhookType { type ?? .rollout }
    /// Seconds; 10 when absent or unparsable (validation reports the latter).
    public var timeoutSeconds: Double { GoDuration.secondsOrNil(timeout) ?? 10 }
    public var effectiveRetries: Int { max(0, retries ?? 0) }
}

/// The JSON body Serin POSTs to a webhook: `{name, namespace, phase, checksum, metadata}`.
public struct WebhookPayload: Codable, Sendable, Hashable {
    public var name: String
    public var namespace: String
    public var phase: CanaryPhase
    public var checksum: String
    public var metadata: [String: String]?

    public init(name: String, namespace: String, phase: CanaryPhase, checksum: String, metadata: [String: String]?) {
        self.name = name
        self.namespace = namespace
        self.phase = phase
        self.checksum = checksum
        self.metadata = metadata
    }
}

/// What a webhook call returned, as the controller reports it to the decision core.
public struct WebhookResult: Codable, Sendable, Hashable {
    /// True for a 2xx answer within the timeout (after retries).
    public var passed: Bool
    public var statusCode: Int?
    /// Short reason for a failure: "HTTP 403", "timeout after 30s", "connection refused".
    public var message: String

    public init(passed: Bool, statusCode: Int? = nil, message: String = "") {
        self.passed = passed
        self.statusCode = statusCode
        self.message = message
    }
}
