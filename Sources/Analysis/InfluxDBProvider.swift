import Foundation
import KubeCore
import SerinAPI

/// InfluxDB, in either of its query languages, told apart by the query itself: InfluxQL
/// (`SELECT …`, `SHOW …`) goes to the 1.x API `GET /query?q=…&db=…`, anything else is Flux,
/// `POST /api/v2/query?org=…` answered in annotated CSV.
///
/// - Flagger MetricTemplates (`type: influxdb`): keys `token` and `org` of the template's
///   secretRef Secret (`Authorization: Token …`), plus Serin's `database` (InfluxQL's `db`)
///   or `username` + `password` (InfluxDB 1.x Basic credentials). The first record's value is
///   the value; no record is no data (Flagger reads 0 there, which could pass a `max`).
/// - Argo AnalysisRuns (`provider.influxdb`, `profile` and `query`): keys `address`,
///   `authToken` and `org` of Secret `profile` (default `influxdb`) in the operator's
///   namespace; `result` is the list of every record's value (`result[0]`), no record an Error.
public struct InfluxDBProvider: MetricProvider {
    public static var names: [String] { ["influxdb"] }
    public static var unsetAddress: UnsetAddress { .required(example: "http://influxdb.monitoring:8086") }
    public static var analysisKey: String? { "influxdb" }
    /// Flagger's query timeout (Argo's is 30s).
    static let flaggerTimeout = 15.0
    static let argoTimeout = 30.0

    let http: MetricHTTPClient
    let kube: (any KubeAPI)?

    public init(clients: MetricClients) {
        http = clients.http
        kube = clients.kube
    }

    /// How to reach and authenticate to one InfluxDB.
    struct Target {
        var address: String
        var token: String?
        var org: String?
        var database: String?
        var username: String?
        var password: String?
        var timeout: Double
        var insecure = false
    }

    // MARK: - Flagger

    public func query(_ query: String, endpoint: MetricEndpoint) async throws -> MetricAnswer {
        let creds = endpoint.credentials
        do {
            let data = creds.secretData
            var target = Target(address: endpoint.address, token: data["token"], org: data["org"], database: data["database"],
                                username: data["username"], password: data["password"],
                                timeout: min(endpoint.timeout, Self.flaggerTimeout), insecure: creds.insecureSkipVerify)
            if !data.isEmpty && !Self.isInfluxQL(query) && target.username == nil {
                target.token = try creds.secret("token", provider: "influxdb")
                target.org = try creds.secret("org", provider: "influxdb")
            }
            let values = try await run(query, target)
            guard let first = values.first else { return MetricAnswer(number: nil) }
            guard let number = first.asNumber else {
                if first == .null { return MetricAnswer(number: nil) }
                throw MetricSpecError("InfluxDB's first value \(AnalysisMeasurer.text(first)) is not a number")
            }
            return MetricAnswer(number: number)
        } catch {
            throw MetricSpecError(creds.redact("\(error)"))
        }
    }

    // MARK: - Argo

    public static func problems(analysis settings: JSONValue) -> [String] { InfluxDBMetricSettings.problems(in: settings) }

    public func measure(analysis settings: JSONValue, context: AnalysisProviderContext) async throws -> ProviderMeasurement {
        let s = try InfluxDBMetricSettings.checked(settings, key: "influxdb")
        let name = s.profile.flatMap { $0.isEmpty ? nil : $0 } ?? "influxdb"
        let data = try await OperatorSecret.read(name, kube: kube, runNamespace: context.run.namespace, provider: "influxdb",
                                                 keys: "address, authToken and org")
        let creds = MetricCredentials(secretData: data)
        do {
            let query = s.query ?? ""
            let address = try creds.secret("address", provider: "influxdb")
            var target = Target(address: address, database: data["database"], username: data["username"],
                                password: data["password"], timeout: Self.argoTimeout)
            if !Self.isInfluxQL(query) || data["authToken"] != nil {
                target.token = try creds.secret("authToken", provider: "influxdb")
            }
            if !Self.isInfluxQL(query) { target.org = try creds.secret("org", provider: "influxdb") }
            let values = try await run(query, target)
            if values.isEmpty {
                throw MetricSpecError(Self.isInfluxQL(query) ? "no results returned from InfluxQL query" : "no results returned from flux query")
            }
            return .answer(MetricAnswer(value: .array(values)) {
                guard values.count == 1 else { throw MetricSpecError("InfluxDB answered \(values.count) values; use result[0]") }
                return values[0].asNumber.map(SingleValue.value) ?? .noData(reason: "the value is not a number")
            }, metadata: [:])
        } catch {
            throw MetricSpecError(creds.redact("\(error)"))
        }
    }

