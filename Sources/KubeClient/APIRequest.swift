import NIOHTTP1

/// One request to the API server, before auth and retries.
struct APIRequest: Sendable {
    /// Kubernetes verb for metrics and logs: get, list, watch, create, update, patch, delete.
    var verb: String
    var method: HTTPMethod
    var path: String
    var query = QueryItems()
    var body: [UInt8]? = nil
    var contentType: String? = nil
    /// Safe to send again after a 5xx or a connection lost mid-request (see `RetryPolicy`).
    var repeatable: Bool

    func url(base: String) -> String {
        let q = query.encoded
        return q.isEmpty ? base + path : base + path + "?" + q
    }
}

/// Query parameters in order, percent-encoded on output.
struct QueryItems: Sendable {
    private(set) var items: [(name: String, value: String)] = []

    mutating func add(_ name: String, _ value: String?) {
        if let value { items.append((name, value)) }
    }

    var encoded: String {
        items.map { "\(Self.escape($0.name))=\(Self.escape($0.value))" }.joined(separator: "&")
    }

    /// RFC 3986 unreserved characters stay; everything else (`=`, `,`, `!`, spaces in
    /// selectors, `+`, `/` in continue tokens) is percent-encoded.
    static func escape(_ s: String) -> String {
        var out = ""
        for byte in s.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = String(byte, radix: 16, uppercase: true)
                out += "%" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return out
    }
}
