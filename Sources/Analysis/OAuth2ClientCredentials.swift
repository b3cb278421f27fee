import Foundation
import KubeCore

/// Argo's `authentication.oauth2` (web and Prometheus providers).
public struct OAuth2Settings: Decodable, Sendable, Hashable {
    public var tokenUrl: String?
    public var clientId: String?
    public var clientSecret: String?
    public var scopes: [String]?
}

/// The OAuth2 client-credentials grant (RFC 6749 §4.4) as Go's `clientcredentials` sends it:
/// a form POST with `grant_type=client_credentials` and the scopes, the client id and
/// secret as HTTP basic credentials (each form-encoded first, §2.3.1).
struct OAuth2ClientCredentials: Sendable {
    var settings: OAuth2Settings

    /// The access token; errors name the token endpoint and the server's `error`, never the secret.
    func token(http: MetricHTTPClient, timeout: Double, insecure: Bool) async throws -> String {
        let url = settings.tokenUrl ?? ""
        var form = [("grant_type", "client_credentials")]
        if let scopes = settings.scopes, !scopes.isEmpty { form.append(("scope", scopes.joined(separator: " "))) }
        let user = PrometheusClient.formEncode([("", settings.clientId ?? "")]).dropFirst()
        let pass = PrometheusClient.formEncode([("", settings.clientSecret ?? "")]).dropFirst()
        let basic = Data("\(user):\(pass)".utf8).base64EncodedString()
        let request = MetricHTTPRequest(
            method: "POST", url: url,
            headers: [("Content-Type", "application/x-www-form-urlencoded"), ("Accept", "application/json"),
                      ("Authorization", "Basic \(basic)")],
            body: Array(PrometheusClient.formEncode(form).utf8), timeout: timeout, insecureSkipVerify: insecure)
        let shown = MetricHTTPClient.display(url)
        let response = try await http.send(request)
        let json = try? JSONValue(parsing: response.body)
        guard (200..<300).contains(response.status) else {
            if response.status == 429 {
                throw MetricHTTPError.rateLimited(service: "OAuth2 token endpoint \(shown)", retryAfter: response.header("Retry-After"))
            }
            let why = [json?["error"].stringValue, json?["error_description"].stringValue].compactMap { $0 }.joined(separator: ": ")
            throw MetricSpecError("OAuth2 token endpoint \(shown) answered HTTP \(response.status)" + (why.isEmpty ? "" : ": \(why)"))
        }
        guard let token = json?["access_token"].stringValue, !token.isEmpty else {
            throw MetricSpecError("OAuth2 token endpoint \(shown) gave no access_token")
        }
        return token
    }
}
