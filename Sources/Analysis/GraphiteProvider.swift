import Foundation
import KubeCore
import SerinAPI

/// Graphite's render API: `GET <address>/render?<query>&format=json`, the query being the
/// render parameters themselves (`target=…`, optionally `from=…`), whitespace runs folded to
/// one space as Flagger and Argo fold them.
///
/// - Flagger MetricTemplates (`type: graphite`): the last non-null point of the answer is the
///   value; none is no data. Keys `username` and `password` of the template's secretRef
///   Secret are sent as Basic credentials.
/// - Argo AnalysisRuns (`provider.graphite`, `address` and `query`): `result` is the list of
///   the first series' non-null values (`result[0]`); an answer without a series is an Error.
public struct GraphiteProvider: MetricProvider {
    public static var names: [String] { ["graphite"] }
    public static var unsetAddress: UnsetAddress { .required(example: "http://graphite.monitoring:8080") }
    public static var analysisKey: String? { "graphite" }
    /// Flagger's and Argo's request timeout.
    static let timeout = 5.0

    let http: MetricHTTPClient

    public init(clients: MetricClients) { http = clients.http }

    // MARK: - Flagger

    public func query(_ query: String, endpoint: MetricEndpoint) async throws -> MetricAnswer {
        let creds = endpoint.credentials
        do {
            var headers: [(String, String)] = [("Accept", "application/json")]
            if !creds.secretData.isEmpty {
                let user = try creds.secret("username", provider: "graphite")
                let password = try creds.secret("password", provider: "graphite")
                headers.append(("Authorization", "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()))
            }
            for (k, v) in creds.headers { headers.append((k, v)) }
            let request = MetricHTTPRequest(url: try Self.renderURL(address: endpoint.address, query: query), headers: headers,
                                            timeout: min(endpoint.timeout, Self.timeout),
                                            insecureSkipVerify: creds.insecureSkipVerify)
            let response = try await http.sendExpectingSuccess(request, service: "Graphite")
            let series = try Self.series(response.body)
            return MetricAnswer(number: series.flatMap { $0.compactMap { $0 } }.last)
        } catch {
            throw MetricSpecError(creds.redact("\(error)"))
        }
    }

    // MARK: - Argo

    public static func problems(analysis settings: JSONValue) -> [String] { GraphiteMetricSettings.problems(in: settings) }

    public func measure(analysis settings: JSONValue, context: AnalysisProviderContext) async throws -> ProviderMeasurement {
        let s = try GraphiteMetricSettings.checked(settings, key: "graphite")
        let request = MetricHTTPRequest(url: try Self.renderURL(address: s.address ?? "", query: s.query ?? ""),
                                        headers: [("Accept", "application/json")], timeout: Self.timeout)
        let response = try await http.sendExpectingSuccess(request, service: "Graphite")
        guard let first = try Self.series(response.body).first else {
            throw MetricSpecError("no values found: Graphite answered no series for the query")
        }
        let values = first.compactMap { $0 }
        return .answer(MetricAnswer(value: .array(values.map(ExprValue.number))) {
            guard values.count <= 1 else { throw MetricSpecError("Graphite answered \(values.count) points; use result[0] or summarize them") }
            return values.first.map(SingleValue.value) ?? .noData(reason: "every point is null")
        }, metadata: [:])
    }

    // MARK: - Requests and answers

    /// `<address>/render?<query with format=json>`; the address may have a path (a proxy's prefix).
    static func renderURL(address: String, query: String) throws -> String {
        let folded = query.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
        var pairs: [(String, String)] = []
        for part in folded.split(separator: "&", omittingEmptySubsequences: true) {
            let kv = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = decode(String(kv[0])), value = kv.count > 1 ? decode(String(kv[1])) : ""
            if key.trimmingCharacters(in: .whitespaces).isEmpty || key == "format" { continue }
            pairs.append((key.trimmingCharacters(in: .whitespaces), value.trimmingCharacters(in: .whitespaces)))
        }
        guard pairs.contains(where: { $0.0 == "target" }) else {
            throw MetricSpecError("the Graphite query has no target=…; write render parameters such as target=sumSeries(app.*.errors)&from=-5min")
        }
        pairs.append(("format", "json"))
        // Sorted by key as Go's url.Values encodes them (the order of one key's values kept).
        pairs = pairs.enumerated().sorted { ($0.element.0, $0.offset) < ($1.element.0, $1.offset) }.map(\.element)
        let base = address.hasSuffix("/") ? String(address.dropLast()) : address
        guard let c = URLComponents(string: base), c.host?.isEmpty == false else { throw MetricHTTPError.invalidURL(address) }
        return base + "/render?" + PrometheusClient.formEncode(pairs)
    }

    static func decode(_ s: String) -> String {
        s.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? s
    }

    /// `[{"target": …, "datapoints": [[value, time], …]}]`: each series' values (nil for null),
    /// values given as numbers or numeric strings.
    static func series(_ body: [UInt8]) throws -> [[Double?]] {
        let json: JSONValue
        do { json = try JSONValue(parsing: body) } catch {
            throw MetricSpecError("Graphite's answer is not JSON: \(String(decoding: body.prefix(200), as: UTF8.self))")
        }
        guard let list = json.arrayValue else {
            throw MetricSpecError("Graphite's answer is not a list of series: \(String(json.serialized().prefix(200)))")
        }
        return try list.map { s in
            try (s["datapoints"].arrayValue ?? []).map { p in
                guard let pair = p.arrayValue, pair.count == 2 else {
                    throw MetricSpecError("Graphite's point \(p.serialized()) is not [value, time]")
                }
                switch pair[0] {
                case .null: return nil
                case .string(let t):
                    guard let d = Double(t) else { throw MetricSpecError("Graphite's value \"\(t)\" is not a number") }
                    return d
                default:
                    guard let d = pair[0].doubleValue else { throw MetricSpecError("Graphite's value \(pair[0].serialized()) is not a number") }
                    return d
                }
            }
        }
    }
}

/// `provider.graphite` as Argo writes it.
struct GraphiteMetricSettings: ProviderSettings, Sendable {
    var address: String?
    var query: String?

    var problems: [String] {
        var out: [String] = []
        if let a = address, !a.isEmpty {
            if !a.contains("{{"), URLComponents(string: a)?.host?.isEmpty != false || !(a.hasPrefix("http://") || a.hasPrefix("https://")) {
                out.append("address: \"\(a)\" is not an http(s) URL; write the Graphite web address such as http://graphite.monitoring")
            }
        } else {
            out.append("address: is required; write the Graphite web address such as http://graphite.monitoring")
        }
        if (query ?? "").trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            out.append("query: is required; write render parameters such as target=sumSeries(app.*.errors)")
        }
        return out
    }
}
