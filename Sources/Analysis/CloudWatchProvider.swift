import Foundation
import KubeCore
import SerinAPI

/// Amazon CloudWatch `GetMetricData`, sent in the AWS JSON 1.0 protocol
/// (`X-Amz-Target: GraniteServiceVersion20100801.GetMetricData`) and signed with SigV4.
///
/// - Flagger MetricTemplates (`type: cloudwatch`, `region` required): the query is the JSON
///   list of MetricDataQueries; the window is ten times the metric's interval, at most 20
///   points; the value is the first result's first (newest) value; none is no data.
///   Credentials: the template's secretRef keys `aws_access_key_id`, `aws_secret_access_key`
///   (and `aws_session_token`), else the operator's `AWS_ACCESS_KEY_ID` environment.
/// - Argo AnalysisRuns (`provider.cloudWatch`: `interval`, default 5m, and
///   `metricDataQueries`): `result` is the list of MetricDataResults (`result[0].Values`),
///   region and credentials from the operator's AWS environment (`AWS_REGION`).
///
/// Field names are written as Flagger (`Id`, `MetricStat`) or Argo (`id`, `metricStat`) write
/// them; both become the API's. `AWS_ENDPOINT_URL_CLOUDWATCH` (or `AWS_ENDPOINT_URL`) replaces
/// the regional endpoint, as the AWS SDKs allow.
public struct CloudWatchProvider: MetricProvider {
    public static var names: [String] { ["cloudwatch"] }
    public static var analysisKey: String? { "cloudWatch" }
    /// A MetricTemplate without an address goes to its region's endpoint.
    public static var defaultAddress: String? { regionalAddress }
    static let regionalAddress = "https://monitoring.{region}.amazonaws.com"
    static let timeout = 30.0
    static let target = "GraniteServiceVersion20100801.GetMetricData"

    let http: MetricHTTPClient
    var environment: [String: String] = ProcessInfo.processInfo.environment
    var now: @Sendable () -> Date = { Date() }

    public init(clients: MetricClients) { http = clients.http }

    // MARK: - Flagger

    public func query(_ query: String, endpoint: MetricEndpoint) async throws -> MetricAnswer {
        let creds = endpoint.credentials
        do {
            guard let region = endpoint.region.flatMap({ $0.isEmpty ? nil : $0 }) else {
                throw MetricSpecError("the cloudwatch provider needs the template's provider.region (e.g. us-east-1)")
            }
            let queries = try Self.queries(fromJSON: query)
            let end = now(), start = end.addingTimeInterval(-10 * (endpoint.window ?? 60))
            let aws = try AWSCredentials.resolve(secret: creds.secretData, environment: environment, provider: "cloudwatch")
            let address = endpoint.address == Self.regionalAddress ? endpointURL(region: region) : endpoint.address
            let results = try await getMetricData(queries, start: start, end: end, maxDatapoints: 20, region: region,
                                                  address: address, credentials: aws, timeout: endpoint.timeout)
            let first = results.results.first?["Values"].arrayValue?.first?.doubleValue
            return MetricAnswer(number: first)
        } catch {
            throw MetricSpecError(creds.redact("\(error)"))
        }
    }

    // MARK: - Argo

    public static func problems(analysis settings: JSONValue) -> [String] { CloudWatchMetricSettings.problems(in: settings) }

