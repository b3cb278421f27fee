import Foundation

/// Background work the tester runs for webhooks (`cmd` commands, load runs): one at a time
/// per canary and command, as Flagger's task runner does, so that a `rollout` webhook called
/// every interval does not stack up copies of a five-minute load test. Also bounds how many
/// commands run at once, blocking ones included.
public actor TaskRegistry {
    public struct Info: Sendable, Hashable, Codable {
        public var id: Int
        /// `name.namespace`.
        public var canary: String
        /// `cmd`, `bash` or `load`.
        public var kind: String
        public var command: String
        /// `running`, `succeeded` or `failed`.
        public var state: String
        public var startedAt: Date
        public var finishedAt: Date?
        /// How it ended ("exit status 0", "1200 requests: 200×1200").
        public var result: String?
        /// Load runs: answers by status code, and requests with no answer.
        public var statuses: [String: Int]?
        public var errors: Int?
    }

    public let limit: Int
    private var nextID = 1
    private var running: [String: Info] = [:]
    private var finished: [Info] = []
    private var reserved = 0

    public init(limit: Int = 32) { self.limit = limit }

    /// Claims one of the `limit` slots for a blocking command; false when all are taken.
    func reserve() -> Bool {
        guard reserved + running.count < limit else { return false }
        reserved += 1
        return true
    }

    func release() { reserved = max(0, reserved - 1) }

    public enum StartResult: Sendable, Equatable {
        case started(Int)
        case alreadyRunning(Int)
        case busy
    }

    /// Starts `work` in the background unless the same key is still running.
    func start(key: String, canary: String, kind: String, command: String,
               work: @escaping @Sendable () async -> (ok: Bool, result: String, statuses: [String: Int]?, errors: Int?))
        -> StartResult {
        if let r = running[key] { return .alreadyRunning(r.id) }
        guard reserved + running.count < limit else { return .busy }
        let id = nextID
        nextID += 1
        running[key] = Info(id: id, canary: canary, kind: kind, command: command, state: "running", startedAt: Date())
        Task {
            let outcome = await work()
            self.finish(key: key, ok: outcome.ok, result: outcome.result, statuses: outcome.statuses, errors: outcome.errors)
        }
        return .started(id)
    }

    private func finish(key: String, ok: Bool, result: String, statuses: [String: Int]?, errors: Int?) {
        guard var info = running.removeValue(forKey: key) else { return }
        info.state = ok ? "succeeded" : "failed"
        info.finishedAt = Date()
        info.result = result
        info.statuses = statuses
        info.errors = errors
        finished.append(info)
        if finished.count > 100 { finished.removeFirst(finished.count - 100) }
    }

    /// Running tasks first, then the last hundred finished ones, newest last.
    public func list() -> [Info] {
        running.values.sorted { $0.id < $1.id } + finished
    }

    public func info(_ id: Int) -> Info? {
        running.values.first { $0.id == id } ?? finished.last { $0.id == id }
    }
}
