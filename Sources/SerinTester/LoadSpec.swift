import Analysis

/// A bounded HTTP load run, from a `hey` command line (`hey -z 5m -q 10 -c 2 URL`) or from
/// `type: load` metadata (`url`, `duration`, `rate`, `concurrency`).
public struct LoadSpec: Sendable, Hashable {
    public var url: String
    /// Seconds.
    public var duration: Double
    /// Requests per second, all workers together.
    public var rate: Double
    public var concurrency: Int
    /// Per-request timeout, seconds.
    public var requestTimeout: Double

    /// Ceilings that keep a webhook from turning the tester into a flood.
    public static let maxConcurrency = 64
    public static let maxRate = 1000.0

    public struct ParseError: Error, Sendable, Hashable, CustomStringConvertible {
        public var description: String
        public init(description: String) { self.description = description }
    }

    public init(url: String, duration: Double, rate: Double, concurrency: Int, requestTimeout: Double = 20) {
        self.url = url
        self.duration = duration
        self.rate = rate
        self.concurrency = concurrency
        self.requestTimeout = requestTimeout
    }

    /// `hey` flags: `-z` duration, `-q` rate per worker, `-c` workers, `-n` requests (when
    /// there is no `-z`), `-t` request timeout in seconds, `-m GET`. Other flags (methods with
    /// bodies, headers) are refused rather than silently ignored.
    public static func hey(_ argv: [String], maxDuration: Double) throws(ParseError) -> LoadSpec {
        guard argv.first == "hey" else { throw ParseError(description: "not a hey command") }
        var duration: Double?
        var perWorker: Double?
        var workers = 50  // hey's default
        var requests: Int?
        var timeout = 20.0
        var url: String?
        var args = argv.dropFirst()
        func value(_ flag: String) throws(ParseError) -> String {
            guard let v = args.popFirst() else { throw ParseError(description: "hey \(flag) needs a value") }
            return v
        }
        while let a = args.popFirst() {
            switch a {
            case "-z":
                let v = try value(a)
                guard let s = TesterDuration.seconds(v), s > 0 else { throw ParseError(description: "hey -z \(v) is not a duration") }
                duration = s
            case "-q":
                let v = try value(a)
                guard let q = Double(v), q > 0 else { throw ParseError(description: "hey -q \(v) is not a positive rate") }
                perWorker = q
            case "-c":
                let v = try value(a)
                guard let c = Int(v), c > 0 else { throw ParseError(description: "hey -c \(v) is not a positive count") }
                workers = c
            case "-n":
                let v = try value(a)
                guard let n = Int(v), n > 0 else { throw ParseError(description: "hey -n \(v) is not a positive count") }
                requests = n
            case "-t":
                let v = try value(a)
                guard let t = Double(v), t >= 0 else { throw ParseError(description: "hey -t \(v) is not seconds") }
                timeout = t == 0 ? 20 : t
            case "-m":
                let v = try value(a)
                guard v.uppercased() == "GET" else {
                    throw ParseError(description: "hey -m \(v): the built-in load generator sends GET only")
                }
            default:
                if a.hasPrefix("-") { throw ParseError(description: "hey \(a) is not supported by the built-in load generator") }
                guard url == nil else { throw ParseError(description: "hey takes one URL, got \(url ?? "") and \(a)") }
                url = a
            }
        }
        guard let url, url.hasPrefix("http://") || url.hasPrefix("https://") else {
            throw ParseError(description: "hey needs an http(s) URL as its last argument")
        }
        let concurrency = min(workers, maxConcurrency)
        // hey without -q sends as fast as it can; the built-in generator needs a rate, so it
        // uses its ceiling.
        let rate = min(perWorker.map { $0 * Double(workers) } ?? maxRate, maxRate)
        let seconds: Double
        if let duration {
            seconds = duration
        } else {
            seconds = Double(requests ?? 200) / rate  // hey's default: 200 requests
        }
        return LoadSpec(url: url, duration: min(seconds, maxDuration), rate: rate, concurrency: concurrency,
                        requestTimeout: timeout)
    }

    /// `type: load` metadata: `url` (required), `duration` (default 1m), `rate` (default 10/s),
    /// `concurrency` (default 2).
    public static func metadata(_ m: [String: String], maxDuration: Double) throws(ParseError) -> LoadSpec {
        guard let url = m["url"], url.hasPrefix("http://") || url.hasPrefix("https://") else {
            throw ParseError(description: "type load needs metadata.url (an http(s) URL) or a hey command in metadata.cmd")
        }
        let duration = try m["duration"].map { (v: String) throws(ParseError) -> Double in
            guard let s = TesterDuration.seconds(v), s > 0 else { throw ParseError(description: "duration \(v) is not a duration") }
            return s
        } ?? 60
        let rate = try m["rate"].map { (v: String) throws(ParseError) -> Double in
            guard let r = Double(v), r > 0 else { throw ParseError(description: "rate \(v) is not a positive number") }
            return r
        } ?? 10
        let concurrency = try m["concurrency"].map { (v: String) throws(ParseError) -> Int in
            guard let c = Int(v), c > 0 else { throw ParseError(description: "concurrency \(v) is not a positive count") }
            return c
        } ?? 2
        return LoadSpec(url: url, duration: min(duration, maxDuration), rate: min(rate, maxRate),
                        concurrency: min(concurrency, maxConcurrency))
    }

    public func run() async throws -> LoadGenerator.Stats {
        try await LoadGenerator(urls: [url], rate: rate, concurrency: concurrency, duration: duration,
                                requestTimeout: requestTimeout).run()
    }
}
