import Foundation

/// Everything needed to reach one API server as one user: the result of reading a
/// kubeconfig (one context) or the in-cluster service-account files.
public struct KubeConfig: Sendable, Equatable, CustomStringConvertible {
    /// `https://host:port`, possibly with a path prefix; no trailing slash.
    public var server: String
    /// PEM of the CA bundle to trust instead of the system roots.
    public var certificateAuthorityPEM: [UInt8]?
    public var insecureSkipTLSVerify: Bool
    /// Overrides the name checked against the server certificate (`tls-server-name`).
    public var tlsServerName: String?
    /// PEM client certificate (chain) and key for mutual TLS.
    public var clientCertificatePEM: [UInt8]?
    public var clientKeyPEM: [UInt8]?
    public var credentials: Credentials
    /// The default namespace (context namespace, the service account's namespace, or `default`).
    public var namespace: String
    /// The context used, when read from a kubeconfig.
    public var contextName: String?
    /// Where this came from, for messages: the kubeconfig path(s) or `in-cluster`.
    public var source: String

    public enum Credentials: Sendable, Equatable {
        case none
        case bearerToken(String)
        /// A file holding the token, re-read when it rotates (projected service-account tokens).
        case bearerTokenFile(String)
        case basic(username: String, password: String)
    }

    public init(
        server: String, certificateAuthorityPEM: [UInt8]? = nil, insecureSkipTLSVerify: Bool = false,
        tlsServerName: String? = nil, clientCertificatePEM: [UInt8]? = nil, clientKeyPEM: [UInt8]? = nil,
        credentials: Credentials = .none, namespace: String = "default", contextName: String? = nil,
        source: String = "inline"
    ) {
        self.server = KubeConfig.normalizeServer(server)
        self.certificateAuthorityPEM = certificateAuthorityPEM
        self.insecureSkipTLSVerify = insecureSkipTLSVerify
        self.tlsServerName = tlsServerName
        self.clientCertificatePEM = clientCertificatePEM
        self.clientKeyPEM = clientKeyPEM
        self.credentials = credentials
        self.namespace = namespace
        self.contextName = contextName
        self.source = source
    }

    static func normalizeServer(_ s: String) -> String {
        var out = s.trimmingCharacters(in: .whitespaces)
        while out.hasSuffix("/") { out.removeLast() }
        return out
    }

    /// Safe to log: never shows a token, password or key.
    public var description: String {
        let auth: String
        switch credentials {
        case .none: auth = clientCertificatePEM != nil ? "client certificate" : "none"
        case .bearerToken: auth = "bearer token (redacted)"
        case .bearerTokenFile(let p): auth = "bearer token file \(p)"
        case .basic(let u, _): auth = "basic auth as \(u)"
        }
        let ctx = contextName.map { " context \"\($0)\"" } ?? ""
        return "KubeConfig(\(source)\(ctx): server \(server), namespace \(namespace), auth \(auth)"
            + (insecureSkipTLSVerify ? ", TLS verification OFF" : "") + ")"
    }
}

/// A configuration that cannot be used; the message names the file, the context and the field.
public struct KubeConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
