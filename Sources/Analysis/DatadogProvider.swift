import Foundation
import KubeCore
import SerinAPI

/// Datadog's metrics API with the `DD-API-KEY` and `DD-APPLICATION-KEY` headers.
///
/// - Flagger MetricTemplates (`type: datadog`): `GET /api/v1/query` over ten times the
///   metric's interval; the first point of the first series (Flagger skips the newest,
///   incomplete bucket). Keys `datadog_api_key` and `datadog_application_key` of the
///   template's secretRef Secret.
/// - Argo AnalysisRuns (`provider.datadog`): `apiVersion` v1 (the last point of the first
///   series) or v2 (`POST /api/v2/query/scalar` with `query` or `queries` + `formula` and an
///   `aggregator`, default `last`), over `interval` (default 5m). Keys `address`, `api-key`,
///   `app-key` of Secret `secretRef.name` (default `datadog`), in the run's namespace when
///   `secretRef.namespaced`, else in the operator's namespace (`POD_NAMESPACE`).
public struct DatadogProvider: MetricProvider {
    public static var names: [String] { ["datadog"] }
    public static var analysisKey: String? { "datadog" }
    public static var defaultAddress: String? { "https://api.datadoghq.com" }
    /// Argo's and Flagger's request timeouts.
    static let argoTimeout = 10.0

    let http: MetricHTTPClient
    let kube: (any KubeAPI)?
    var now: @Sendable () -> Date = { Date() }
    /// The operator's environment, for Argo's `DD_API_KEY`, `DD_APP_KEY` and `DD_ADDRESS`.
    var environment: [String: String] = ProcessInfo.processInfo.environment

    public init(clients: MetricClients) {
        http = clients.http
        kube = clients.kube
    }

    // MARK: - Flagger

    public func query(_ query: String, endpoint: MetricEndpoint) async throws -> MetricAnswer {
        let creds = endpoint.credentials
        do {
            let keys = DatadogKeys(api: try creds.secret("datadog_api_key", provider: "datadog"),
                                   app: try creds.secret("datadog_application_key", provider: "datadog"))
            let to = Int64(now().timeIntervalSince1970)
            let from = to - Int64(10 * (endpoint.window ?? 60))
            let request = try Self.v1Request(query, address: endpoint.address, from: from, to: to, keys: keys,
                                             timeout: endpoint.timeout)
            let response = try await http.sendExpectingSuccess(request, service: "Datadog")
            let value = try Self.v1Value(response.body, point: .first)
            return MetricAnswer(number: value)
        } catch {
            throw MetricSpecError(creds.redact("\(error)"))
        }
    }

    // MARK: - Argo

    public static func problems(analysis settings: JSONValue) -> [String] { DatadogMetricSettings.problems(in: settings) }

    public func measure(analysis settings: JSONValue, context: AnalysisProviderContext) async throws -> ProviderMeasurement {
        let s = try DatadogMetricSettings.checked(settings, key: "datadog")
        let secret = try await argoCredentials(s, namespace: context.run.namespace)
        let creds = MetricCredentials(secretData: secret)
        do {
            let keys = DatadogKeys(api: try creds.secret("api-key", provider: "datadog"),
                                   app: try creds.secret("app-key", provider: "datadog"))
            let address = secret["address"].flatMap { $0.isEmpty ? nil : $0 } ?? Self.defaultAddress!
            let to = Int64(now().timeIntervalSince1970)
            let from = to - Int64(try DurationString.seconds(s.interval ?? "5m"))
            let timeout = try s.requestTimeout.map { try DurationString.seconds($0) } ?? Self.argoTimeout
            if s.version == "v1" {
                let request = try Self.v1Request(s.query ?? "", address: address, from: from, to: to, keys: keys, timeout: timeout)
                let response = try await http.sendExpectingSuccess(request, service: "Datadog")
                let value = try Self.v1Value(response.body, point: .last)
                return .answer(MetricAnswer(number: value), metadata: [:])
            }
            let queries = s.queries ?? ["query": s.query ?? ""]
            let request = try Self.v2Request(queries: queries, formula: s.formula, aggregator: s.aggregator ?? "last",
                                             address: address, from: from, to: to, keys: keys, timeout: timeout)
            let response = try await http.sendExpectingSuccess(request, service: "Datadog")
            return .answer(try Self.v2Value(response.body), metadata: [:])
        } catch {
            throw MetricSpecError(creds.redact("\(error)"))
        }
    }

