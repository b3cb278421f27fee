import ArgumentParser
import Foundation

/// `serin-dev`: what developing and trying Serin needs and a cluster never runs — the local API
/// server, the demo and the benchmarks. Kept out of the `serin` binary (and so of the image).
@main
struct SerinDevCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serin-dev",
        abstract: "Serin's development tools: a local Kubernetes API server, the demo and the benchmarks (no cluster needed).",
        version: "0.1.0",
        subcommands: [DevClusterCommand.self, DemoCommand.self, BenchCommand.self]
    )

    /// The `serin` executable beside this one (the operator the demo and the bench run).
    static func siblingSerin() -> String {
        let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: me).deletingLastPathComponent().appendingPathComponent("serin").path
    }
}
