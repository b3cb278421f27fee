import KubeCore

/// When and how long to retry a failed request.
///
/// What is retried:
/// - 429 Too Many Requests: every verb. The server (priority and fairness, or a proxy)
///   rejected the request before acting on it, so a replay cannot apply it twice.
/// - a connection that could not be opened (refused, connect/TLS-handshake timeout):
///   every verb, for the same reason.
/// - 5xx (except 501/505) and a connection lost after the request was sent: only for
///   requests that can be repeated without a second effect: GET, LIST, DELETE, a PUT
///   that carries `metadata.resourceVersion` (a replay after success gets 409, never a
///   silent overwrite), and merge / strategic-merge PATCH (applying the same merge patch
///   twice gives the same object). POST, a PUT without resourceVersion and JSON PATCH
///   (`add` to `/-` appends twice) are not retried then: the caller sees the error and
///   decides, usually by re-reading.
///
/// Delays grow exponentially from `baseDelay` with jitter (a random point in the upper
/// half, so many clients do not retry in lock-step), capped by `maxDelay`; a
/// `Retry-After` from the server replaces the computed delay. At most `maxAttempts`
/// attempts, and no retry that would end after `maxTotal` since the first attempt.
public struct RetryPolicy: Sendable, Hashable {
    public var maxAttempts: Int
    public var baseDelay: Duration
    public var maxDelay: Duration
    public var maxTotal: Duration

    public init(
        maxAttempts: Int = 5, baseDelay: Duration = .milliseconds(200), maxDelay: Duration = .seconds(10),
        maxTotal: Duration = .seconds(60)
    ) {
        self.maxAttempts = max(1, maxAttempts)
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.maxTotal = maxTotal
    }

    public static let `default` = RetryPolicy()
    /// One attempt, no retries.
    public static let never = RetryPolicy(maxAttempts: 1)

    /// Whether a request of this kind may be sent again after this failure.
    public static func isRetriable(_ failure: RequestFailure, repeatable: Bool) -> Bool {
        switch failure {
        case .notConnected: return true
        case .tlsFailed: return false
        case .lostConnection: return repeatable
        case .api(let e):
            switch e {
            case .tooManyRequests: return true
            case .serverError(let s): return repeatable && s.code >= 500 && s.code != 501 && s.code != 505
            default: return false
            }
        }
    }

    /// Delay before attempt `attempt + 1`, after `attempt` failed attempts (1-based).
    public func delay(afterAttempt attempt: Int, retryAfterSeconds: Int?) -> Duration {
        if let r = retryAfterSeconds, r >= 0 { return .seconds(r) }
        var d = baseDelay
        for _ in 1..<max(1, attempt) {
            d = d * 2
            if d >= maxDelay { break }
        }
        d = min(d, maxDelay)
        // "Equal jitter": somewhere between half and the full delay.
        let ms = Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15
        return .milliseconds(Int64(ms / 2 + Double.random(in: 0...(ms / 2))))
    }
}

/// A failed attempt, classified for the retry decision.
public enum RequestFailure: Error, Sendable {
    /// The connection was never established: nothing reached the server.
    case notConnected(String)
    /// The TLS handshake was refused (unknown CA, bad client certificate): retrying will not help.
    case tlsFailed(String)
    /// The connection broke or timed out after the request may have been sent.
    case lostConnection(String)
    /// The server answered with a non-2xx status.
    case api(KubeAPIError)

    public var error: KubeAPIError {
        switch self {
        case .notConnected(let m), .tlsFailed(let m), .lostConnection(let m): return .transport(m)
        case .api(let e): return e
        }
    }

    var retryAfterSeconds: Int? {
        if case .api(let e) = self {
            if case .tooManyRequests(_, let r) = e { return r }
            return e.status?.retryAfterSeconds
        }
        return nil
    }
}
