import Foundation
import KubeCore
import KubeTestServer
import Synchronization
import SerinTestSupport

/// Starts a TestAPIServer for a test and talks to it over real HTTP(S) with /usr/bin/curl,
/// so that status codes, headers and bodies are exactly what a client sees on the wire.
struct ServerHarness: Sendable {
    let server: TestAPIServer
    let caFile: String

    struct Response: Sendable {
        var status: Int
        var headers: [String: String]
        var raw: String
        /// Every `Warning` header, in order (the `headers` map keeps only the last).
        var warnings: [String] = []
        var json: JSONValue { (try? JSONValue(parsing: raw)) ?? .null }
    }

    static func start(_ configure: (inout TestAPIServer.Options) -> Void = { _ in }) async throws -> ServerHarness {
        var options = TestAPIServer.Options()
        options.simulateWorkloads = false
        configure(&options)
        let server = try await TestAPIServer.start(options)
        let caFile = NSTemporaryDirectory() + "serin-ca-\(UUID().uuidString).pem"
        try server.caCertificatePEM.write(toFile: caFile, atomically: true, encoding: .utf8)
        return ServerHarness(server: server, caFile: caFile)
    }

    func stop() async throws {
        try await server.stop()
        try? FileManager.default.removeItem(atPath: caFile)
    }

    /// Runs `body` against a fresh server and always stops it.
    static func with<T: Sendable>(
        _ configure: (inout TestAPIServer.Options) -> Void = { _ in }, _ body: (ServerHarness) async throws -> T
    ) async throws -> T {
        let h = try await start(configure)
        do {
            let v = try await body(h)
            try await h.stop()
            return v
        } catch {
            try? await h.stop()
            throw error
        }
    }

    func curlArguments(_ method: String, _ path: String, headers: [String: String], token: String?) -> [String] {
        var args = ["-sS", "--http1.1", "--max-time", "20", "-X", method]
        if !server.caCertificatePEM.isEmpty { args += ["--cacert", caFile] }
        if let t = token ?? server.token as String?, !t.isEmpty { args += ["-H", "Authorization: Bearer \(t)"] }
        for (k, v) in headers { args += ["-H", "\(k): \(v)"] }
        args.append(server.url + path)
        return args
    }

    /// One request; `token: ""` sends none, nil sends the server's.
    func request(
        _ method: String, _ path: String, body: JSONValue? = nil, rawBody: String? = nil,
        contentType: String = "application/json", headers: [String: String] = [:], token: String? = nil
    ) async throws -> Response {
        var h = headers
        let payload = rawBody ?? body?.serialized()
        if payload != nil { h["Content-Type"] = contentType }
        var args = ["-i"] + curlArguments(method, path, headers: h, token: token)
        if payload != nil { args.insert(contentsOf: ["--data-binary", "@-"], at: 0) }
        let out = try await runCurl(args, stdin: payload)
        return Self.parse(out)
    }

    func get(_ path: String, headers: [String: String] = [:]) async throws -> Response { try await request("GET", path, headers: headers) }
    func post(_ path: String, _ body: JSONValue) async throws -> Response { try await request("POST", path, body: body) }
    func put(_ path: String, _ body: JSONValue) async throws -> Response { try await request("PUT", path, body: body) }
    func delete(_ path: String, _ body: JSONValue? = nil) async throws -> Response { try await request("DELETE", path, body: body) }
    func patch(_ path: String, _ body: JSONValue, type: String = "application/merge-patch+json") async throws -> Response {
        try await request("PATCH", path, body: body, contentType: type)
    }

    static func parse(_ out: String) -> Response {
        // Skip interim responses (100 Continue) and find the last header block.
        var text = Substring(out)
        var status = 0
        var headers: [String: String] = [:]
        var warnings: [String] = []
        while text.hasPrefix("HTTP/") {
            guard let end = text.range(of: "\r\n\r\n") else { break }
            let head = text[..<end.lowerBound].components(separatedBy: "\r\n")
            status = Int(head[0].split(separator: " ")[1]) ?? 0
            headers = [:]
            warnings = []
            for line in head.dropFirst() {
                if let colon = line.firstIndex(of: ":") {
                    let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                    headers[line[..<colon].lowercased()] = value
                    if line[..<colon].lowercased() == "warning" { warnings.append(value) }
                }
            }
            text = text[end.upperBound...]
        }
        return Response(status: status, headers: headers, raw: String(text), warnings: warnings)
    }

    /// Opens a streaming watch with curl; read events with `next(within:)`.
    func watch(_ path: String, headers: [String: String] = [:]) throws -> WatchReader {
        try WatchReader(args: ["-N"] + curlArguments("GET", path, headers: headers, token: nil))
    }
}

/// Newline-delimited watch events read from a running curl (polled queue, so a timed-out
/// wait does not end the stream).
final class WatchReader: Sendable {
    private struct Queue {
        var buffer: [UInt8] = []
        var lines: [String] = []
        var ended = false
    }
    private let process: Process
    private final class Box: Sendable {
        let m = Mutex(Queue())
        func withLock<T: Sendable>(_ body: (inout Queue) -> T) -> T { m.withLock { body(&$0) } }
    }
    private let queue = Box()

    init(args: [String]) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        p.arguments = args
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = FileHandle.nullDevice
        process = p
        let queue = self.queue
        pipe.fileHandleForReading.readabilityHandler = { fh in
            let data = fh.availableData
            queue.withLock { q in
                if data.isEmpty {
                    q.ended = true
                    fh.readabilityHandler = nil
                    return
                }
                q.buffer += data
                while let nl = q.buffer.firstIndex(of: UInt8(ascii: "\n")) {
                    let line = String(decoding: q.buffer[..<nl], as: UTF8.self)
                    q.buffer.removeSubrange(...nl)
                    if !line.isEmpty { q.lines.append(line) }
                }
            }
        }
        try p.run()
    }

    /// True once the server ended the response (and every line was read).
    var ended: Bool { queue.withLock { $0.ended && $0.lines.isEmpty } }

    /// The next event, or nil when the stream ended or nothing came within the deadline.
    func next(within timeout: Duration = .seconds(5)) async -> WatchEvent? {
        let deadline = ContinuousClock.now + timeout
        while true {
            let (line, ended): (String?, Bool) = queue.withLock { q in
                q.lines.isEmpty ? (nil, q.ended) : (q.lines.removeFirst(), false)
            }
            if let line {
                guard let json = try? JSONValue(parsing: line),
                    let type = json["type"].stringValue.flatMap(WatchEventType.init(rawValue:))
                else { return nil }
                return WatchEvent(type: type, object: json["object"])
            }
            if ended || ContinuousClock.now >= deadline { return nil }
            try? await Task.sleep(for: .milliseconds(10))
        }
    }

    /// Events until one satisfies `match`, or nil at the deadline or end of stream.
    func next(matching match: (WatchEvent) -> Bool, within timeout: Duration = .seconds(5)) async -> WatchEvent? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            guard let e = await next(within: deadline - ContinuousClock.now) else { return nil }
            if match(e) { return e }
        }
        return nil
    }

    /// Waits until the server ends the response; false at the deadline.
    func waitForEnd(within timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            // curl exits once the server ends the response; EOF on the pipe may come later.
            if queue.withLock({ $0.ended }) || !process.isRunning { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return false
    }

    func stop() {
        if process.isRunning { process.terminate() }
    }

    deinit { stop() }
}
