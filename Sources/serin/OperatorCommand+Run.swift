import ArgumentParser
import Controllers
import Foundation
import Logging
import Metrics
import Prometheus
import SerinOperator
import UnixSignals

extension OperatorCommand {
    func run() async throws {
        let o = try options()
        let level = Logger.Level(rawValue: o.logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            if o.logFormat == "json" { return JSONLogHandler(label: label, level: level) }
            var h = StreamLogHandler.standardOutput(label: label)
            h.logLevel = level
            return h
        }
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        let process = OperatorProcess(options: o, registry: registry, register: ControllerRegistration.register)
        let code = try await process.run(untilSignal: { for await _ in await UnixSignalsSequence(trapping: .sigterm, .sigint) { break } })
        if code != 0 { throw ExitCode(code) }
    }
}
