import ArgumentParser
import Foundation
import Logging
import SerinOperator
import SerinTester
import UnixSignals

/// `serin tester`: Flagger's loadtester counterpart, the `test-runner` a Canary's webhooks call.
struct TesterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tester",
        abstract: "Run tests, load and manual gates for Canary webhooks (Flagger's loadtester counterpart).",
        discussion: """
            POST / with metadata.type bash (cmd through /bin/bash -c), cmd (no shell, in the \
            background unless blocking=true), or load / a hey command line (built-in HTTP load \
            generator, in the background). Gates: /gate/approve, /gate/halt, /gate/check, \
            /gate/open, /gate/close, /rollback/check, /rollback/open, /rollback/close. \
            GET /tasks lists background tasks.
            """
    )

    @Option(help: "Address to listen on.")
    var address: String = "0.0.0.0"

    @Option(help: "Port to listen on (0 picks a free one).")
    var port: Int = 8080

    @Option(help: "Longest a command or load run may take when the webhook's metadata.timeout does not say (Go duration: 30s, 5m, 1h).")
    var timeout: String = "1h"

    @Option(help: "Bytes of each command's output kept.")
    var outputLimit: Int = 64 << 10

    @Option(help: "Commands and load runs at once.")
    var maxTasks: Int = 32

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "info"

    @Option(help: "Log format: json or text.")
    var logFormat: String = "json"

    func validate() throws {
        guard parsedTimeout != nil else { throw ValidationError("--timeout \(timeout) is not a duration (30s, 5m, 1h)") }
        guard (0...65535).contains(port) else { throw ValidationError("--port \(port) is not a port number") }
        guard outputLimit > 0 else { throw ValidationError("--output-limit must be positive") }
        guard maxTasks > 0 else { throw ValidationError("--max-tasks must be positive") }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("--log-level \(logLevel) is not a level") }
        guard ["json", "text"].contains(logFormat) else { throw ValidationError("--log-format is json or text") }
    }

    /// Seconds of `--timeout`: a Go duration, or a bare number of seconds.
    var parsedTimeout: Double? {
        var total = 0.0
        var rest = Substring(timeout)
        if let plain = Double(rest) { return plain > 0 ? plain : nil }
        while !rest.isEmpty {
            let digits = rest.prefix { $0.isNumber || $0 == "." }
            guard let v = Double(digits) else { return nil }
            rest = rest.dropFirst(digits.count)
            let unit = rest.prefix { $0.isLetter }
            rest = rest.dropFirst(unit.count)
            switch unit {
            case "ms": total += v / 1000
            case "s": total += v
            case "m": total += v * 60
            case "h": total += v * 3600
            default: return nil
            }
        }
        return total > 0 ? total : nil
    }

    func run() async throws {
        let level = Logger.Level(rawValue: logLevel) ?? .info
        let json = logFormat == "json"
        LoggingSystem.bootstrap { label in
            if json { return JSONLogHandler(label: label, level: level) }
            var h = StreamLogHandler.standardOutput(label: label)
            h.logLevel = level
            return h
        }
        let logger = Logger(label: "serin.tester")
        let options = TesterOptions(host: address, port: port, timeout: parsedTimeout ?? 3600, outputCap: outputLimit,
                                    maxTasks: maxTasks, logger: logger)
        let server = try await TesterServer.start(options: options)
        logger.info("serin tester listening", metadata: ["address": "\(address)", "port": "\(server.port)"])
        for await _ in await UnixSignalsSequence(trapping: .sigterm, .sigint) { break }
        logger.info("serin tester stopping")
        await server.stop()
    }
}
