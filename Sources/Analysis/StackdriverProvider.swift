import Foundation
import KubeCore
import SerinAPI

/// Google Cloud Monitoring (Stackdriver), as Flagger's `type: stackdriver` MetricTemplates use it.
///
/// - MQL (Flagger's only language): `POST <address>/v3/projects/<project>/timeSeries:query`
///   with `{"query": …}`; the value is the first value of the first point of the first time
///   series (a double, or an int64). No time series or point is no data.
/// - PromQL: when the address is Cloud Monitoring's Prometheus-compatible API
///   (`…/v1/projects/<project>/location/global/prometheus`), the query goes to its
///   `/api/v1/query` as to any Prometheus, with the same token.
///
/// Credentials, as in Flagger: keys `project` and `serviceAccountKey` (the JSON key file) of the
/// template's secretRef Secret; the key is exchanged for an OAuth2 token (RS256-signed JWT).
/// Without `serviceAccountKey` the token (and, without `project`, the project) comes from the
/// GCE/GKE metadata server (workload identity).
public struct StackdriverProvider: MetricProvider {
    public static var names: [String] { ["stackdriver"] }
    public static var defaultAddress: String? { "https://monitoring.googleapis.com" }

    let clients: MetricClients
    var now: @Sendable () -> Date = { Date() }
    var environment: [String: String] = ProcessInfo.processInfo.environment

    public init(clients: MetricClients) { self.clients = clients }

    public func query(_ query: String, endpoint: MetricEndpoint) async throws -> MetricAnswer {
        let creds = endpoint.credentials
        // The access token is kept out of messages like the Secret's values.
        var redaction = creds
        do {
            let google = GoogleAccessToken(http: clients.http, now: now, environment: environment)
            let key = try creds.secretData["serviceAccountKey"].flatMap { $0.isEmpty ? nil : $0 }.map(GoogleAccessToken.parseKey)
            let token = try await google.token(key: key, timeout: endpoint.timeout)
            redaction.extraSecrets.append(token)
            if Self.isPrometheusAPI(endpoint.address) {
                var e = endpoint
                e.credentials = MetricCredentials(bearerToken: token)
                e.credentials.extraSecrets = creds.secretValues
                return try await PrometheusProvider(client: clients.prometheus).query(query, endpoint: e)
            }
            let project: String
            if let p = creds.secretData["project"], !p.isEmpty {
                project = p
            } else if let p = key?.project_id, !p.isEmpty {
                project = p
            } else {
                project = try await google.metadataProject(timeout: endpoint.timeout)
            }
            let request = try Self.request(query, address: endpoint.address, project: project, token: token, timeout: endpoint.timeout)
            let response: MetricHTTPResponse
            do { response = try await clients.http.sendExpectingSuccess(request, service: "Cloud Monitoring") } catch let e as MetricHTTPError {
                throw MetricSpecError(e.vendorDescription)
            }
            return MetricAnswer(number: try Self.value(response.body))
        } catch {
            throw MetricSpecError(redaction.redact("\(error)"))
        }
    }

    static func isPrometheusAPI(_ address: String) -> Bool {
        let path = URLComponents(string: address)?.path ?? ""
        return path.hasSuffix("/prometheus") || path.hasSuffix("/prometheus/")
    }

    static func request(_ query: String, address: String, project: String, token: String,
                        timeout: Double) throws -> MetricHTTPRequest {
        let name = project.hasPrefix("projects/") ? project : "projects/\(project)"
        let c = try DatadogProvider.url(address, "/v3/\(name)/timeSeries:query")
        let body: JSONValue = ["query": .string(query)]
        return MetricHTTPRequest(method: "POST", url: c.string ?? "",
                                 headers: [("Authorization", "Bearer \(token)"), ("Content-Type", "application/json"),
                                           ("Accept", "application/json")],
                                 body: body.serializedBytes(), timeout: timeout)
    }

    /// `{"timeSeriesDescriptor": …, "timeSeriesData": [{"labelValues": […], "pointData":
    /// [{"values": [{"doubleValue": 1.5}], "timeInterval": …}]}]}`.
    static func value(_ body: [UInt8]) throws -> Double? {
        let json: JSONValue
        do { json = try JSONValue(parsing: body) } catch {
            throw MetricSpecError("Cloud Monitoring's answer is not JSON: \(String(decoding: body.prefix(200), as: UTF8.self))")
        }
        guard let series = json["timeSeriesData"].arrayValue, let first = series.first,
              let point = first["pointData"].arrayValue?.first, let v = point["values"].arrayValue?.first else { return nil }
        if let d = v["doubleValue"].doubleValue { return d }
        // int64 values are JSON strings in Google's REST mapping.
        if let s = v["int64Value"].stringValue, let i = Double(s) { return i }
        if let i = v["int64Value"].doubleValue { return i }
        if let b = v["boolValue"].boolValue { return b ? 1 : 0 }
        if v["doubleValue"].stringValue == "NaN" { return nil }
        let kind = v.objectValue?.keys.sorted().joined(separator: ", ") ?? v.serialized()
        throw MetricSpecError("Cloud Monitoring answered a \(kind) point; the query must give a number (e.g. take a percentile of a distribution)")
    }
}
