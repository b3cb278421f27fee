import ArgumentParser

@main
struct SerinCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serin",
        abstract: "Progressive delivery for Kubernetes: canaries, blue/green and A/B releases judged by Prometheus.",
        version: SerinVersion.string,
        subcommands: [OperatorCommand.self, DevClusterCommand.self, DemoCommand.self]
    )
}

enum SerinVersion {
    static let string = "0.1.0"
}
