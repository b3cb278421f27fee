import AsyncHTTPClient
import Foundation
import NIOCore
import NIOSSL

/// One HTTP request a provider sends (web metrics, SaaS APIs).
public struct MetricHTTPRequest: Sendable {
    public var method: String
    public var url: String
    public var headers: [(String, String)]
    public var body: [UInt8]?
    /// Seconds for the whole exchange.
    public var timeout: Double
    public var insecureSkipVerify: Bool

    public init(method: String = "GET", url: String, headers: [(String, String)] = [], body: [UInt8]? = nil,
                timeout: Double = 10, insecureSkipVerify: Bool = false) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
        self.insecureSkipVerify = insecureSkipVerify
    }
}

public struct MetricHTTPResponse: Sendable {
    public var status: Int
    public var headers: [(String, String)]
    public var body: [UInt8]

    public func header(_ name: String) -> String? {
        headers.first { $0.0.caseInsensitiveCompare(name) == .orderedSame }?.1
    }

    public var text: String { String(decoding: body, as: UTF8.self) }

    /// The start of the body, one line, for messages.
    public var excerpt: String {
        let t = text.replacingOccurrences(of: "\n", with: " ").trimmingCharacters(in: .whitespaces)
        return t.count > 200 ? String(t.prefix(200)) + "…" : t
    }
}

/// Why a provider's HTTP exchange failed. Addresses are shown without query strings or
/// user info (where keys may live); callers redact credentials from the rest.
public enum MetricHTTPError: Error, Sendable, Hashable, CustomStringConvertible {
    case invalidURL(String)
    case timeout(url: String, seconds: Double)
    case connectionFailed(url: String, reason: String)
    case tooLarge(url: String)
    /// HTTP 429; `retryAfter` is the server's Retry-After when it sent one.
    case rateLimited(service: String, retryAfter: String?)
    case status(service: String, code: Int, excerpt: String)

    public var description: String {
        switch self {
        case .invalidURL(let u): return "invalid URL \"\(u)\": write an absolute http:// or https:// URL"
        case let .timeout(u, s): return "no answer from \(u) within \(PromFormat.number(s))s"
        case let .connectionFailed(u, r): return "cannot reach \(u): \(r)"
        case .tooLarge(let u): return "the answer of \(u) is larger than \(MetricHTTPClient.maxBodyBytes) bytes"
        case let .rateLimited(s, r):
            return "\(s) is rate limiting the requests (HTTP 429)" + (r.map { "; retry after \($0)s" } ?? "")
        case let .status(s, c, e): return "\(s) answered HTTP \(c)" + (e.isEmpty ? "" : ": \(e)")
        }
    }
}

/// The HTTP client providers other than Prometheus share: one connection pool per process,
/// a client per request only when TLS verification is off.
public final class MetricHTTPClient: Sendable {
    private let http: HTTPClient
    public static let maxBodyBytes = 16 << 20
    /// The process's client (its connection pool outlives every reconciler).
    public static let shared = MetricHTTPClient()

    public init() {
        http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: Self.configuration(tls: nil))
    }

    public func shutdown() async throws { try await http.shutdown() }

    /// `scheme://host:port/path` of a URL: what messages show.
    public static func display(_ url: String) -> String {
        guard var c = URLComponents(string: url), c.host != nil else { return "(invalid URL)" }
        c.user = nil
        c.password = nil
        c.query = nil
        c.fragment = nil
        return c.string ?? "(invalid URL)"
    }

    public func send(_ r: MetricHTTPRequest) async throws -> MetricHTTPResponse {
        guard let c = URLComponents(string: r.url), let scheme = c.scheme?.lowercased(),
              scheme == "http" || scheme == "https", c.host?.isEmpty == false
        else { throw MetricHTTPError.invalidURL(Self.display(r.url) == "(invalid URL)" ? r.url : Self.display(r.url)) }
        let shown = Self.display(r.url)
        var request = HTTPClientRequest(url: r.url)
        switch r.method.uppercased() {
        case "POST": request.method = .POST
        case "PUT": request.method = .PUT
        case "GET": request.method = .GET
        default: throw MetricHTTPError.invalidURL("method \(r.method) for \(shown)")
        }
        request.headers.add(name: "User-Agent", value: "serin")
        for (k, v) in r.headers { request.headers.replaceOrAdd(name: k, value: v) }
        if let body = r.body { request.body = .bytes(ByteBuffer(bytes: body)) }
        let client: HTTPClient
        if r.insecureSkipVerify {
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.certificateVerification = .none
            client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: Self.configuration(tls: tls))
        } else {
            client = http
        }
        defer { if r.insecureSkipVerify { client.shutdown { _ in } } }
        do {
            let response = try await client.execute(request, timeout: .nanoseconds(Int64(max(r.timeout, 0.001) * 1e9)))
            let body = try await response.body.collect(upTo: Self.maxBodyBytes)
            return MetricHTTPResponse(status: Int(response.status.code), headers: response.headers.map { ($0.name, $0.value) },
                                      body: Array(body.readableBytesView))
        } catch let e as HTTPClientError {
            switch e {
            case .deadlineExceeded, .readTimeout, .connectTimeout, .writeTimeout:
                throw MetricHTTPError.timeout(url: shown, seconds: r.timeout)
            default:
                throw MetricHTTPError.connectionFailed(url: shown, reason: "\(e)")
            }
        } catch is NIOTooManyBytesError {
            throw MetricHTTPError.tooLarge(url: shown)
        } catch {
            throw MetricHTTPError.connectionFailed(url: shown, reason: PrometheusClient.describe(error))
        }
    }

    /// The response when it is a 2xx; a 429 or another status is thrown naming `service`.
    public func sendExpectingSuccess(_ r: MetricHTTPRequest, service: String) async throws -> MetricHTTPResponse {
        let response = try await send(r)
        if response.status == 429 {
            // Retry-After, or Datadog's X-RateLimit-Reset (seconds until the window resets).
            let after = response.header("Retry-After") ?? response.header("X-RateLimit-Reset")
            throw MetricHTTPError.rateLimited(service: service, retryAfter: after)
        }
        guard (200..<300).contains(response.status) else {
            throw MetricHTTPError.status(service: service, code: response.status, excerpt: response.excerpt)
        }
        return response
    }

    static func configuration(tls: TLSConfiguration?) -> HTTPClient.Configuration {
        var c = PrometheusClient.configuration(tls: tls)
        c.timeout = .init(connect: .seconds(10), read: .seconds(120))
        return c
    }
}
