import KubeCore

/// Status errors worded as kube-apiserver words them.
enum APIErrors {
    static func details(_ r: ServedResource, name: String, kind: String? = nil) -> JSONValue {
        var d: JSONValue = ["name": .string(name), "kind": .string(kind ?? r.type.plural)]
        if !r.type.group.isEmpty { d["group"] = .string(r.type.group) }
        return d
    }

    static func notFound(_ r: ServedResource, _ name: String) -> KubeAPIError {
        .notFound(APIStatus(code: 404, reason: "NotFound", message: "\(r.groupResource) \"\(name)\" not found", details: details(r, name: name)))
    }

    static func namespaceNotFound(_ ns: String) -> KubeAPIError {
        .notFound(APIStatus(code: 404, reason: "NotFound", message: "namespaces \"\(ns)\" not found", details: ["name": .string(ns), "kind": "namespaces"]))
    }

    static func alreadyExists(_ r: ServedResource, _ name: String) -> KubeAPIError {
        .alreadyExists(APIStatus(code: 409, reason: "AlreadyExists", message: "\(r.groupResource) \"\(name)\" already exists", details: details(r, name: name)))
    }

    static func conflict(_ r: ServedResource, _ name: String, _ why: String) -> KubeAPIError {
        .conflict(APIStatus(code: 409, reason: "Conflict", message: "Operation cannot be fulfilled on \(r.groupResource) \"\(name)\": \(why)", details: details(r, name: name)))
    }

    static func staleConflict(_ r: ServedResource, _ name: String) -> KubeAPIError {
        conflict(r, name, "the object has been modified; please apply your changes to the latest version and try again")
    }

    static func invalid(_ r: ServedResource, _ name: String, _ causes: [APIStatus.Cause]) -> KubeAPIError {
        let list = causes.map { "\($0.field): \($0.message)" }
        let joined = list.count == 1 ? list[0] : "[" + list.joined(separator: ", ") + "]"
        return .invalid(APIStatus(
            code: 422, reason: "Invalid", message: "\(r.groupKind) \"\(name)\" is invalid: \(joined)", causes: causes,
            details: details(r, name: name, kind: r.type.kind)))
    }

    static func invalidValue(_ field: String, _ value: String, _ why: String) -> APIStatus.Cause {
        APIStatus.Cause(type: "FieldValueInvalid", message: "Invalid value: \"\(value)\": \(why)", field: field)
    }

    static func required(_ field: String, _ why: String) -> APIStatus.Cause {
        APIStatus.Cause(type: "FieldValueRequired", message: why.isEmpty ? "Required value" : "Required value: \(why)", field: field)
    }

    static func badRequest(_ message: String) -> KubeAPIError {
        .badRequest(APIStatus(code: 400, reason: "BadRequest", message: message))
    }

    static func methodNotAllowed() -> KubeAPIError {
        .methodNotAllowed(APIStatus(code: 405, reason: "MethodNotAllowed", message: "the server does not allow this method on the requested resource"))
    }

    static func unsupportedMediaType(_ message: String) -> KubeAPIError {
        .unsupportedMediaType(APIStatus(code: 415, reason: "UnsupportedMediaType", message: message))
    }

    static func gone(_ message: String) -> KubeAPIError {
        .gone(APIStatus(code: 410, reason: "Expired", message: message))
    }

    static func internalError(_ message: String) -> KubeAPIError {
        .serverError(APIStatus(code: 500, reason: "InternalError", message: "Internal error occurred: \(message)", details: ["causes": [["message": .string(message)]]]))
    }

    static func unauthorized() -> KubeAPIError {
        .unauthorized(APIStatus(code: 401, reason: "Unauthorized", message: "Unauthorized"))
    }

    static func pathNotFound(_ path: String) -> KubeAPIError {
        .notFound(APIStatus(code: 404, reason: "NotFound", message: "the server could not find the requested resource", details: ["causes": [["reason": "UnexpectedServerResponse", "message": "404 page not found"]]]))
    }

    /// The Status kube-apiserver sends for an injected fault code.
    static func fault(code: Int, retryAfter: Int?, resource: String, name: String?) -> KubeAPIError {
        switch code {
        case 409:
            return .conflict(APIStatus(code: 409, reason: "Conflict", message: "Operation cannot be fulfilled on \(resource) \"\(name ?? "")\": the object has been modified; please apply your changes to the latest version and try again"))
        case 429:
            return .tooManyRequests(APIStatus(code: 429, reason: "TooManyRequests", message: "the server has received too many requests and has asked us to try again later", retryAfterSeconds: retryAfter), retryAfterSeconds: retryAfter)
        case 503:
            return .serverError(APIStatus(code: 503, reason: "ServiceUnavailable", message: "the server is currently unable to handle the request", retryAfterSeconds: retryAfter))
        case 504:
            return .serverError(APIStatus(code: 504, reason: "Timeout", message: "the server was unable to return a response in the time allotted, but may still be processing the request"))
        case 500:
            return .serverError(APIStatus(code: 500, reason: "InternalError", message: "an error on the server (\"injected fault\") has prevented the request from succeeding"))
        default:
            return KubeAPIError.from(code: code, status: APIStatus(code: code, reason: "Unknown", message: "injected fault \(code)"), retryAfter: retryAfter)
        }
    }
}
