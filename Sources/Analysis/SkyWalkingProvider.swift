import Foundation
import KubeCore
import SerinAPI

/// Apache SkyWalking's GraphQL API, Argo's `provider.skywalking`: `POST <address>/graphql`
/// with the query and `$duration` = {start, end (minutes, `2006-01-02 1504`, UTC), step
/// MINUTE} over `interval`. `result` is the answer's `data` (`result.service_apdex.values`);
/// GraphQL errors are an Error, no data a Failed measurement, as in Argo.
public struct SkyWalkingProvider: MetricProvider {
    public static var names: [String] { ["skywalking"] }
    public static var analysisKey: String? { "skywalking" }
    public static var answersQueries: Bool { false }
    static let timeout = 30.0

    let http: MetricHTTPClient
    var now: @Sendable () -> Date = { Date() }

    public init(clients: MetricClients) { http = clients.http }

    public func query(_ query: String, endpoint: MetricEndpoint) async throws -> MetricAnswer {
        throw MetricSpecError("the skywalking provider measures AnalysisRun metrics only (provider.skywalking with address and query)")
    }

    public static func problems(analysis settings: JSONValue) -> [String] { SkyWalkingMetricSettings.problems(in: settings) }

    public func measure(analysis settings: JSONValue, context: AnalysisProviderContext) async throws -> ProviderMeasurement {
        let s = try SkyWalkingMetricSettings.checked(settings, key: "skywalking")
        let interval = try DurationString.seconds(s.interval ?? "5m")
        let request = try Self.request(query: s.query ?? "", address: s.address ?? "", end: now(), interval: interval)
        let response = try await http.sendExpectingSuccess(request, service: "SkyWalking")
        return try Self.outcome(response.body)
    }

    static func minute(_ d: Date) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyy-MM-dd HHmm"
        return f.string(from: d)
    }

    static func request(query: String, address: String, end: Date, interval: Double) throws -> MetricHTTPRequest {
        let base = address.hasSuffix("/") ? String(address.dropLast()) : address
        guard URLComponents(string: base)?.host?.isEmpty == false else { throw MetricHTTPError.invalidURL(address) }
        let body: JSONValue = ["query": .string(query), "variables": ["duration": [
            "start": .string(minute(end.addingTimeInterval(-interval))), "end": .string(minute(end)), "step": "MINUTE",
        ]]]
        return MetricHTTPRequest(method: "POST", url: base + "/graphql",
                                 headers: [("Content-Type", "application/json"), ("Accept", "application/json")],
                                 body: body.serializedBytes(), timeout: timeout)
    }

    static func outcome(_ body: [UInt8]) throws -> ProviderMeasurement {
        let json: JSONValue
        do { json = try JSONValue(parsing: body) } catch {
            throw MetricSpecError("SkyWalking's answer is not JSON: \(String(decoding: body.prefix(200), as: UTF8.self))")
        }
        if let errors = json["errors"].arrayValue, !errors.isEmpty {
            let text = errors.compactMap { $0["message"].stringValue }.joined(separator: "; ")
            throw MetricSpecError("SkyWalking GraphQL: \(text.isEmpty ? errors[0].serialized() : text)")
        }
        let data = json["data"]
        if data == .null || data.objectValue?.isEmpty == true {
            return .finished(.failed, message: "no results returned from SkyWalking query", metadata: [:])
        }
        return .answer(MetricAnswer(value: ExprValue(json: data)) {
            throw MetricSpecError("a SkyWalking result is a map; judge its fields (result.service_apdex.values)")
        }, metadata: [:])
    }
}

/// `provider.skywalking` as Argo writes it.
struct SkyWalkingMetricSettings: ProviderSettings, Sendable {
    var address: String?
    var query: String?
    var interval: String?

    var problems: [String] {
        var out: [String] = []
        if let a = address, !a.isEmpty {
            if !a.contains("{{"), !(a.hasPrefix("http://") || a.hasPrefix("https://")) {
                out.append("address: \"\(a)\" is not an http(s) URL; write the OAP address such as http://skywalking-oap:12800")
            }
        } else {
            out.append("address: is required; write the OAP address such as http://skywalking-oap:12800")
        }
        if (query ?? "").trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { out.append("query: is required; write a GraphQL query") }
        if let i = interval, !i.contains("{{"), (try? DurationString.seconds(i)).map({ $0 > 0 }) != true {
            out.append("interval: \"\(i)\" is not a positive duration such as 5m")
        }
        return out
    }
}
