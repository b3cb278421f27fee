import Foundation
import Logging

/// Flagger's loadtester, in Serin: runs tests and load for Canary webhooks, and keeps manual
/// gates for the confirm-* and rollback webhooks.
///
/// Routes:
/// - `POST /` (any other path): a webhook; `metadata.type` says what to do:
///   - `bash`: `metadata.cmd` through `/bin/bash -c`, waited for; 200, or 500 with the reason.
///   - `cmd` (the default): `metadata.cmd` split into argv (quotes honoured) and run without a
///     shell, in the background (202; one at a time per canary and command), or waited for
///     when `metadata.blocking` is `true`.
///   - `load`, or a `cmd` that is a `hey` command line: the built-in load generator, in the
///     background (202).
///   Every command is killed with its process group after `metadata.timeout` (default the
///   server's `--timeout`); output is capped, logged when `metadata.logCmdOutput` is true
///   (always for bash) and returned when `metadata.returnCmdOutput` is true.
/// - `POST /gate/approve` (always 200), `/gate/halt` (always 403), `/gate/check` (200 when the
///   canary's gate is open, else 403), `/gate/open`, `/gate/close` (202).
/// - `POST /rollback/check|open|close`: the same for a `rollback` webhook.
/// - `GET /tasks`: background tasks as JSON; `GET /healthz`.
public final class Tester: Sendable {
    public let options: TesterOptions
    public let gates = GateStore()
    public let tasks: TaskRegistry

    public init(options: TesterOptions) {
        self.options = options
        tasks = TaskRegistry(limit: options.maxTasks)
    }

    var logger: Logger { options.logger }

    public func handle(_ request: TesterRequest) async -> TesterResponse {
        switch (request.method, request.path) {
        case ("GET", "/healthz"):
            return TesterResponse(200, "OK")
        case ("GET", "/tasks"):
            let list = await tasks.list()
            let encoder = JSONEncoder()
            encoder.dateEncodingStrategy = .iso8601
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            let data = (try? encoder.encode(list)) ?? Data("[]".utf8)
            return TesterResponse(200, String(decoding: data, as: UTF8.self), contentType: "application/json")
        case ("POST", "/gate/approve"):
            return TesterResponse(200, "Approved")
        case ("POST", "/gate/halt"):
            return TesterResponse(403, "Forbidden")
        case ("POST", "/gate/check"), ("POST", "/gate/open"), ("POST", "/gate/close"),
             ("POST", "/rollback/check"), ("POST", "/rollback/open"), ("POST", "/rollback/close"):
            return gate(request)
        case ("POST", _):
            return await webhook(request)
        default:
            return TesterResponse(405, "\(request.method) \(request.path) is not served; webhooks are POSTs")
        }
    }

    // MARK: - Gates

    func gate(_ request: TesterRequest) -> TesterResponse {
        let call: WebhookCall
        switch decode(request.body) {
        case .success(let c): call = c
        case .failure(let e): return e.response
        }
        let rollback = request.path.hasPrefix("/rollback/")
        let key = rollback ? GateStore.rollbackKey(name: call.name, namespace: call.namespace)
            : GateStore.key(name: call.name, namespace: call.namespace)
        let what = rollback ? "rollback gate" : "gate"
        switch request.path.split(separator: "/").last {
        case "check":
            let open = gates.isOpen(key)
            logger.info("\(what) check", metadata: ["canary": "\(call.canary)", "approved": "\(open)"])
            return open ? TesterResponse(200, "Approved") : TesterResponse(403, "Forbidden")
        case "open":
            gates.setOpen(key, true)
            logger.info("\(what) opened", metadata: ["canary": "\(call.canary)"])
            return TesterResponse(202, "\(what) opened for \(call.canary)")
        default:
            gates.setOpen(key, false)
            logger.info("\(what) closed", metadata: ["canary": "\(call.canary)"])
            return TesterResponse(202, "\(what) closed for \(call.canary)")
        }
    }

    func decode(_ body: [UInt8]) -> Result<WebhookCall, TesterResponseError> {
        do {
            let call = try JSONDecoder().decode(WebhookCall.self, from: Data(body))
            guard !call.name.isEmpty else { return .failure(TesterResponseError(400, "name is empty in the payload")) }
            return .success(call)
        } catch {
            return .failure(TesterResponseError(400, "the body is not a webhook payload {name, namespace, phase, checksum, metadata}: \(error)"))
        }
    }