    public func measure(analysis settings: JSONValue, context: AnalysisProviderContext) async throws -> ProviderMeasurement {
        let s = try CloudWatchMetricSettings.checked(settings, key: "cloudWatch")
        guard let region = environment["AWS_REGION"].flatMap({ $0.isEmpty ? nil : $0 })
            ?? environment["AWS_DEFAULT_REGION"].flatMap({ $0.isEmpty ? nil : $0 }) else {
            throw MetricSpecError("the cloudWatch provider needs AWS_REGION in the operator's environment")
        }
        let aws = try AWSCredentials.resolve(secret: [:], environment: environment, provider: "cloudWatch")
        var creds = MetricCredentials()
        creds.extraSecrets = aws.secrets
        do {
            let end = now(), start = end.addingTimeInterval(-(try DurationString.seconds(s.interval ?? "5m")))
            let queries = (settings["metricDataQueries"].arrayValue ?? []).map(Self.apiNames)
            let answer = try await getMetricData(queries, start: start, end: end, maxDatapoints: nil, region: region,
                                                 address: endpointURL(region: region), credentials: aws, timeout: Self.timeout)
            let value = ExprValue.array(answer.results.map(ExprValue.init(json:)))
            let metadata = answer.messages.isEmpty ? [:] : ["messages": answer.messages.joined(separator: "; ")]
            return .answer(MetricAnswer(value: value) {
                guard answer.results.count == 1, let values = answer.results[0]["Values"].arrayValue else {
                    throw MetricSpecError("CloudWatch answered \(answer.results.count) results; use result[0].Values")
                }
                guard values.count <= 1 else { throw MetricSpecError("CloudWatch answered \(values.count) values; use result[0].Values") }
                return values.first?.doubleValue.map(SingleValue.value) ?? .noData(reason: "the result has no values")
            }, metadata: metadata)
        } catch {
            throw MetricSpecError(creds.redact("\(error)"))
        }
    }

    // MARK: - Requests and answers

    func endpointURL(region: String) -> String {
        for key in ["AWS_ENDPOINT_URL_CLOUDWATCH", "AWS_ENDPOINT_URL"] {
            if let v = environment[key], !v.isEmpty { return v }
        }
        return Self.regionalAddress.replacingOccurrences(of: "{region}", with: region)
    }

    /// Flagger's query: a JSON list of MetricDataQuery objects.
    static func queries(fromJSON text: String) throws -> [JSONValue] {
        let json: JSONValue
        do { json = try JSONValue(parsing: Array(text.utf8)) } catch {
            throw MetricSpecError("the cloudwatch query is not JSON: write a list of MetricDataQueries ([{\"Id\": \"m1\", \"MetricStat\": …}])")
        }
        guard let list = json.arrayValue, !list.isEmpty else {
            throw MetricSpecError("the cloudwatch query must be a non-empty JSON list of MetricDataQueries")
        }
        return list.map(apiNames)
    }

    /// Object keys as the API spells them (`metricStat` → `MetricStat`).
    static func apiNames(_ v: JSONValue) -> JSONValue {
        switch v {
        case .object(let o):
            var out: [String: JSONValue] = [:]
            for (k, x) in o { out[k.prefix(1).uppercased() + k.dropFirst()] = apiNames(x) }
            return .object(out)
        case .array(let a): return .array(a.map(apiNames))
        default: return v
        }
    }

    struct Answer {
        var results: [JSONValue]
        var messages: [String]
    }

    func getMetricData(_ queries: [JSONValue], start: Date, end: Date, maxDatapoints: Int?, region: String, address: String,
                       credentials: AWSCredentials, timeout: Double) async throws -> Answer {
        var results: [JSONValue] = [], messages: [String] = []
        var next: String?
        // NextToken pages, bounded (a window of ten intervals is a few pages at most).
        for _ in 0..<10 {
            let request = try Self.request(queries, start: start, end: end, maxDatapoints: maxDatapoints, nextToken: next,
                                           region: region, address: address, credentials: credentials, date: now(), timeout: timeout)
            let response = try await http.send(request)
            let page = try Self.parse(response)
            for r in page["MetricDataResults"].arrayValue ?? [] { results.append(Self.readable(r)) }
            for m in page["Messages"].arrayValue ?? [] {
                messages.append([m["Code"].stringValue, m["Value"].stringValue].compactMap { $0 }.joined(separator: ": "))
            }
            guard let token = page["NextToken"].stringValue, !token.isEmpty else { break }
            next = token
        }
        return Answer(results: results, messages: messages)
    }

