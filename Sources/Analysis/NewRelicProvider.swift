import Foundation
import KubeCore
import SerinAPI

/// New Relic.
///
/// - Flagger MetricTemplates (`type: newrelic`): the Insights query API,
///   `GET /v1/accounts/<id>/query?nrql=<query> SINCE <interval> seconds ago` with
///   `X-Query-Key`; the answer must be one result with a `result` field (write `… AS result`).
///   Keys `newrelic_account_id` and `newrelic_query_key` of the template's secretRef Secret;
///   address default `https://insights-api.newrelic.com`.
/// - Argo AnalysisRuns (`provider.newRelic`): NRQL through NerdGraph (`POST /graphql` with
///   `API-Key`); one result is `result` as a map (`result.successRate`), several a list, none
///   a Failed measurement as Argo has it. Keys `personal-api-key`, `account-id` and optionally
///   `region` (us, eu) and `base-url-nerdgraph` of Secret `profile` (default `newrelic`) in the
///   operator's namespace (`POD_NAMESPACE`, else the run's).
public struct NewRelicProvider: MetricProvider {
    public static var names: [String] { ["newrelic"] }
    public static var analysisKey: String? { "newRelic" }
    public static var defaultAddress: String? { "https://insights-api.newrelic.com" }

    let http: MetricHTTPClient
    let kube: (any KubeAPI)?

    public init(clients: MetricClients) {
        http = clients.http
        kube = clients.kube
    }

    // MARK: - Flagger

    public func query(_ query: String, endpoint: MetricEndpoint) async throws -> MetricAnswer {
        let creds = endpoint.credentials
        do {
            let account = try creds.secret("newrelic_account_id", provider: "newrelic")
            let key = try creds.secret("newrelic_query_key", provider: "newrelic")
            let base = endpoint.address.hasSuffix("/") ? String(endpoint.address.dropLast()) : endpoint.address
            guard var c = URLComponents(string: base + "/v1/accounts/\(account)/query"), c.host != nil else {
                throw MetricHTTPError.invalidURL(endpoint.displayAddress)
            }
            let since = Int(endpoint.window ?? 60)
            c.percentEncodedQuery = PrometheusClient.formEncode([("nrql", "\(query) SINCE \(since) seconds ago")])
            let request = MetricHTTPRequest(url: c.string ?? "", headers: [("X-Query-Key", key), ("Accept", "application/json")],
                                            timeout: endpoint.timeout)
            let response = try await http.sendExpectingSuccess(request, service: "New Relic")
            return MetricAnswer(number: try Self.insightsValue(response.body))
        } catch {
            throw MetricSpecError(creds.redact("\(error)"))
        }
    }

    /// `{"results": [{"result": 1.5}]}`: nil (no data) when the one result has no value.
    static func insightsValue(_ body: [UInt8]) throws -> Double? {
        let json = try parse(body)
        guard let results = json["results"].arrayValue else {
            throw MetricSpecError("New Relic's answer has no results: \(String(json.serialized().prefix(200)))")
        }
        guard results.count == 1 else {
            if results.isEmpty { return nil }
            throw MetricSpecError("New Relic answered \(results.count) results; the query must give one (… AS result)")
        }
        let value = results[0]["result"]
        if value == .null { return nil }
        guard let d = value.doubleValue else { throw MetricSpecError("New Relic's result \(value.serialized()) is not a number") }
        return d
    }

    // MARK: - Argo

    public static func problems(analysis settings: JSONValue) -> [String] {
        guard let q = settings["query"].stringValue, !q.isEmpty else { return ["query: is required; write the NRQL query"] }
        if settings["timeout"] != .null, settings["timeout"].intValue == nil {
            return ["timeout: write the NRQL timeout in seconds, e.g. 30"]
        }
        return []
    }