    // MARK: - Webhooks

    func webhook(_ request: TesterRequest) async -> TesterResponse {
        let call: WebhookCall
        switch decode(request.body) {
        case .success(let c): call = c
        case .failure(let e): return e.response
        }
        guard let meta = call.metadata, !meta.isEmpty else { return TesterResponse(400, "metadata not found in payload") }
        let type = meta["type"] ?? "cmd"
        var timeout = options.timeout
        if let t = meta["timeout"] {
            guard let s = TesterDuration.seconds(t), s > 0 else {
                return TesterResponse(400, "metadata.timeout \(t) is not a duration (30s, 5m)")
            }
            timeout = s
        }
        let cmd = meta["cmd"].map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        let logOutput = meta["logCmdOutput"].map(Self.isTrue)
        let returnOutput = meta["returnCmdOutput"].map(Self.isTrue) ?? false
        switch type {
        case "bash":
            guard let cmd, !cmd.isEmpty else { return TesterResponse(400, "cmd not found in metadata") }
            // `hey …` with no shell syntax: the built-in generator stands in for the hey binary
            // Flagger's loadtester image carries.
            if Self.isPlainHey(cmd), let argv = try? ShellWords.split(cmd) {
                return await startLoad(call, command: cmd, spec: { () throws(LoadSpec.ParseError) in
                    try LoadSpec.hey(argv, maxDuration: timeout)
                })
            }
            return await runBlocking(call, kind: "bash", argv: ["/bin/bash", "-c", cmd], command: cmd, timeout: timeout,
                                     logOutput: logOutput ?? true, returnOutput: returnOutput)
        case "cmd":
            guard let cmd, !cmd.isEmpty else { return TesterResponse(400, "cmd not found in metadata") }
            let argv: [String]
            do {
                argv = try ShellWords.split(cmd)
            } catch {
                return TesterResponse(400, "cmd cannot be split into arguments: \(error)")
            }
            guard !argv.isEmpty else { return TesterResponse(400, "cmd is empty") }
            if argv[0] == "hey" {
                return await startLoad(call, command: cmd, spec: { () throws(LoadSpec.ParseError) in
                    try LoadSpec.hey(argv, maxDuration: timeout)
                })
            }
            if meta["blocking"].map(Self.isTrue) ?? false {
                return await runBlocking(call, kind: "cmd", argv: argv, command: cmd, timeout: timeout,
                                         logOutput: logOutput ?? false, returnOutput: returnOutput)
            }
            return await startCommand(call, argv: argv, command: cmd, timeout: timeout, logOutput: logOutput ?? false)
        case "load":
            if let cmd, !cmd.isEmpty {
                let argv: [String]
                do {
                    argv = try ShellWords.split(cmd)
                } catch {
                    return TesterResponse(400, "cmd cannot be split into arguments: \(error)")
                }
                return await startLoad(call, command: cmd, spec: { () throws(LoadSpec.ParseError) in
                    try LoadSpec.hey(argv, maxDuration: timeout)
                })
            }
            return await startLoad(call, command: meta["url"] ?? "", spec: { () throws(LoadSpec.ParseError) in
                try LoadSpec.metadata(meta, maxDuration: timeout)
            })
        default:
            return TesterResponse(400, "unknown task type \(type); use bash, cmd or load")
        }
    }

    static func isTrue(_ s: String) -> Bool { ["true", "1", "yes", "t"].contains(s.lowercased()) }

    /// A `hey` command line that bash would not treat differently from argv splitting.
    static func isPlainHey(_ cmd: String) -> Bool {
        guard cmd.hasPrefix("hey ") else { return false }
        return cmd.allSatisfy { !"|&;<>()$`*?[]{}~#\n".contains($0) }
    }

