import Foundation
import KubeCore
import SerinAPI

/// Argo's `web` metric provider: one HTTP request (GET, POST or PUT, headers, a text or JSON
/// body, an optional OAuth2 client-credentials token), the JSON answer cut by `jsonPath`
/// (default `{$}`), the first value found judged by the metric's conditions.
public struct WebProvider: MetricProvider {
    public static var names: [String] { ["web"] }
    public static var analysisKey: String? { "web" }
    public static var answersQueries: Bool { false }
    /// Argo's default when `timeoutSeconds` is unset or not positive.
    public static let defaultTimeout = 10

    let http: MetricHTTPClient

    public init(clients: MetricClients) { http = clients.http }

    /// Only AnalysisRuns use it: a Canary metric has no web type.
    public func query(_ query: String, endpoint: MetricEndpoint) async throws -> MetricAnswer {
        throw MetricSpecError("the web provider measures AnalysisRun metrics only (provider.web with a url)")
    }

    public static func problems(analysis settings: JSONValue) -> [String] { WebMetricSettings.problems(in: settings) }

    public func measure(analysis settings: JSONValue, context: AnalysisProviderContext) async throws -> ProviderMeasurement {
        let s = try WebMetricSettings.checked(settings, key: "web")
        let selector = try JSONPathSelector(s.jsonPath ?? "{$}")
        let timeout = Double(s.timeout)
        var headers = (s.headers ?? []).map { ($0.key, $0.value) }
        var body: [UInt8]?
        if let text = s.body, !text.isEmpty { body = Array(text.utf8) }
        if let json = s.jsonBody {
            body = json.serializedBytes()
            headers.append(("Content-Type", "application/json"))
        }
        if let oauth = s.authentication?.oauth2 {
            let token = try await OAuth2ClientCredentials(settings: oauth).token(http: http, timeout: timeout,
                                                                                 insecure: s.insecure == true)
            headers.append(("Authorization", "Bearer \(token)"))
        }
        let url = s.url ?? ""
        let request = MetricHTTPRequest(method: s.method ?? "GET", url: url, headers: headers, body: body,
                                        timeout: timeout, insecureSkipVerify: s.insecure == true)
        let response = try await http.sendExpectingSuccess(request, service: MetricHTTPClient.display(url))
        return .answer(try Self.answer(response.body, selector: selector), metadata: [:])
    }

    /// The value `selector` picks from an answer; a body that is not JSON is one string.
    static func answer(_ body: [UInt8], selector: JSONPathSelector) throws -> MetricAnswer {
        let json: JSONValue
        do { json = try JSONValue(parsing: body) } catch {
            let text = String(decoding: body, as: UTF8.self)
            return MetricAnswer(value: .string(text)) { throw MetricSpecError("the answer is text, not a number") }
        }
        guard let first = selector.select(json).first else {
            throw MetricSpecError("jsonPath \(selector.text) found nothing in the answer \(Self.excerpt(json))")
        }
        let value = ExprValue(json: first)
        return MetricAnswer(value: value) {
            switch first {
            case .null: return .noData(reason: "jsonPath \(selector.text) is null")
            case .int, .double: return .value(first.doubleValue ?? .nan)
            default: throw MetricSpecError("jsonPath \(selector.text) is a \(value.typeName), not a number")
            }
        }
    }

    static func excerpt(_ json: JSONValue) -> String {
        let t = json.serialized()
        return t.count > 200 ? String(t.prefix(200)) + "…" : t
    }
}

/// `provider.web` as Argo writes it.
struct WebMetricSettings: ProviderSettings, Sendable {
    static var shape: String { "write url, and optionally method, headers, body, jsonPath" }
    var url: String?
    var method: String?
    var headers: [AnalysisHeader]?
    var body: String?
    var jsonBody: JSONValue?
    var timeoutSeconds: Int?
    var jsonPath: String?
    var insecure: Bool?
    var authentication: WebAuthentication?

    struct WebAuthentication: Decodable, Sendable {
        var oauth2: OAuth2Settings?
        var sigv4: JSONValue?
    }

    var timeout: Int { (timeoutSeconds ?? 0) > 0 ? timeoutSeconds! : WebProvider.defaultTimeout }

    /// Each `field: why; fix`, Argo's rules (a body only with POST or PUT, not both kinds).
    var problems: [String] {
        var out: [String] = []
        func unresolved(_ s: String?) -> Bool { s?.contains("{{") == true }
        if (url ?? "").isEmpty {
            out.append("url: is required; write the address to measure, e.g. http://my-service/metrics")
        } else if !unresolved(url), MetricHTTPClient.display(url!) == "(invalid URL)" || !(url!.hasPrefix("http://") || url!.hasPrefix("https://")) {
            out.append("url: \"\(MetricHTTPClient.display(url!))\" is not an http:// or https:// URL; write an absolute URL")
        }
        let m = (method ?? "GET").uppercased()
        if !["GET", "POST", "PUT"].contains(m) {
            out.append("method: \"\(method!)\" is not GET, POST or PUT; use one of them")
        }
        let hasBody = !(body ?? "").isEmpty
        if hasBody && jsonBody != nil {
            out.append("body: use either body or jsonBody, not both")
        } else if (hasBody || jsonBody != nil) && m == "GET" {
            out.append("method: a body needs method POST or PUT")
        }
        if let p = jsonPath, !unresolved(p) {
            do { _ = try JSONPathSelector(p) } catch { out.append("jsonPath: \(error.message); write e.g. {$.data.ok}") }
        }
        if let v = authentication?.sigv4, v != .null {
            out.append("authentication.sigv4: AWS SigV4 signing of web requests is not supported by Serin yet; use oauth2 or headers")
        }
        if let o = authentication?.oauth2 {
            if (o.tokenUrl ?? "").isEmpty { out.append("authentication.oauth2.tokenUrl: is required; write the token endpoint") }
            if (o.clientId ?? "").isEmpty { out.append("authentication.oauth2.clientId: is required") }
            if (o.clientSecret ?? "").isEmpty {
                out.append("authentication.oauth2.clientSecret: is required; give it from a Secret through an arg")
            }
        }
        return out
    }
}
