/// An API failure as a value: the `Status` body kube-apiserver returns, decoded into the
/// cases a controller acts on differently.
public enum KubeAPIError: Error, Sendable, CustomStringConvertible {
    case notFound(APIStatus)
    case alreadyExists(APIStatus)
    case conflict(APIStatus)
    /// 422 with field causes (`spec.replicas: Invalid value …`).
    case invalid(APIStatus)
    case badRequest(APIStatus)
    /// 410: the requested resourceVersion is older than the server's history.
    case gone(APIStatus)
    case tooManyRequests(APIStatus, retryAfterSeconds: Int?)
    case unauthorized(APIStatus)
    case forbidden(APIStatus)
    case methodNotAllowed(APIStatus)
    case unsupportedMediaType(APIStatus)
    case serverError(APIStatus)
    /// No HTTP answer: connection refused, reset, TLS failure, timeout.
    case transport(String)

    /// Maps an HTTP status code and Status body to a case.
    public static func from(code: Int, status: APIStatus, retryAfter: Int? = nil) -> KubeAPIError {
        switch code {
        case 400: return .badRequest(status)
        case 401: return .unauthorized(status)
        case 403: return .forbidden(status)
        case 404: return .notFound(status)
        case 405: return .methodNotAllowed(status)
        case 409: return status.reason == "AlreadyExists" ? .alreadyExists(status) : .conflict(status)
        case 410: return .gone(status)
        case 415: return .unsupportedMediaType(status)
        case 422: return .invalid(status)
        case 429: return .tooManyRequests(status, retryAfterSeconds: retryAfter ?? status.retryAfterSeconds)
        default: return .serverError(status)
        }
    }

    public var status: APIStatus? {
        switch self {
        case .notFound(let s), .alreadyExists(let s), .conflict(let s), .invalid(let s), .badRequest(let s),
            .gone(let s), .unauthorized(let s), .forbidden(let s), .methodNotAllowed(let s),
            .unsupportedMediaType(let s), .serverError(let s), .tooManyRequests(let s, _):
            return s
        case .transport: return nil
        }
    }

    public var code: Int? { status?.code }

    public var isNotFound: Bool { if case .notFound = self { return true } else { return false } }
    public var isConflict: Bool { if case .conflict = self { return true } else { return false } }
    public var isAlreadyExists: Bool { if case .alreadyExists = self { return true } else { return false } }
    public var isGone: Bool { if case .gone = self { return true } else { return false } }

    /// Worth retrying an idempotent request: 429, 5xx, transport failures.
    public var isRetriable: Bool {
        switch self {
        case .tooManyRequests, .serverError, .transport: return true
        default: return false
        }
    }

    public var description: String {
        switch self {
        case .transport(let m): return "transport error: \(m)"
        default:
            let s = status!
            return "\(s.code) \(s.reason): \(s.message)"
        }
    }
}

/// `meta/v1 Status`.
public struct APIStatus: Sendable, Hashable {
    public struct Cause: Sendable, Hashable {
        public var type: String
        public var message: String
        public var field: String
        public init(type: String, message: String, field: String) {
            self.type = type
            self.message = message
            self.field = field
        }
    }

    public var code: Int
    public var reason: String
    public var message: String
    public var causes: [Cause]
    public var retryAfterSeconds: Int?
    public var details: JSONValue

    public init(code: Int, reason: String, message: String, causes: [Cause] = [], retryAfterSeconds: Int? = nil, details: JSONValue = .null) {
        self.code = code
        self.reason = reason
        self.message = message
        self.causes = causes
        self.retryAfterSeconds = retryAfterSeconds
        self.details = details
    }

    /// Reads a Status object; anything else becomes a status with the code and the body's start as message.
    public init(json: JSONValue, httpCode: Int) {
        code = json["code"].intValue ?? httpCode
        reason = json["reason"].stringValue ?? "Unknown"
        message = json["message"].stringValue ?? ""
        details = json["details"]
        retryAfterSeconds = json["details"]["retryAfterSeconds"].intValue
        causes = (json["details"]["causes"].arrayValue ?? []).map {
            Cause(type: $0["reason"].stringValue ?? "", message: $0["message"].stringValue ?? "", field: $0["field"].stringValue ?? "")
        }
    }

    /// The Status object as kube-apiserver writes it.
    public var json: JSONValue {
        var o: JSONValue = [
            "kind": "Status", "apiVersion": "v1", "metadata": [:], "status": "Failure",
            "message": .string(message), "reason": .string(reason), "code": .int(Int64(code)),
        ]
        var d = details.isNull ? JSONValue.object([:]) : details
        if !causes.isEmpty {
            d["causes"] = .array(causes.map { ["reason": .string($0.type), "message": .string($0.message), "field": .string($0.field)] })
        }
        if let r = retryAfterSeconds { d["retryAfterSeconds"] = .int(Int64(r)) }
        if d.objectValue?.isEmpty == false { o["details"] = d }
        return o
    }
}
