import Foundation

/// Credentials and TLS settings for a metrics server, as values. Resolving them from a Secret
/// is the controller's job (`init(secretData:)` reads Flagger's keys). Descriptions never show a
/// secret: only which kinds of credentials are set.
public struct MetricCredentials: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
    public var bearerToken: String?
    public var username: String?
    public var password: String?
    /// Extra headers (e.g. `X-Scope-OrgID`); their values are treated as secrets too.
    public var headers: [String: String]
    /// PEM bundle of CAs to trust in addition to nothing else (replaces the system roots).
    public var caCertificatePEM: String?
    public var insecureSkipVerify: Bool
    /// Other values to keep out of messages (e.g. analysis args read from Secrets); never sent.
    public var extraSecrets: [String] = []
    /// The whole Secret, for providers with keys of their own (`datadog_api_key`); every value is a secret.
    public var secretData: [String: String] = [:]
    /// AWS SigV4 signing of each request (Amazon Managed Prometheus); replaces other authorization.
    public var sigv4: AWSSigning?

    public init(bearerToken: String? = nil, username: String? = nil, password: String? = nil,
                headers: [String: String] = [:], caCertificatePEM: String? = nil, insecureSkipVerify: Bool = false) {
        self.bearerToken = bearerToken
        self.username = username
        self.password = password
        self.headers = headers
        self.caCertificatePEM = caCertificatePEM
        self.insecureSkipVerify = insecureSkipVerify
    }

    public static let none = MetricCredentials()

    /// From a Secret's decoded `data`: `token` (bearer), `username` + `password` (basic),
    /// `ca.crt` (CA bundle); `headers` and `insecureSkipVerify` come from the template.
    public init(secretData: [String: String], headers: [String: String] = [:], insecureSkipVerify: Bool = false) {
        self.init(bearerToken: secretData["token"] ?? secretData["bearerToken"], username: secretData["username"],
                  password: secretData["password"], headers: headers, caCertificatePEM: secretData["ca.crt"],
                  insecureSkipVerify: insecureSkipVerify)
        self.secretData = secretData.filter { $0.key != "ca.crt" }
    }

    /// A key of the Secret a provider needs; the error names the key, never a value.
    public func secret(_ key: String, provider: String) throws -> String {
        guard let v = secretData[key], !v.isEmpty else {
            let have = secretData.keys.sorted()
            throw MetricSpecError("the \(provider) provider needs the key \(key) in the template's secretRef Secret"
                + (have.isEmpty ? " (no Secret is set or it is empty)" : " (it has \(have.joined(separator: ", ")))"))
        }
        return v
    }

    /// Every secret value, longest first, so redaction replaces whole values.
    var secretValues: [String] {
        var values = [bearerToken, password].compactMap { $0 }
        values += headers.values
        values += extraSecrets
        values += secretData.values
        values += sigv4?.credentials.secrets ?? []
        if let u = username, let p = password { values.append(u + ":" + p) }
        return values.filter { $0.count >= 3 }.sorted { $0.count > $1.count }
    }

    /// Replaces any secret value found in `text` by `[redacted]`.
    public func redact(_ text: String) -> String {
        var out = text
        for s in secretValues where out.contains(s) { out = out.replacingOccurrences(of: s, with: "[redacted]") }
        return out
    }

    public var description: String {
        var parts: [String] = []
        if bearerToken != nil { parts.append("bearer token") }
        if username != nil || password != nil { parts.append("basic auth") }
        if !headers.isEmpty { parts.append("headers \(headers.keys.sorted().joined(separator: ","))") }
        if caCertificatePEM != nil { parts.append("custom CA") }
        if insecureSkipVerify { parts.append("insecureSkipVerify") }
        if let s = sigv4 { parts.append("sigv4 \(s.region)") }
        return "MetricCredentials(" + (parts.isEmpty ? "none" : parts.joined(separator: ", ")) + ")"
    }

    public var debugDescription: String { description }
}

/// How to sign requests with AWS SigV4: the region and service of the scope, and the keys.
public struct AWSSigning: Sendable, Hashable {
    public var region: String
    public var service: String
    public var credentials: AWSCredentials

    public init(region: String, service: String, credentials: AWSCredentials) {
        self.region = region
        self.service = service
        self.credentials = credentials
    }
}
