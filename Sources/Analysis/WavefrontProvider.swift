import Foundation
import KubeCore
import SerinAPI

/// Wavefront (VMware Aria Operations for Applications), Argo's `provider.wavefront`:
/// `GET https://<address>/api/v2/chart/api?q=<query>&s=<now ms>&g=s&p=1` with the API token
/// of `address` as a Bearer token. The token is the value of the key named like the address (or,
/// for a URL, its host) in Secret `wavefront-api-tokens` of the operator's namespace, as Argo reads it.
///
/// One series: `result` is its first point's value; several: the list of each one's first
/// value; NaN is Inconclusive; no series is an Error, as in Argo.
public struct WavefrontProvider: MetricProvider {
    public static var names: [String] { ["wavefront"] }
    public static var analysisKey: String? { "wavefront" }
    public static var answersQueries: Bool { false }
    static let secretName = "wavefront-api-tokens"
    static let timeout = 30.0

    let http: MetricHTTPClient
    let kube: (any KubeAPI)?
    var now: @Sendable () -> Date = { Date() }

    public init(clients: MetricClients) {
        http = clients.http
        kube = clients.kube
    }

    public func query(_ query: String, endpoint: MetricEndpoint) async throws -> MetricAnswer {
        throw MetricSpecError("the wavefront provider measures AnalysisRun metrics only (provider.wavefront with address and query)")
    }

    public static func problems(analysis settings: JSONValue) -> [String] { WavefrontMetricSettings.problems(in: settings) }

    public func measure(analysis settings: JSONValue, context: AnalysisProviderContext) async throws -> ProviderMeasurement {
        let s = try WavefrontMetricSettings.checked(settings, key: "wavefront")
        let address = s.address ?? ""
        let data = try await OperatorSecret.read(Self.secretName, kube: kube, runNamespace: context.run.namespace,
                                                 provider: "wavefront", keys: "the API token under the key \(address)")
        // Argo's key is the address; a URL's host is tried too (a Secret key cannot hold "://").
        let host = URLComponents(string: address.contains("://") ? address : "https://" + address)?.host
        guard let token = data[address] ?? host.flatMap({ data[$0] }), !token.isEmpty else {
            throw MetricSpecError("Secret \(Self.secretName) has no API token for \(address): add the key \(host ?? address) with the token as its value")
        }
        let creds = MetricCredentials(secretData: [address: token])
        do {
            let request = try Self.request(query: s.query ?? "", address: address, token: token,
                                           startMillis: Int64(now().timeIntervalSince1970 * 1000))
            let response = try await http.sendExpectingSuccess(request, service: "Wavefront")
            return try Self.outcome(response.body)
        } catch {
            throw MetricSpecError(creds.redact("\(error)"))
        }
    }

    /// The API's base: `address` may be a host (Argo's form, HTTPS) or a URL.
    static func request(query: String, address: String, token: String, startMillis: Int64) throws -> MetricHTTPRequest {
        let base = address.contains("://") ? address : "https://" + address
        let trimmed = base.hasSuffix("/") ? String(base.dropLast()) : base
        guard URLComponents(string: trimmed)?.host?.isEmpty == false else { throw MetricHTTPError.invalidURL(address) }
        let params = [("q", query), ("s", "\(startMillis)"), ("g", "s"), ("p", "1"), ("i", "false")]
        return MetricHTTPRequest(url: trimmed + "/api/v2/chart/api?" + PrometheusClient.formEncode(params),
                                 headers: [("Authorization", "Bearer \(token)"), ("Accept", "application/json")],
                                 timeout: timeout)
    }

    /// `{"timeseries": [{"label": …, "data": [[time, value], …]}]}` judged as Argo judges it.
    static func outcome(_ body: [UInt8]) throws -> ProviderMeasurement {
        let json: JSONValue
        do { json = try JSONValue(parsing: body) } catch {
            throw MetricSpecError("Wavefront's answer is not JSON: \(String(decoding: body.prefix(200), as: UTF8.self))")
        }
        if json["status"]["result"].stringValue == "ERROR" {
            throw MetricSpecError("Wavefront: \(json["status"]["message"].stringValue ?? "the query failed")")
        }
        let series = json["timeseries"].arrayValue ?? []
        if series.isEmpty { throw MetricSpecError("No TimeSeries found in response from Wavefront") }
        let firsts: [Double] = series.map { s in
            guard let point = s["data"].arrayValue?.first?.arrayValue, point.count == 2 else { return .nan }
            return point[1].doubleValue ?? .nan
        }
        if firsts.contains(where: \.isNaN) {
            let text = firsts.map { PromFormat.number($0) }.joined(separator: ",")
            return .finished(.inconclusive, message: "Wavefront answered NaN (\(text))", metadata: [:])
        }
        if firsts.count == 1 { return .answer(MetricAnswer(number: firsts[0]), metadata: [:]) }
        return .answer(MetricAnswer(value: .array(firsts.map(ExprValue.number))) {
            throw MetricSpecError("Wavefront answered \(firsts.count) series; use result[0]")
        }, metadata: [:])
    }
}

/// `provider.wavefront` as Argo writes it.
struct WavefrontMetricSettings: ProviderSettings, Sendable {
    var address: String?
    var query: String?

    var problems: [String] {
        var out: [String] = []
        if (address ?? "").isEmpty { out.append("address: is required; write the Wavefront host, e.g. example.wavefront.com") }
        if (query ?? "").trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            out.append("query: is required; write a Wavefront query such as ts(\"requests.count\")")
        }
        return out
    }
}
