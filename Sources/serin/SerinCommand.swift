import ArgumentParser
import SerinCLI

/// The `serin` binary; run through a `kubectl-serin` link it is the kubectl plugin.
@main
enum SerinMain {
    static func main() async {
        if SerinCLI.isKubectlPlugin(argv0: CommandLine.arguments.first) {
            await KubectlSerinCommand.main()
        } else {
            await SerinCommand.main()
        }
    }
}

struct SerinCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serin",
        abstract: "Progressive delivery for Kubernetes: canaries, blue/green and A/B releases judged by Prometheus.",
        version: SerinVersion.string,
        subcommands: subcommands
    )

    /// One line per command.
    static let subcommands: [any ParsableCommand.Type] = [
        OperatorCommand.self,
        TesterCommand.self,
    ] + SerinCLI.commands
}

enum SerinVersion {
    static let string = "0.1.0"
}
