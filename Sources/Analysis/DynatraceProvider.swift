import Foundation
import KubeCore
import SerinAPI

/// Dynatrace's metrics API v2, as Flagger's `type: dynatrace` MetricTemplates use it:
/// `GET <address>/api/v2/metrics/query?metricSelector=<query>&resolution=Inf&from=<ms>&to=<ms>`
/// over ten times the metric's interval, header `Authorization: Api-Token <dynatrace_token>`
/// (key of the template's secretRef Secret). The value is the first value of the last data
/// series of the first result; no result, series or value is no data, a null value too.
/// The address (`https://<environment-id>.live.dynatrace.com`) is required, as in Flagger.
public struct DynatraceProvider: MetricProvider {
    public static var names: [String] { ["dynatrace"] }
    public static var unsetAddress: UnsetAddress { .required(example: "https://<environment-id>.live.dynatrace.com") }

    let http: MetricHTTPClient
    var now: @Sendable () -> Date = { Date() }

    public init(clients: MetricClients) { http = clients.http }

    public func query(_ query: String, endpoint: MetricEndpoint) async throws -> MetricAnswer {
        let creds = endpoint.credentials
        do {
            let token = try creds.secret("dynatrace_token", provider: "dynatrace")
            let to = Int64(now().timeIntervalSince1970 * 1000)
            let from = to - Int64(10 * (endpoint.window ?? 60) * 1000)
            let request = try Self.request(query, address: endpoint.address, token: token, from: from, to: to,
                                           timeout: endpoint.timeout)
            let response = try await http.sendExpectingSuccess(request, service: "Dynatrace")
            return MetricAnswer(number: try Self.value(response.body))
        } catch let e as MetricHTTPError {
            throw MetricSpecError(creds.redact(e.vendorDescription))
        } catch {
            throw MetricSpecError(creds.redact("\(error)"))
        }
    }

    static func request(_ query: String, address: String, token: String, from: Int64, to: Int64,
                        timeout: Double) throws -> MetricHTTPRequest {
        var c = try DatadogProvider.url(address, "/api/v2/metrics/query")
        // The selector is one line: Flagger's templates end in a newline the API would refuse.
        let selector = query.trimmingCharacters(in: .whitespacesAndNewlines)
        c.percentEncodedQuery = PrometheusClient.formEncode([
            ("metricSelector", selector), ("resolution", "Inf"), ("from", "\(from)"), ("to", "\(to)"),
        ])
        return MetricHTTPRequest(url: c.string ?? "", headers: [("Authorization", "Api-Token \(token)"), ("Accept", "application/json")],
                                 timeout: timeout)
    }

    /// `{"result": [{"metricId": …, "data": [{"dimensions": […], "timestamps": […], "values": [v, …]}]}]}`.
    static func value(_ body: [UInt8]) throws -> Double? {
        let json: JSONValue
        do { json = try JSONValue(parsing: body) } catch {
            throw MetricSpecError("Dynatrace's answer is not JSON: \(String(decoding: body.prefix(200), as: UTF8.self))")
        }
        guard let results = json["result"].arrayValue else {
            throw MetricSpecError("Dynatrace's answer has no result: \(DatadogProvider.excerpt(json))")
        }
        guard let data = results.first?["data"].arrayValue, let last = data.last,
              let first = last["values"].arrayValue?.first else { return nil }
        if first == .null { return nil }
        guard let v = first.doubleValue else { throw MetricSpecError("Dynatrace's value \(first.serialized()) is not a number") }
        return v
    }
}
