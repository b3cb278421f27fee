/// One HTTP request as the tester's routes see it.
public struct TesterRequest: Sendable {
    public var method: String
    /// Without the query string.
    public var path: String
    public var body: [UInt8]

    public init(method: String, path: String, body: [UInt8] = []) {
        self.method = method
        self.path = path
        self.body = body
    }
}

public struct TesterResponse: Sendable, Hashable {
    public var status: Int
    public var contentType: String
    public var body: [UInt8]

    public init(_ status: Int, _ text: String, contentType: String = "text/plain; charset=utf-8") {
        self.status = status
        self.contentType = contentType
        self.body = Array(text.utf8)
    }

    public var text: String { String(decoding: body, as: UTF8.self) }
}

/// The body Serin (and Flagger) POSTs to webhooks.
public struct WebhookCall: Sendable, Hashable, Decodable {
    public var name: String
    public var namespace: String
    public var phase: String?
    public var checksum: String?
    public var metadata: [String: String]?

    public var canary: String { "\(name).\(namespace)" }
}
