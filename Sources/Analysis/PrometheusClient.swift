import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOSSL

/// Prometheus HTTP API client (`/api/v1/query`, `/api/v1/query_range`) over AsyncHTTPClient.
/// Errors are `PrometheusError` values; no credential ever appears in them or in logs.
public final class PrometheusClient: Sendable {
    private let http: HTTPClient
    private let ownsClient: Bool
    private let logger: Logger
    /// Largest answer read; bigger ones are refused rather than buffered.
    public static let maxBodyBytes = 16 << 20

    public init(logger: Logger = Logger(label: "serin.prometheus")) {
        self.http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: Self.configuration(tls: nil))
        self.ownsClient = true
        self.logger = logger
    }

    /// Shuts the HTTP client down. Call once when done.
    public func shutdown() async throws {
        if ownsClient { try await http.shutdown() }
    }

    /// Instant query at `time` (default: Prometheus' now).
    public func query(_ promql: String, at time: Date? = nil, endpoint: MetricEndpoint) async throws -> PromResponse {
        var form = [("query", promql)]
        if let time { form.append(("time", Self.timestamp(time))) }
        return try await post(path: "/api/v1/query", form: form, endpoint: endpoint)
    }

    /// Range query over [start, end] with a step in seconds.
    public func queryRange(_ promql: String, start: Date, end: Date, step: Double,
                           endpoint: MetricEndpoint) async throws -> PromResponse {
        let form = [("query", promql), ("start", Self.timestamp(start)), ("end", Self.timestamp(end)),
                    ("step", PromFormat.number(max(step, 0.001)))]
        return try await post(path: "/api/v1/query_range", form: form, endpoint: endpoint)
    }

    // MARK: - Transport

    private func post(path: String, form: [(String, String)], endpoint: MetricEndpoint) async throws -> PromResponse {
        let creds = endpoint.credentials
        do {
            return try await send(path: path, form: form, endpoint: endpoint)
        } catch let e as PrometheusError {
            logger.debug("prometheus query failed", metadata: ["address": "\(endpoint.displayAddress)",
                                                               "error": "\(creds.redact(e.description))"])
            throw e.redacting(creds)
        }
    }

    private func send(path: String, form: [(String, String)], endpoint: MetricEndpoint) async throws -> PromResponse {
        guard var url = URLComponents(string: endpoint.address), let scheme = url.scheme?.lowercased(),
              scheme == "http" || scheme == "https", url.host?.isEmpty == false
        else { throw PrometheusError.invalidAddress(endpoint.displayAddress) }
        var creds = endpoint.credentials
        // `http://user:pass@host` is basic auth; keep it out of the URL and out of messages.
        if let u = url.user, creds.username == nil {
            creds.username = u.removingPercentEncoding ?? u
            creds.password = (url.password?.removingPercentEncoding ?? url.password) ?? ""
        }
        url.user = nil
        url.password = nil
        let base = url.percentEncodedPath.hasSuffix("/") ? String(url.percentEncodedPath.dropLast()) : url.percentEncodedPath
        url.percentEncodedPath = base + path
        url.query = nil
        guard let target = url.string else { throw PrometheusError.invalidAddress(endpoint.displayAddress) }

        var request = HTTPClientRequest(url: target)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "User-Agent", value: "serin")
        for (k, v) in creds.headers.sorted(by: { $0.key < $1.key }) { request.headers.replaceOrAdd(name: k, value: v) }
        if let token = creds.bearerToken {
            request.headers.replaceOrAdd(name: "Authorization", value: "Bearer \(token)")
        } else if let user = creds.username {
            let raw = Data("\(user):\(creds.password ?? "")".utf8).base64EncodedString()
            request.headers.replaceOrAdd(name: "Authorization", value: "Basic \(raw)")
        }
        let body = Self.formEncode(form)
        request.body = .bytes(ByteBuffer(string: body))
        if let s = creds.sigv4 {
            // Every header but User-Agent is signed; the signature replaces any other Authorization.
            let unsigned = request.headers.filter { $0.name.lowercased() != "user-agent" && $0.name.lowercased() != "authorization" }
            let signed = try AWSSigV4(region: s.region, service: s.service).sign(
                method: "POST", url: target, headers: unsigned.map { ($0.name, $0.value) }, body: Array(body.utf8),
                credentials: s.credentials, date: Date())
            request.headers.remove(name: "Authorization")
            for (k, v) in signed { request.headers.replaceOrAdd(name: k, value: v) }
        }

        let tls = try Self.tlsConfiguration(creds, address: endpoint.displayAddress)
        let client: HTTPClient
        if let tls {
            client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: Self.configuration(tls: tls))
        } else {
            client = http
        }
        defer { if tls != nil { client.shutdown { _ in } } }

        let timeout = TimeAmount.nanoseconds(Int64(max(endpoint.timeout, 0.001) * 1e9))
        let display = endpoint.displayAddress
        do {
            let response = try await client.execute(request, timeout: timeout)
            let body = try await response.body.collect(upTo: Self.maxBodyBytes)
            let bytes = Array(body.readableBytesView)
            return try PrometheusResponseParser.parse(
                httpStatus: Int(response.status.code), contentType: response.headers.first(name: "Content-Type"),
                body: bytes)
        } catch let e as PrometheusError {
            throw e
        } catch let e as HTTPClientError {
            switch e {
            case .deadlineExceeded, .readTimeout, .connectTimeout, .writeTimeout:
                throw PrometheusError.timeout(address: display, seconds: endpoint.timeout)
            default:
                throw PrometheusError.connectionFailed(address: display, reason: "\(e)")
            }
        } catch is NIOTooManyBytesError {
            throw PrometheusError.notPrometheus(httpStatus: 200, contentType: nil,
                                                excerpt: "answer larger than \(Self.maxBodyBytes) bytes")
        } catch {
            throw PrometheusError.connectionFailed(address: display, reason: Self.describe(error))
        }
    }

    static func describe(_ error: any Error) -> String {
        let text = "\(error)"
        if text.contains("Connection refused") || text.contains("connectionRefused") { return "connection refused" }
        return text
    }

    static func tlsConfiguration(_ creds: MetricCredentials, address: String) throws -> TLSConfiguration? {
        guard creds.insecureSkipVerify || creds.caCertificatePEM != nil else { return nil }
        var tls = TLSConfiguration.makeClientConfiguration()
        if creds.insecureSkipVerify { tls.certificateVerification = .none }
        if let pem = creds.caCertificatePEM {
            do {
                let certs = try NIOSSLCertificate.fromPEMBytes(Array(pem.utf8))
                tls.trustRoots = .certificates(certs)
            } catch {
                throw PrometheusError.connectionFailed(address: address, reason: "the CA certificate is not valid PEM")
            }
        }
        return tls
    }

    static func configuration(tls: TLSConfiguration?) -> HTTPClient.Configuration {
        var c = HTTPClient.Configuration()
        c.tlsConfiguration = tls
        c.timeout = .init(connect: .seconds(10), read: .seconds(120))
        // A Prometheus that is down is reported at once ("connection refused"), not retried
        // until the query's timeout holds up the canary's reconcile.
        c.connectionPool.retryConnectionEstablishment = false
        c.redirectConfiguration = .disallow
        c.decompression = .enabled(limit: .ratio(50))
        return c
    }

    static func timestamp(_ d: Date) -> String { String(format: "%.3f", d.timeIntervalSince1970) }

    static func formEncode(_ pairs: [(String, String)]) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return pairs.map { k, v in
            "\(k.addingPercentEncoding(withAllowedCharacters: allowed) ?? k)=\(v.addingPercentEncoding(withAllowedCharacters: allowed) ?? v)"
        }.joined(separator: "&")
    }
}

extension PrometheusError {
    /// The same error with every credential value replaced by `[redacted]`.
    func redacting(_ creds: MetricCredentials) -> PrometheusError {
        switch self {
        case let .queryFailed(t, e, s): return .queryFailed(errorType: t, error: creds.redact(e), httpStatus: s)
        case let .notPrometheus(s, ct, ex): return .notPrometheus(httpStatus: s, contentType: ct, excerpt: creds.redact(ex))
        case let .malformed(m): return .malformed(creds.redact(m))
        case let .connectionFailed(a, r): return .connectionFailed(address: a, reason: creds.redact(r))
        default: return self
        }
    }
}
