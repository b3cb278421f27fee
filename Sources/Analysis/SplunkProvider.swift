import Foundation
import KubeCore
import SerinAPI

/// Splunk Observability Cloud (SignalFx), as Flagger's `type: splunk` MetricTemplates use it:
/// the SignalFlow program runs over ten times the metric's interval, `immediate`, and the last
/// published datapoint is the value. Flagger speaks SignalFlow over a WebSocket; Serin uses
/// SignalFlow's HTTP API instead (`POST /v2/signalflow/execute`, the program as text/plain,
/// header `X-SF-Token: <sf_token_key>`), whose answer is a Server-Sent Events stream of the
/// same messages. The address is Flagger's: `https://api.<realm>.signalfx.com` is sent to
/// `https://stream.<realm>.signalfx.com` (a `wss://stream…` address works too).
public struct SplunkProvider: MetricProvider {
    public static var names: [String] { ["splunk"] }
    public static var unsetAddress: UnsetAddress { .required(example: "https://api.<realm>.signalfx.com") }

    let http: MetricHTTPClient
    var now: @Sendable () -> Date = { Date() }

    public init(clients: MetricClients) { http = clients.http }

    public func query(_ query: String, endpoint: MetricEndpoint) async throws -> MetricAnswer {
        let creds = endpoint.credentials
        do {
            let token = try creds.secret("sf_token_key", provider: "splunk")
            let stop = Int64(now().timeIntervalSince1970 * 1000)
            let start = stop - Int64(10 * (endpoint.window ?? 60) * 1000)
            let request = try Self.request(query, address: endpoint.address, token: token, start: start, stop: stop,
                                           timeout: endpoint.timeout)
            let response = try await http.send(request)
            if response.status != 200 { throw Self.statusError(response) }
            return MetricAnswer(number: try SignalFlowStream(response.text).value())
        } catch {
            throw MetricSpecError(creds.redact("\(error)"))
        }
    }

    /// The streaming host for Flagger's address: `api.` becomes `stream.`, `ws(s)` becomes `http(s)`.
    static func streamBase(_ address: String) throws -> String {
        guard var c = URLComponents(string: address), let host = c.host, !host.isEmpty else {
            throw MetricHTTPError.invalidURL(address)
        }
        switch c.scheme?.lowercased() {
        case "wss": c.scheme = "https"
        case "ws": c.scheme = "http"
        case "http", "https": break
        default: throw MetricHTTPError.invalidURL(address)
        }
        if host.hasPrefix("api.") { c.host = "stream." + host.dropFirst(4) }
        c.path = c.path.hasSuffix("/") ? String(c.path.dropLast()) : c.path
        return c.string ?? address
    }

    static func request(_ program: String, address: String, token: String, start: Int64, stop: Int64,
                        timeout: Double) throws -> MetricHTTPRequest {
        guard var c = URLComponents(string: try streamBase(address) + "/v2/signalflow/execute") else {
            throw MetricHTTPError.invalidURL(address)
        }
        c.percentEncodedQuery = PrometheusClient.formEncode([("start", "\(start)"), ("stop", "\(stop)"), ("immediate", "true")])
        return MetricHTTPRequest(method: "POST", url: c.string ?? "",
                                 headers: [("X-SF-Token", token), ("Content-Type", "text/plain"), ("Accept", "text/event-stream")],
                                 body: Array(program.utf8), timeout: timeout)
    }

    /// SignalFlow's errors are `{"message": "…", "errorType": "…"}`; a 429 is rate limiting.
    static func statusError(_ r: MetricHTTPResponse) -> Error {
        if r.status == 429 { return MetricHTTPError.rateLimited(service: "Splunk SignalFlow", retryAfter: r.header("Retry-After")) }
        if let json = try? JSONValue(parsing: r.body), let m = json["message"].stringValue {
            let type = json["errorType"].stringValue.map { " (\($0))" } ?? ""
            return MetricSpecError("Splunk SignalFlow answered HTTP \(r.status): \(m)\(type)")
        }
        return MetricHTTPError.status(service: "Splunk SignalFlow", code: r.status, excerpt: r.excerpt)
    }
}

/// A SignalFlow computation's Server-Sent Events: `event: <type>` and `data: <json>` lines,
/// messages separated by a blank line; `data` messages carry `{"data": [{"tsId", "value"}]}`.
struct SignalFlowStream {
    struct Message {
        var event: String
        var data: JSONValue
    }

    var messages: [Message] = []

    init(_ text: String) {
        var event = "message", data: [String] = []
        func flush() {
            if !data.isEmpty, let json = try? JSONValue(parsing: Array(data.joined(separator: "\n").utf8)) {
                messages.append(Message(event: event, data: json))
            }
            event = "message"
            data = []
        }
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = raw.hasSuffix("\r") ? raw.dropLast() : raw[...]
            if line.isEmpty { flush(); continue }
            if line.hasPrefix(":") { continue }
            let (field, value) = Self.field(line)
            if field == "event" { event = value } else if field == "data" { data.append(value) }
        }
        flush()
    }

    static func field(_ line: Substring) -> (String, String) {
        guard let colon = line.firstIndex(of: ":") else { return (String(line), "") }
        var value = line[line.index(after: colon)...]
        if value.hasPrefix(" ") { value = value.dropFirst() }
        return (String(line[..<colon]), String(value))
    }

    /// The last datapoint with a value, as Flagger takes it; nil when none. Throws on an
    /// `error` message, an aborted channel, or datapoints of more than one time series.
    func value() throws -> Double? {
        if let e = messages.first(where: { $0.event == "error" }) {
            let errors = e.data["errors"].arrayValue ?? []
            let text = errors.map { err in
                [err["code"].stringValue ?? err["code"].serialized(), err["message"].stringValue]
                    .compactMap { $0 }.joined(separator: ": ")
            }.joined(separator: "; ")
            throw MetricSpecError("Splunk SignalFlow: the program failed: \(text.isEmpty ? e.data.serialized() : text)")
        }
        if let abort = messages.first(where: { $0.event == "control-message" && $0.data["event"] == "CHANNEL_ABORT" }) {
            let why = abort.data[path: ["abortInfo", "sf_job_abortReason"]].stringValue ?? abort.data["abortInfo"].serialized()
            throw MetricSpecError("Splunk SignalFlow aborted the computation: \(why)")
        }
        var points: [(tsId: String, value: Double)] = []
        for m in messages where m.event == "data" {
            for d in m.data["data"].arrayValue ?? [] {
                guard let v = d["value"].doubleValue else { continue }
                points.append((d["tsId"].stringValue ?? "", v))
            }
        }
        let series = Set(points.map(\.tsId))
        if series.count > 1 {
            throw MetricSpecError("Splunk SignalFlow published \(series.count) time series; the program must publish one (aggregate it, e.g. .sum())")
        }
        return points.last?.value
    }
}