    /// Argo's order: `secretRef.name` is the only place looked at when set; otherwise the
    /// operator's `DD_API_KEY`, `DD_APP_KEY` and `DD_ADDRESS` when all three are set (and the
    /// keys not empty), else Secret `datadog` in the operator's namespace.
    func argoCredentials(_ s: DatadogMetricSettings, namespace: String) async throws -> [String: String] {
        if (s.secretRef?.name ?? "").isEmpty, let fromEnv = Self.environmentCredentials(environment) { return fromEnv }
        return try await argoSecret(s, namespace: namespace)
    }

    /// `api-key`, `app-key` and `address` from `DD_API_KEY`, `DD_APP_KEY`, `DD_ADDRESS`; nil unless all are set.
    static func environmentCredentials(_ env: [String: String]) -> [String: String]? {
        guard let api = env["DD_API_KEY"], let app = env["DD_APP_KEY"], let address = env["DD_ADDRESS"],
              !api.isEmpty, !app.isEmpty else { return nil }
        return ["api-key": api, "app-key": app, "address": address]
    }

    /// Argo's Secret lookup; the error says which Secret or key is missing.
    func argoSecret(_ s: DatadogMetricSettings, namespace: String) async throws -> [String: String] {
        guard let kube else { throw MetricSpecError("the datadog provider needs the Kubernetes API to read its Secret") }
        let name = s.secretRef?.name.flatMap { $0.isEmpty ? nil : $0 } ?? "datadog"
        let ns = s.secretRef?.namespaced == true ? namespace
            : ProcessInfo.processInfo.environment["POD_NAMESPACE"].flatMap { $0.isEmpty ? nil : $0 } ?? namespace
        do {
            return MetricSecrets.decodedData(try await kube.get(.secrets, namespace: ns, name: name))
        } catch let e as KubeAPIError where e.isNotFound {
            throw MetricSpecError("Secret \(ns)/\(name) not found: the datadog provider reads api-key and app-key (and optionally address) from it")
        }
    }

    // MARK: - Requests and answers

    struct DatadogKeys {
        var api: String
        var app: String
        var headers: [(String, String)] {
            [("DD-API-KEY", api), ("DD-APPLICATION-KEY", app), ("Accept", "application/json")]
        }
    }

    static func url(_ address: String, _ path: String) throws -> URLComponents {
        let base = address.hasSuffix("/") ? String(address.dropLast()) : address
        guard let c = URLComponents(string: base + path), c.host != nil else { throw MetricHTTPError.invalidURL(address) }
        return c
    }

    static func v1Request(_ query: String, address: String, from: Int64, to: Int64, keys: DatadogKeys,
                          timeout: Double) throws -> MetricHTTPRequest {
        var c = try url(address, "/api/v1/query")
        c.percentEncodedQuery = PrometheusClient.formEncode([("query", query), ("from", "\(from)"), ("to", "\(to)")])
        return MetricHTTPRequest(method: "GET", url: c.string ?? "", headers: keys.headers, timeout: timeout)
    }

    static func v2Request(queries: [String: String], formula: String?, aggregator: String, address: String,
                          from: Int64, to: Int64, keys: DatadogKeys, timeout: Double) throws -> MetricHTTPRequest {
        let c = try url(address, "/api/v2/query/scalar")
        let qs: [JSONValue] = queries.keys.sorted().map {
            ["aggregator": .string(aggregator), "data_source": "metrics", "name": .string($0), "query": .string(queries[$0]!)]
        }
        let formulas: [JSONValue] = formula.flatMap { $0.isEmpty ? nil : [["formula": .string($0)]] } ?? []
        let body: JSONValue = ["data": [
            "type": "scalar_request",
            "attributes": ["from": .int(from * 1000), "to": .int(to * 1000), "queries": .array(qs), "formulas": .array(formulas)],
        ]]
        return MetricHTTPRequest(method: "POST", url: c.string ?? "", headers: keys.headers + [("Content-Type", "application/json")],
                                 body: body.serializedBytes(), timeout: timeout)
    }

    enum Point { case first, last }

