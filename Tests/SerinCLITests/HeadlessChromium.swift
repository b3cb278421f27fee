import Foundation
import KubeCore
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A real headless Chromium driven over the DevTools protocol on a pipe
/// (`--remote-debugging-pipe`: commands on fd 3, answers on fd 4, each JSON text ended by NUL).
/// Enough to open a page, read its DOM with script, click, and take a screenshot.
final class HeadlessChromium: Sendable {
    static let binary = "/usr/bin/chromium"
    static var available: Bool { FileManager.default.isExecutableFile(atPath: binary) }

    struct Failure: Error, CustomStringConvertible { var description: String }

    private let pid: pid_t
    private let commands: Int32
    private let answers: Int32
    private let profile: String
    private let state = Mutex(State())
    private let session: String

    private struct State {
        var nextID = 1
        var waiting: [Int: CheckedContinuation<JSONValue, any Error>] = [:]
        var closed = false
    }

    private init(pid: pid_t, commands: Int32, answers: Int32, profile: String, session: String) {
        self.pid = pid
        self.commands = commands
        self.answers = answers
        self.profile = profile
        self.session = session
    }

    /// Starts Chromium and opens one page (attached, flat session) of `width`×`height`.
    static func launch(width: Int = 1200, height: Int = 800) async throws -> HeadlessChromium {
        let profile = NSTemporaryDirectory() + "serin-chromium-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: profile, withIntermediateDirectories: true)
        var toChild: [Int32] = [0, 0], fromChild: [Int32] = [0, 0]
        guard pipe(&toChild) == 0, pipe(&fromChild) == 0 else { throw Failure(description: "pipe failed") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        // Move the child's ends out of the way first, so that dup2 onto 3 and 4 cannot clobber them.
        let childIn = fcntl(toChild[0], F_DUPFD, 100), childOut = fcntl(fromChild[1], F_DUPFD, 100)
        Glibc.close(toChild[0])
        Glibc.close(fromChild[1])
        posix_spawn_file_actions_adddup2(&actions, childIn, 3)
        posix_spawn_file_actions_adddup2(&actions, childOut, 4)
        posix_spawn_file_actions_addclose(&actions, toChild[1])
        posix_spawn_file_actions_addclose(&actions, fromChild[0])
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let args = [binary, "--headless", "--remote-debugging-pipe", "--no-sandbox", "--disable-gpu",
                    "--disable-dev-shm-usage", "--no-first-run", "--no-default-browser-check", "--disable-extensions",
                    "--disable-background-networking", "--user-data-dir=\(profile)", "--window-size=\(width),\(height)",
                    "about:blank"]
        var argv: [UnsafeMutablePointer<CChar>?] = args.map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, binary, &actions, nil, &argv, environ)
        Glibc.close(childIn)
        Glibc.close(childOut)
        guard rc == 0 else { throw Failure(description: "posix_spawn chromium: \(rc)") }
        let target = try Bootstrap(commands: toChild[1], answers: fromChild[0]).openPage(width: width, height: height)
        let browser = HeadlessChromium(pid: pid, commands: toChild[1], answers: fromChild[0], profile: profile, session: target)
        browser.startReading()
        return browser
    }

    /// The first exchange, before the reader thread runs: create a page and attach to it.
    private struct Bootstrap {
        let commands: Int32
        let answers: Int32
        func call(_ id: Int, _ method: String, _ params: JSONValue) throws -> JSONValue {
            try HeadlessChromium.write(commands, ["id": .int(Int64(id)), "method": .string(method), "params": params])
            var buffer: [UInt8] = []
            while true {
                for message in try HeadlessChromium.read(answers, into: &buffer) where message["id"].intValue == id {
                    if message["error"] != .null { throw Failure(description: "\(method): \(message["error"].serialized())") }
                    return message["result"]
                }
            }
        }
        func openPage(width: Int, height: Int) throws -> String {
            let target = try call(1, "Target.createTarget", ["url": "about:blank"])
            let attached = try call(2, "Target.attachToTarget", ["targetId": target["targetId"], "flatten": true])
            let session = attached["sessionId"].stringValue ?? ""
            try HeadlessChromium.write(commands, ["id": 3, "sessionId": .string(session), "method": "Emulation.setDeviceMetricsOverride",
                                                  "params": ["width": .int(Int64(width)), "height": .int(Int64(height)),
                                                             "deviceScaleFactor": 1, "mobile": false]])
            return session
        }
    }