    public func measure(analysis settings: JSONValue, context: AnalysisProviderContext) async throws -> ProviderMeasurement {
        if let first = Self.problems(analysis: settings).first { throw MetricSpecError("provider.newRelic.\(first)") }
        guard let kube else { throw MetricSpecError("the newRelic provider needs the Kubernetes API to read its Secret") }
        let name = settings["profile"].stringValue.flatMap { $0.isEmpty ? nil : $0 } ?? "newrelic"
        let ns = ProcessInfo.processInfo.environment["POD_NAMESPACE"].flatMap { $0.isEmpty ? nil : $0 } ?? context.run.namespace
        let data: [String: String]
        do {
            data = MetricSecrets.decodedData(try await kube.get(.secrets, namespace: ns, name: name))
        } catch let e as KubeAPIError where e.isNotFound {
            throw MetricSpecError("Secret \(ns)/\(name) not found: the newRelic provider reads personal-api-key and account-id from it")
        }
        let creds = MetricCredentials(secretData: data)
        do {
            let key = try creds.secret("personal-api-key", provider: "newRelic")
            let accountText = try creds.secret("account-id", provider: "newRelic")
            guard let account = Int(accountText) else { throw MetricSpecError("account-id of Secret \(ns)/\(name) is not a number") }
            let url = try Self.nerdGraphURL(region: data["region"], override: data["base-url-nerdgraph"])
            let request = Self.nerdGraphRequest(url: url, key: key, account: account, nrql: settings["query"].stringValue ?? "",
                                                timeout: settings["timeout"].intValue)
            let response = try await http.sendExpectingSuccess(request, service: "New Relic NerdGraph")
            return try Self.nerdGraphOutcome(response.body)
        } catch {
            throw MetricSpecError(creds.redact("\(error)"))
        }
    }

    static func nerdGraphURL(region: String?, override: String?) throws -> String {
        if let o = override, !o.isEmpty { return o }
        switch (region ?? "us").lowercased() {
        case "us", "": return "https://api.newrelic.com/graphql"
        case "eu": return "https://api.eu.newrelic.com/graphql"
        default: throw MetricSpecError("region \"\(region!)\" is not us or eu")
        }
    }

    static let nrqlQuery = "query($accountId: Int!, $query: Nrql!, $timeout: Seconds) { actor { account(id: $accountId) { nrql(query: $query, timeout: $timeout) { results } } } }"

    static func nerdGraphRequest(url: String, key: String, account: Int, nrql: String, timeout: Int?) -> MetricHTTPRequest {
        var variables: JSONValue = ["accountId": .int(Int64(account)), "query": .string(nrql)]
        if let timeout { variables["timeout"] = .int(Int64(timeout)) }
        let body: JSONValue = ["query": .string(nrqlQuery), "variables": variables]
        return MetricHTTPRequest(method: "POST", url: url,
                                 headers: [("API-Key", key), ("Content-Type", "application/json"), ("Accept", "application/json")],
                                 body: body.serializedBytes(), timeout: Double(max(timeout ?? 0, 0) + 10))
    }

    /// NerdGraph's answer as Argo judges it: errors are errors; no result (or an empty one) fails.
    static func nerdGraphOutcome(_ body: [UInt8]) throws -> ProviderMeasurement {
        let json = try parse(body)
        if let errors = json["errors"].arrayValue, !errors.isEmpty {
            let text = errors.compactMap { $0["message"].stringValue }.joined(separator: "; ")
            throw MetricSpecError("New Relic NerdGraph: \(text.isEmpty ? errors[0].serialized() : text)")
        }
        let results = json[path: ["data", "actor", "account", "nrql", "results"]].arrayValue ?? []
        if results.count == 1, let one = results[0].objectValue, !one.isEmpty {
            let value = ExprValue(json: results[0])
            return .answer(MetricAnswer(value: value) { throw MetricSpecError("a New Relic result is a map") }, metadata: [:])
        }
        if results.count > 1 {
            let value = ExprValue(json: .array(results))
            return .answer(MetricAnswer(value: value) { throw MetricSpecError("New Relic answered several results") }, metadata: [:])
        }
        return .finished(.failed, message: "no results returned from NRQL query", metadata: [:])
    }

    static func parse(_ body: [UInt8]) throws -> JSONValue {
        do { return try JSONValue(parsing: body) } catch {
            throw MetricSpecError("New Relic's answer is not JSON: \(String(decoding: body.prefix(200), as: UTF8.self))")
        }
    }
}