    /// Runs a command and answers with its outcome: 200, or 500 with the reason first (Canary
    /// Events show the start of a failed webhook's answer).
    func runBlocking(_ call: WebhookCall, kind: String, argv: [String], command: String, timeout: Double,
                     logOutput: Bool, returnOutput: Bool) async -> TesterResponse {
        guard await tasks.reserve() else {
            return TesterResponse(429, "\(options.maxTasks) commands are running already; try again later")
        }
        logger.info("\(kind) command started", metadata: ["canary": "\(call.canary)", "command": "\(command)"])
        let outcome = await CommandRunner.run(argv, timeout: timeout, outputCap: options.outputCap)
        await tasks.release()
        log(call, kind: kind, command: command, outcome: outcome, timeout: timeout, logOutput: logOutput)
        if outcome.succeeded {
            return TesterResponse(200, returnOutput ? outcome.text : "")
        }
        var text = "command failed: \(outcome.describe(timeout: timeout))"
        let out = outcome.text.trimmingCharacters(in: .whitespacesAndNewlines)
        if !out.isEmpty { text += "\n" + String(out.suffix(4096)) }
        return TesterResponse(500, text)
    }

    func startCommand(_ call: WebhookCall, argv: [String], command: String, timeout: Double,
                      logOutput: Bool) async -> TesterResponse {
        let cap = options.outputCap
        let started = await tasks.start(key: "\(call.canary)|cmd|\(command)", canary: call.canary, kind: "cmd",
                                        command: command) { [self] in
            let outcome = await CommandRunner.run(argv, timeout: timeout, outputCap: cap)
            log(call, kind: "cmd", command: command, outcome: outcome, timeout: timeout, logOutput: logOutput)
            return (outcome.succeeded, outcome.describe(timeout: timeout), nil, nil)
        }
        return answer(started, call: call, what: "command")
    }

    func startLoad(_ call: WebhookCall, command: String,
                   spec make: () throws(LoadSpec.ParseError) -> LoadSpec) async -> TesterResponse {
        let spec: LoadSpec
        do {
            spec = try make()
        } catch {
            return TesterResponse(400, error.description)
        }
        let log = logger
        let started = await tasks.start(key: "\(call.canary)|load|\(command)", canary: call.canary, kind: "load",
                                        command: command) {
            log.info("load started", metadata: [
                "canary": "\(call.canary)", "url": "\(spec.url)", "duration": "\(TesterDuration.format(spec.duration))",
                "rate": "\(spec.rate)", "concurrency": "\(spec.concurrency)",
            ])
            do {
                let stats = try await spec.run()
                let statuses = Dictionary(uniqueKeysWithValues: stats.statuses.map { (String($0.key), $0.value) })
                let codes = stats.statuses.keys.sorted().map { "\($0)×\(stats.statuses[$0] ?? 0)" }.joined(separator: " ")
                let summary = "\(stats.sent) requests: \(codes.isEmpty ? "no answers" : codes), \(stats.errors) without answer"
                log.info("load finished", metadata: ["canary": "\(call.canary)", "result": "\(summary)"])
                return (stats.errors < max(1, stats.sent), summary, statuses, stats.errors)
            } catch {
                log.error("load failed", metadata: ["canary": "\(call.canary)", "error": "\(error)"])
                return (false, "\(error)", nil, nil)
            }
        }
        return answer(started, call: call, what: "load test")
    }

    func answer(_ started: TaskRegistry.StartResult, call: WebhookCall, what: String) -> TesterResponse {
        switch started {
        case .started(let id): return TesterResponse(202, "\(what) \(id) started for \(call.canary)")
        case .alreadyRunning(let id): return TesterResponse(202, "\(what) \(id) is already running for \(call.canary)")
        case .busy: return TesterResponse(429, "\(options.maxTasks) tasks are running already; try again later")
        }
    }

    func log(_ call: WebhookCall, kind: String, command: String, outcome: CommandOutcome, timeout: Double,
             logOutput: Bool) {
        var meta: Logger.Metadata = [
            "canary": "\(call.canary)", "command": "\(command)", "result": "\(outcome.describe(timeout: timeout))",
            "seconds": "\((outcome.seconds * 1000).rounded() / 1000)",
        ]
        if logOutput {
            meta["output"] = "\(outcome.text)\(outcome.truncated ? "…(truncated)" : "")"
        } else if !outcome.succeeded {
            // The end of the output is where a failure usually says why.
            let text = outcome.text
            meta["output"] = "\(text.count > 4096 ? "…" + String(text.suffix(4096)) : text)"
        }
        if outcome.succeeded {
            logger.info("\(kind) command finished", metadata: meta)
        } else {
            logger.warning("\(kind) command failed", metadata: meta)
        }
    }
}

/// A ready-made error answer.
struct TesterResponseError: Error {
    var response: TesterResponse
    init(_ status: Int, _ text: String) { response = TesterResponse(status, text) }
}
