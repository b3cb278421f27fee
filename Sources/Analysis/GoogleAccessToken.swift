import Crypto
import _CryptoExtras
import Foundation
import KubeCore
import Synchronization

/// An OAuth2 access token for Google APIs, from a service-account key (Google's JWT bearer
/// grant: a JWT signed RS256 with the key, exchanged at the key's `token_uri`) or, without a
/// key, from the GCE/GKE metadata server (workload identity). Tokens are cached until a
/// minute before they expire.
struct GoogleAccessToken: Sendable {
    static let scope = "https://www.googleapis.com/auth/monitoring.read"

    /// The fields of a service-account key file Serin uses.
    struct ServiceAccountKey: Decodable, Sendable {
        var type: String?
        var client_email: String
        var private_key: String
        var private_key_id: String?
        var token_uri: String?
        var project_id: String?
    }

    let http: MetricHTTPClient
    let now: @Sendable () -> Date
    /// `GCE_METADATA_HOST` overrides the metadata server's host, as Google's libraries allow.
    let environment: [String: String]

    private static let cache = Mutex<[String: (token: String, expires: Date)]>([:])

    static func parseKey(_ json: String) throws -> ServiceAccountKey {
        let key: ServiceAccountKey
        do { key = try JSONValue(parsing: Array(json.utf8)).decode(as: ServiceAccountKey.self) } catch {
            throw MetricSpecError("serviceAccountKey of the template's Secret is not a Google service-account key (JSON with client_email and private_key)")
        }
        if let t = key.type, t != "service_account" {
            throw MetricSpecError("serviceAccountKey is a \"\(t)\" credential; the stackdriver provider takes a service_account key")
        }
        return key
    }

    /// The token for `key`, or the metadata server's when nil.
    func token(key: ServiceAccountKey?, timeout: Double) async throws -> String {
        // Keyed by the key itself (a rotated key gets a new token), never by a secret in clear.
        let cacheKey = key.map { k in
            "\(k.client_email)|\(k.token_uri ?? "")|" + SHA256.hash(data: Array(k.private_key.utf8)).map { String($0, radix: 16) }.joined()
        } ?? "metadata|\(metadataBase)"
        let t = now()
        if let hit = Self.cache.withLock({ $0[cacheKey] }), hit.expires > t.addingTimeInterval(60) { return hit.token }
        let token: String, lifetime: Double
        if let key { (token, lifetime) = try await exchange(key, timeout: timeout) } else {
            (token, lifetime) = try await metadataToken(timeout: timeout)
        }
        Self.cache.withLock { $0[cacheKey] = (token, t.addingTimeInterval(lifetime)) }
        return token
    }

    // MARK: - Service-account key

    /// The signed JWT assertion: `{"alg":"RS256","typ":"JWT","kid":…}` and the claims
    /// `iss`, `scope`, `aud` (the token URI), `iat`, `exp` (an hour later).
    static func assertion(_ key: ServiceAccountKey, audience: String, issuedAt: Date) throws -> String {
        var header: JSONValue = ["alg": "RS256", "typ": "JWT"]
        if let kid = key.private_key_id { header["kid"] = .string(kid) }
        let iat = Int64(issuedAt.timeIntervalSince1970)
        let claims: JSONValue = [
            "iss": .string(key.client_email), "scope": .string(scope), "aud": .string(audience),
            "iat": .int(iat), "exp": .int(iat + 3600),
        ]
        let signingInput = base64URL(header.serializedBytes()) + "." + base64URL(claims.serializedBytes())
        let privateKey: _RSA.Signing.PrivateKey
        do { privateKey = try _RSA.Signing.PrivateKey(pemRepresentation: key.private_key) } catch {
            throw MetricSpecError("the private_key of serviceAccountKey is not an RSA private key in PEM (2048 bits or more)")
        }
        let signature = try privateKey.signature(for: SHA256.hash(data: Array(signingInput.utf8)), padding: .insecurePKCS1v1_5)
        return signingInput + "." + base64URL(Array(signature.rawRepresentation))
    }

    static func base64URL(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    func exchange(_ key: ServiceAccountKey, timeout: Double) async throws -> (String, Double) {
        let uri = key.token_uri.flatMap { $0.isEmpty ? nil : $0 } ?? "https://oauth2.googleapis.com/token"
        let jwt = try Self.assertion(key, audience: uri, issuedAt: now())
        let body = PrometheusClient.formEncode([("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"), ("assertion", jwt)])
        let request = MetricHTTPRequest(method: "POST", url: uri,
                                        headers: [("Content-Type", "application/x-www-form-urlencoded"), ("Accept", "application/json")],
                                        body: Array(body.utf8), timeout: timeout)
        let response = try await http.send(request)
        let json = try? JSONValue(parsing: response.body)
        guard response.status == 200, let token = json?["access_token"].stringValue, !token.isEmpty else {
            // Google's token errors: {"error": "invalid_grant", "error_description": "…"}.
            let why = [json?["error"].stringValue, json?["error_description"].stringValue].compactMap { $0 }.joined(separator: ": ")
            throw MetricSpecError("Google's token endpoint \(MetricHTTPClient.display(uri)) refused the service-account key (HTTP \(response.status))"
                + (why.isEmpty ? "" : ": \(why)"))
        }
        return (token, json?["expires_in"].doubleValue ?? 3600)
    }

    // MARK: - Metadata server

    var metadataBase: String {
        let host = environment["GCE_METADATA_HOST"].flatMap { $0.isEmpty ? nil : $0 } ?? "metadata.google.internal"
        return host.contains("://") ? host : "http://\(host)"
    }

    func metadata(_ path: String, timeout: Double) async throws -> MetricHTTPResponse {
        let request = MetricHTTPRequest(url: metadataBase + "/computeMetadata/v1/" + path, headers: [("Metadata-Flavor", "Google")],
                                        timeout: timeout)
        do {
            let r = try await http.send(request)
            guard r.status == 200 else { throw MetricHTTPError.status(service: "the GCE metadata server", code: r.status, excerpt: r.excerpt) }
            return r
        } catch {
            throw MetricSpecError("the stackdriver provider has no serviceAccountKey in the template's secretRef Secret and the GCE metadata server did not answer (\(error)); add serviceAccountKey, or run on GKE with workload identity")
        }
    }

    func metadataToken(timeout: Double) async throws -> (String, Double) {
        let r = try await metadata("instance/service-accounts/default/token?scopes=\(Self.scope)", timeout: timeout)
        guard let json = try? JSONValue(parsing: r.body), let token = json["access_token"].stringValue else {
            throw MetricSpecError("the GCE metadata server's token answer has no access_token")
        }
        return (token, json["expires_in"].doubleValue ?? 300)
    }

    func metadataProject(timeout: Double) async throws -> String {
        let r = try await metadata("project/project-id", timeout: timeout)
        return r.text.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
