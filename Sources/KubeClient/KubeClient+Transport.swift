import AsyncHTTPClient
import Foundation
import KubeCore
import Logging
import Metrics
import NIOCore
import NIOHTTP1
import NIOSSL

extension KubeClient {
    /// Sends a non-watch request (rate-limited, retried) and parses the JSON answer.
    func perform(_ r: APIRequest) async throws -> JSONValue {
        let body: [UInt8] = try await withRetries(r) { auth in
            await self.attemptBuffered(r, authorization: auth)
        }
        if body.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) { return .null }
        do {
            return try JSONValue(parsing: body)
        } catch {
            throw KubeAPIError.transport("\(r.method) \(r.path): response is not JSON: \(excerpt(body))")
        }
    }

    /// Runs `attempt` until it succeeds, the failure is not retriable for this request, or
    /// the policy's attempts or total time run out. A 401 with a token file re-reads the
    /// file once and tries again with the new token.
    func withRetries<T: Sendable>(
        _ r: APIRequest, rateLimited: Bool = true,
        attempt: @Sendable (_ authorization: String?) async throws -> Result<T, RequestFailure>
    ) async throws -> T {
        let policy = options.retry
        let start = ContinuousClock.now
        var attempts = 0
        var reloadedToken = false
        while true {
            attempts += 1
            if rateLimited { try await limiter.acquire() }
            try Task.checkCancellation()
            let auth = try authorizationHeader()
            let result = try await attempt(auth)
            let failure: RequestFailure
            switch result {
            case .success(let value): return value
            case .failure(let f): failure = f
            }
            if Task.isCancelled { throw CancellationError() }

            if case .api(.unauthorized) = failure, let tokenFile, !reloadedToken {
                // The kubelet may have rotated the token since we last read it.
                reloadedToken = true
                tokenFile.invalidate()
                if let fresh = try? authorizationHeader(), fresh != auth {
                    logger.info("401 from API server; retrying with the re-read token file", metadata: ["path": "\(r.path)"])
                    attempts -= 1
                    continue
                }
            }
            guard attempts < policy.maxAttempts, RetryPolicy.isRetriable(failure, repeatable: r.repeatable) else {
                throw failure.error
            }
            let delay = policy.delay(afterAttempt: attempts, retryAfterSeconds: failure.retryAfterSeconds)
            if ContinuousClock.now + delay > start + policy.maxTotal { throw failure.error }
            logger.warning(
                "API request failed; retrying",
                metadata: [
                    "verb": "\(r.verb)", "path": "\(r.path)", "attempt": "\(attempts)",
                    "delay_ms": "\(delay.components.seconds * 1000 + delay.components.attoseconds / 1_000_000_000_000_000)",
                    "error": "\(failure.error)",
                ])
            try await Task.sleep(for: delay)
        }
    }

    /// One attempt of a request whose whole body is read.
    func attemptBuffered(_ r: APIRequest, authorization: String?) async -> Result<[UInt8], RequestFailure> {
        let request = makeRequest(r, authorization: authorization)
        let started = ContinuousClock.now
        do {
            let response = try await http.execute(
                request, deadline: .now() + Self.timeAmount(options.requestTimeout), logger: nil)
            let buffer = try await response.body.collect(upTo: options.maxResponseBytes)
            let code = Int(response.status.code)
            record(verb: r.verb, code: String(code), since: started)
            let body = Array(buffer: buffer)
            logger.debug("API request", metadata: ["verb": "\(r.verb)", "path": "\(r.path)", "code": "\(code)"])
            if (200..<300).contains(code) { return .success(body) }
            return .failure(.api(Self.apiError(code: code, retryAfterHeader: response.headers.first(name: "Retry-After"), body: body)))
        } catch {
            record(verb: r.verb, code: "error", since: started)
            return .failure(classify(error, r))
        }
    }

    func makeRequest(_ r: APIRequest, authorization: String?) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: r.url(base: baseURL))
        request.method = r.method
        request.headers.add(name: "User-Agent", value: options.userAgent)
        request.headers.add(name: "Accept", value: "application/json")
        if let authorization { request.headers.add(name: "Authorization", value: authorization) }
        if let body = r.body {
            request.headers.add(name: "Content-Type", value: r.contentType ?? "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        return request
    }

    /// The Authorization header value; reads the token file when due.
    func authorizationHeader() throws -> String? {
        switch config.credentials {
        case .none: return nil
        case .bearerToken(let t): return "Bearer \(t)"
        case .bearerTokenFile:
            guard let tokenFile else { return nil }
            return "Bearer \(try tokenFile.token())"
        case .basic(let user, let password):
            return "Basic \(Data("\(user):\(password)".utf8).base64EncodedString())"
        }
    }

    func record(verb: String, code: String, since started: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - started
        let nanos = elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000
        let factory = options.metricsFactory ?? MetricsSystem.factory
        Counter(label: "serin_api_requests_total", dimensions: [("verb", verb), ("code", code)], factory: factory).increment()
        Metrics.Timer(label: "serin_api_request_duration_seconds", dimensions: [("verb", verb)], factory: factory)
            .recordNanoseconds(nanos)
    }

    /// A non-2xx answer as a typed error: the Status body when there is one, otherwise a
    /// Status made from the code and the start of the body.
    static func apiError(code: Int, retryAfterHeader: String?, body: [UInt8]) -> KubeAPIError {
        // Only the delay-seconds form; an HTTP-date is rare from API servers and proxies.
        let retryAfter = retryAfterHeader.flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        var status: APIStatus
        if let json = try? JSONValue(parsing: body), json["kind"].stringValue == "Status" {
            status = APIStatus(json: json, httpCode: code)
        } else {
            let text = excerpt(body)
            status = APIStatus(code: code, reason: reason(forCode: code), message: text.isEmpty ? "HTTP \(code)" : text)
        }
        if status.retryAfterSeconds == nil { status.retryAfterSeconds = retryAfter }
        return KubeAPIError.from(code: code, status: status, retryAfter: retryAfter)
    }

    /// The StatusReason kube-apiserver would have used for a bare HTTP code.
    static func reason(forCode code: Int) -> String {
        switch code {
        case 400: return "BadRequest"
        case 401: return "Unauthorized"
        case 403: return "Forbidden"
        case 404: return "NotFound"
        case 405: return "MethodNotAllowed"
        case 406: return "NotAcceptable"
        case 409: return "Conflict"
        case 410: return "Gone"
        case 413: return "RequestEntityTooLarge"
        case 415: return "UnsupportedMediaType"
        case 422: return "Invalid"
        case 429: return "TooManyRequests"
        case 500: return "InternalError"
        case 503: return "ServiceUnavailable"
        case 504: return "Timeout"
        default: return "Unknown"
        }
    }

    /// Sorts a failure without an HTTP answer into "never reached the server" (safe to
    /// retry for any verb), "TLS refused" (not worth retrying) and "lost on the way".
    func classify(_ error: any Error, _ r: APIRequest) -> RequestFailure {
        let what = "\(r.method) \(r.path)"
        if let e = error as? HTTPClientError {
            if e == .connectTimeout || e == .getConnectionFromPoolTimeout {
                return .notConnected("\(what): cannot connect to \(config.server): \(e)")
            }
            if e == .tlsHandshakeTimeout { return .notConnected("\(what): TLS handshake with \(config.server) timed out") }
            if e == .deadlineExceeded || e == .readTimeout { return .lostConnection("\(what): timed out") }
            return .lostConnection("\(what): \(e)")
        }
        if let e = error as? NIOSSLError {
            return .tlsFailed("\(what): TLS with \(config.server) failed: \(e)")
        }
        if let e = error as? IOError, [ECONNREFUSED, ENETUNREACH, EHOSTUNREACH].contains(e.errnoCode) {
            return .notConnected("\(what): cannot connect to \(config.server): \(e)")
        }
        let typeName = String(reflecting: type(of: error))
        if typeName.contains("NIOConnectionError") || typeName.contains("ConnectTimeout") {
            return .notConnected("\(what): cannot connect to \(config.server): \(error)")
        }
        if typeName.contains("BoringSSL") || typeName.contains("NIOSSL") {
            return .tlsFailed("\(what): TLS with \(config.server) failed: \(error)")
        }
        return .lostConnection("\(what): \(error)")
    }
}