    /// `{"series": [{"pointlist": [[ms, value], …]}]}`: nil when there is no series or point.
    static func v1Value(_ body: [UInt8], point: Point) throws -> Double? {
        let json = try parse(body)
        if let e = json["errors"].arrayValue?.compactMap(\.stringValue), !e.isEmpty {
            throw MetricSpecError("Datadog: \(e.joined(separator: "; "))")
        }
        guard let series = json["series"].arrayValue else { throw MetricSpecError("Datadog's answer has no series: \(excerpt(json))") }
        guard let points = series.first?["pointlist"].arrayValue, !points.isEmpty else { return nil }
        let p = point == .first ? points.first! : points.last!
        guard let pair = p.arrayValue, pair.count == 2 else { throw MetricSpecError("Datadog's point \(p.serialized()) is not [time, value]") }
        return pair[1].doubleValue
    }

    /// The scalar answer's number column: one value (nil when empty), or every group's value
    /// as an array when the query is grouped (`by {tag}`).
    static func v2Value(_ body: [UInt8]) throws -> MetricAnswer {
        let json = try parse(body)
        let errors = json["errors"].stringValue ?? json["data"]["errors"].stringValue
        if let errors, !errors.isEmpty { throw MetricSpecError("Datadog: there were errors in the query: \(errors)") }
        let columns = json[path: ["data", "attributes", "columns"]].arrayValue ?? []
        let grouped = columns.contains { $0["type"].stringValue == "group" }
        let numbers = columns.first { ($0["type"].stringValue ?? "number") == "number" }?["values"].arrayValue ?? []
        let values = numbers.map { $0.doubleValue ?? .nan }
        if grouped {
            return MetricAnswer(value: .array(values.map(ExprValue.number))) {
                guard values.count <= 1 else { throw MetricSpecError("Datadog answered \(values.count) groups; aggregate them to one value") }
                return values.first.map { $0.isNaN ? .noData(reason: "the value is null") : .value($0) }
                    ?? .noData(reason: "the query returned no group")
            }
        }
        return MetricAnswer(number: values.first)
    }

    static func parse(_ body: [UInt8]) throws -> JSONValue {
        do { return try JSONValue(parsing: body) } catch {
            throw MetricSpecError("Datadog's answer is not JSON: \(String(decoding: body.prefix(200), as: UTF8.self))")
        }
    }

    static func excerpt(_ json: JSONValue) -> String {
        let t = json.serialized()
        return t.count > 200 ? String(t.prefix(200)) + "…" : t
    }
}

/// `provider.datadog` as Argo writes it.
struct DatadogMetricSettings: ProviderSettings, Sendable {
    var apiVersion: String?
    var interval: String?
    var query: String?
    var queries: [String: String]?
    var formula: String?
    var aggregator: String?
    var requestTimeout: String?
    var secretRef: SecretRef?

    struct SecretRef: Decodable, Sendable {
        var name: String?
        var namespaced: Bool?
    }

    var version: String { apiVersion ?? "v1" }

    /// Argo's `validateIncomingProps`, each `field: why; fix`.
    var problems: [String] {
        var out: [String] = []
        let hasQuery = !(query ?? "").isEmpty, hasQueries = !(queries ?? [:]).isEmpty
        if !["v1", "v2"].contains(version) { out.append("apiVersion: \"\(version)\" is not v1 or v2") }
        if !hasQuery && !hasQueries { out.append("query: a query or queries is required") }
        if hasQuery && hasQueries { out.append("query: use either query or queries, not both") }
        if version == "v1" && !hasQuery && hasQueries { out.append("queries: apiVersion v1 takes only query; use apiVersion: v2") }
        if !(formula ?? "").isEmpty && !hasQueries { out.append("formula: a formula needs queries") }
        if (formula ?? "").isEmpty && (queries?.count ?? 0) > 1 { out.append("formula: several queries need a formula that combines them") }
        if version == "v1" && aggregator != nil { out.append("aggregator: apiVersion v1 has no aggregator; use apiVersion: v2") }
        if let a = aggregator, !["avg", "min", "max", "sum", "last", "mean", "area", "l2norm", "percentile"].contains(a) {
            out.append("aggregator: \"\(a)\" is not one of avg, min, max, sum, last, mean, area, l2norm, percentile")
        }
        for (field, text) in [("interval", interval), ("requestTimeout", requestTimeout)] {
            guard let text, !text.contains("{{") else { continue }
            if (try? DurationString.seconds(text)).map({ $0 > 0 }) != true {
                out.append("\(field): \"\(text)\" is not a positive duration such as 5m")
            }
        }
        if secretRef?.namespaced == true && (secretRef?.name ?? "").isEmpty {
            out.append("secretRef.name: a namespaced secretRef needs the Secret's name")
        }
        return out
    }
}
