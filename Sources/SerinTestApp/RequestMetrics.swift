import Foundation

/// The request counter and latency histogram the test application exports, with the
/// Prometheus text exposition written by hand (format version 0.0.4).
public final class RequestMetrics: @unchecked Sendable {
    /// Upper bounds in seconds; +Inf is implicit.
    public static let buckets: [Double] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 10]

    public let service: String
    private let lock = NSLock()
    private var requests: [Int: Int] = [:]
    private var bucketCounts: [Int]
    private var sum = 0.0
    private var count = 0

    public init(service: String) {
        self.service = service
        self.bucketCounts = Array(repeating: 0, count: Self.buckets.count)
    }

    public func observe(status: Int, seconds: Double) {
        lock.lock()
        defer { lock.unlock() }
        requests[status, default: 0] += 1
        for (i, le) in Self.buckets.enumerated() where seconds <= le { bucketCounts[i] += 1 }
        sum += seconds
        count += 1
    }

    /// Requests served so far by status code.
    public var requestCounts: [Int: Int] {
        lock.lock()
        defer { lock.unlock() }
        return requests
    }

    /// The `/metrics` body.
    public func exposition() -> String {
        lock.lock()
        let reqs = requests, buckets = bucketCounts, s = sum, c = count
        lock.unlock()
        let svc = Self.escape(service)
        var out = "# HELP http_requests_total Requests served, by status code.\n# TYPE http_requests_total counter\n"
        for (status, n) in reqs.sorted(by: { $0.key < $1.key }) {
            out += "http_requests_total{service=\"\(svc)\",status=\"\(status)\"} \(n)\n"
        }
        out += "# HELP http_request_duration_seconds Request latency.\n# TYPE http_request_duration_seconds histogram\n"
        for (i, le) in Self.buckets.enumerated() {
            out += "http_request_duration_seconds_bucket{service=\"\(svc)\",le=\"\(Self.format(le))\"} \(buckets[i])\n"
        }
        out += "http_request_duration_seconds_bucket{service=\"\(svc)\",le=\"+Inf\"} \(c)\n"
        out += "http_request_duration_seconds_sum{service=\"\(svc)\"} \(Self.format(s))\n"
        out += "http_request_duration_seconds_count{service=\"\(svc)\"} \(c)\n"
        return out
    }

    static func format(_ v: Double) -> String {
        v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : String(v)
    }

    /// Label values escape backslash, double quote and newline.
    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
    }
}