    // MARK: - Requests and answers

    /// InfluxQL's statements begin with one of these words; Flux never does.
    static func isInfluxQL(_ query: String) -> Bool {
        let word = query.trimmingCharacters(in: .whitespacesAndNewlines).prefix { $0.isLetter }.uppercased()
        return ["SELECT", "SHOW"].contains(word)
    }

    func run(_ query: String, _ t: Target) async throws -> [ExprValue] {
        let request = try Self.isInfluxQL(query) ? Self.influxQLRequest(query, t) : Self.fluxRequest(query, t)
        let response = try await http.sendExpectingSuccess(request, service: "InfluxDB")
        return try Self.isInfluxQL(query) ? Self.influxQLValues(response.body) : FluxCSV.values(response.text)
    }

    static func base(_ address: String) throws -> String {
        let b = address.hasSuffix("/") ? String(address.dropLast()) : address
        guard let c = URLComponents(string: b), c.host?.isEmpty == false, c.scheme == "http" || c.scheme == "https" else {
            throw MetricHTTPError.invalidURL(address)
        }
        return b
    }

    static func authHeaders(_ t: Target) -> [(String, String)] {
        if let token = t.token, !token.isEmpty { return [("Authorization", "Token \(token)")] }
        if let u = t.username, !u.isEmpty {
            return [("Authorization", "Basic " + Data("\(u):\(t.password ?? "")".utf8).base64EncodedString())]
        }
        return []
    }

    static func fluxRequest(_ query: String, _ t: Target) throws -> MetricHTTPRequest {
        var url = try base(t.address) + "/api/v2/query"
        if let org = t.org, !org.isEmpty { url += "?" + PrometheusClient.formEncode([("org", org)]) }
        let body: JSONValue = [
            "query": .string(query), "type": "flux",
            "dialect": ["annotations": ["datatype", "group", "default"], "delimiter": ",", "header": true],
        ]
        return MetricHTTPRequest(method: "POST", url: url,
                                 headers: authHeaders(t) + [("Content-Type", "application/json"), ("Accept", "application/csv")],
                                 body: body.serializedBytes(), timeout: t.timeout, insecureSkipVerify: t.insecure)
    }

    static func influxQLRequest(_ query: String, _ t: Target) throws -> MetricHTTPRequest {
        var params = [("q", query), ("epoch", "s")]
        if let db = t.database, !db.isEmpty { params.append(("db", db)) }
        return MetricHTTPRequest(url: try base(t.address) + "/query?" + PrometheusClient.formEncode(params),
                                 headers: authHeaders(t) + [("Accept", "application/json")], timeout: t.timeout,
                                 insecureSkipVerify: t.insecure)
    }

    /// `{"results":[{"statement_id":0,"series":[{"columns":["time","mean"],"values":[[t, v]]}]}]}`:
    /// every row's first value after `time`; a statement's `error` is an error.
    static func influxQLValues(_ body: [UInt8]) throws -> [ExprValue] {
        let json: JSONValue
        do { json = try JSONValue(parsing: body) } catch {
            throw MetricSpecError("InfluxDB's answer is not JSON: \(String(decoding: body.prefix(200), as: UTF8.self))")
        }
        if let e = json["error"].stringValue { throw MetricSpecError("InfluxDB: \(e)") }
        var out: [ExprValue] = []
        for statement in json["results"].arrayValue ?? [] {
            if let e = statement["error"].stringValue { throw MetricSpecError("InfluxDB: \(e)") }
            for series in statement["series"].arrayValue ?? [] {
                let columns = (series["columns"].arrayValue ?? []).compactMap(\.stringValue)
                let i = columns.firstIndex { $0 != "time" } ?? 0
                for row in series["values"].arrayValue ?? [] {
                    guard let cells = row.arrayValue, i < cells.count else { continue }
                    out.append(ExprValue(json: cells[i]))
                }
            }
        }
        return out
    }
}

/// `provider.influxdb` as Argo writes it.
struct InfluxDBMetricSettings: ProviderSettings, Sendable {
    var profile: String?
    var query: String?

    var problems: [String] {
        (query ?? "").trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
            ? ["query: is required; write a Flux query (from(bucket: …) |> range(…) |> …) or an InfluxQL SELECT"] : []
    }
}