    static func request(_ queries: [JSONValue], start: Date, end: Date, maxDatapoints: Int?, nextToken: String?,
                        region: String, address: String, credentials: AWSCredentials, date: Date,
                        timeout: Double) throws -> MetricHTTPRequest {
        var body: JSONValue = ["MetricDataQueries": .array(queries),
                               "StartTime": .int(Int64(start.timeIntervalSince1970)),
                               "EndTime": .int(Int64(end.timeIntervalSince1970))]
        if let maxDatapoints { body["MaxDatapoints"] = .int(Int64(maxDatapoints)) }
        if let nextToken { body["NextToken"] = .string(nextToken) }
        let bytes = body.serializedBytes()
        var url = address.hasSuffix("/") ? address : address + "/"
        if URLComponents(string: url)?.host?.isEmpty != false { url = address }
        let headers = try AWSSigV4(region: region, service: "monitoring").sign(
            method: "POST", url: url,
            headers: [("Content-Type", "application/x-amz-json-1.0"), ("X-Amz-Target", target)],
            body: bytes, credentials: credentials, date: date)
        return MetricHTTPRequest(method: "POST", url: url, headers: headers + [("Accept", "application/json")], body: bytes,
                                 timeout: timeout)
    }

    /// The answer's JSON; AWS errors (`__type`, `message`) named, throttling as a rate limit.
    static func parse(_ response: MetricHTTPResponse) throws -> JSONValue {
        let json = try? JSONValue(parsing: response.body)
        if (200..<300).contains(response.status), let json { return json }
        let type = (json?["__type"].stringValue ?? response.header("x-amzn-ErrorType") ?? "").split(separator: "#").last.map(String.init) ?? ""
        let message = json?["message"].stringValue ?? json?["Message"].stringValue ?? response.excerpt
        if response.status == 429 || type.hasPrefix("Throttling") || type == "RequestLimitExceeded" {
            throw MetricHTTPError.rateLimited(service: "CloudWatch", retryAfter: response.header("Retry-After"))
        }
        if (200..<300).contains(response.status) { throw MetricSpecError("CloudWatch's answer is not JSON: \(response.excerpt)") }
        throw MetricSpecError("CloudWatch answered HTTP \(response.status)" + (type.isEmpty ? "" : " \(type)") + ": \(message)")
    }

    /// A MetricDataResult with its timestamps (epoch seconds in the JSON protocol) as RFC 3339 text.
    static func readable(_ r: JSONValue) -> JSONValue {
        var out = r
        if let ts = r["Timestamps"].arrayValue {
            out["Timestamps"] = .array(ts.map { t -> JSONValue in
                guard let seconds = t.doubleValue else { return t }
                return JSONValue.string(KubeTime.format(Date(timeIntervalSince1970: seconds)))
            })
        }
        if out["Values"] == .null { out["Values"] = [] }
        return out
    }
}

/// `provider.cloudWatch` as Argo writes it.
struct CloudWatchMetricSettings: ProviderSettings, Sendable {
    var interval: String?
    var metricDataQueries: [Query]?

    struct Query: Decodable, Sendable {
        var id: String?
        var expression: String?
        var metricStat: JSONValue?
    }

    var problems: [String] {
        var out: [String] = []
        if let i = interval, !i.contains("{{"), (try? DurationString.seconds(i)).map({ $0 > 0 }) != true {
            out.append("interval: \"\(i)\" is not a positive duration such as 5m")
        }
        let qs = metricDataQueries ?? []
        if qs.isEmpty { out.append("metricDataQueries: at least one query is required (id with expression or metricStat)") }
        for (i, q) in qs.enumerated() {
            if (q.id ?? "").isEmpty { out.append("metricDataQueries[\(i)].id: is required") }
            if (q.expression ?? "").isEmpty && (q.metricStat ?? .null) == .null {
                out.append("metricDataQueries[\(i)]: set expression or metricStat")
            }
        }
        return out
    }
}