    static func write(_ fd: Int32, _ message: JSONValue) throws {
        let bytes = message.serializedBytes() + [0]
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            guard n > 0 else { throw Failure(description: "the pipe to Chromium is closed") }
            sent += n
        }
    }

    /// Reads what is available (blocking until something is) and returns the whole messages.
    static func read(_ fd: Int32, into buffer: inout [UInt8]) throws -> [JSONValue] {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
        guard n > 0 else { throw Failure(description: "Chromium closed its pipe") }
        buffer += chunk[0..<n]
        var out: [JSONValue] = []
        while let end = buffer.firstIndex(of: 0) {
            let text = String(decoding: buffer[..<end], as: UTF8.self)
            buffer.removeSubrange(...end)
            if let json = try? JSONValue(parsing: text) { out.append(json) }
        }
        return out
    }

    /// Answers are read on a thread of their own: a blocking read must not hold a thread of
    /// the cooperative pool that the dashboard under test needs.
    private func startReading() {
        let fd = answers
        Thread.detachNewThread { [self] in
            var buffer: [UInt8] = []
            while true {
                guard let messages = try? Self.read(fd, into: &buffer) else { break }
                for m in messages {
                    guard let id = m["id"].intValue else { continue }
                    let waiter = state.withLock { $0.waiting.removeValue(forKey: id) }
                    if m["error"] != .null {
                        waiter?.resume(throwing: Failure(description: m["error"].serialized()))
                    } else {
                        waiter?.resume(returning: m["result"])
                    }
                }
            }
            let rest = state.withLock { s -> [CheckedContinuation<JSONValue, any Error>] in
                s.closed = true
                defer { s.waiting = [:] }
                return Array(s.waiting.values)
            }
            for w in rest { w.resume(throwing: Failure(description: "Chromium went away")) }
        }
    }

    /// Sends a command to the page's session and waits for its answer.
    func call(_ method: String, _ params: JSONValue = [:]) async throws -> JSONValue {
        try await withCheckedThrowingContinuation { c in
            let id: Int? = state.withLock { s in
                guard !s.closed else { return nil }
                let id = s.nextID + 100
                s.nextID += 1
                s.waiting[id] = c
                return id
            }
            guard let id else { return c.resume(throwing: Failure(description: "Chromium went away")) }
            do {
                try Self.write(commands, ["id": .int(Int64(id)), "sessionId": .string(session), "method": .string(method),
                                          "params": params])
            } catch {
                if let w = state.withLock({ $0.waiting.removeValue(forKey: id) }) { w.resume(throwing: error) }
            }
        }
    }

    func navigate(_ url: String) async throws {
        _ = try await call("Page.navigate", ["url": .string(url)])
    }

    /// The value of a script expression (awaited when it is a promise).
    func evaluate(_ expression: String) async throws -> JSONValue {
        let r = try await call("Runtime.evaluate", ["expression": .string(expression), "returnByValue": true, "awaitPromise": true])
        if r["exceptionDetails"] != .null { throw Failure(description: "script failed: \(r["exceptionDetails"].serialized())") }
        return r["result"]["value"]
    }

    /// Polls `expression` until it is true (or `timeout` passes); whether it became true.
    func waitFor(_ expression: String, timeout: Duration = .seconds(10)) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if (try? await evaluate("!!(\(expression))")) == .bool(true) { return true }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return false
    }

    /// A PNG of the page as shown.
    func screenshot() async throws -> Data {
        let r = try await call("Page.captureScreenshot", ["format": "png"])
        guard let b64 = r["data"].stringValue, let data = Data(base64Encoded: b64) else {
            throw Failure(description: "no screenshot data")
        }
        return data
    }

    func close() {
        kill(pid, SIGTERM)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        Glibc.close(commands)
        Glibc.close(answers)
        try? FileManager.default.removeItem(atPath: profile)
    }
}
