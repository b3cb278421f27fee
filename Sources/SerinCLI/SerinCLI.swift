import ArgumentParser
import Foundation

/// The SRE's commands, as `serin <command>` and as the kubectl plugin `kubectl serin <command>`.
public enum SerinCLI {
    /// Registered as subcommands of `serin` and of `kubectl serin`.
    public static let commands: [any ParsableCommand.Type] = [
        GetCommand.self,
        StatusCommand.self,
        PromoteCommand.self,
        AbortCommand.self,
        RetryCommand.self,
        PauseCommand.self,
        ResumeCommand.self,
        UndoCommand.self,
        RestartCommand.self,
        LintCommand.self,
        SimulateCommand.self,
        DashboardCommand.self,
    ]

    /// kubectl runs a plugin `kubectl-NAME` found on PATH; through a `kubectl-serin` link to the
    /// `serin` binary, argv[0]'s base name says which face to show.
    public static let pluginName = "kubectl-serin"

    public static func isKubectlPlugin(argv0: String?) -> Bool {
        guard let argv0 else { return false }
        return URL(fileURLWithPath: argv0).lastPathComponent == pluginName
    }

    /// Parses and runs a CLI command line (without the program name) the way the binary does,
    /// writing to `CLIOutput.current`; returns the exit code. Errors are printed as
    /// ArgumentParser prints them.
    public static func run(_ arguments: [String]) async -> Int32 {
        let out = CLIOutput.current
        do {
            var command = try KubectlSerinCommand.parseAsRoot(arguments)
            if var async = command as? any AsyncParsableCommand {
                try await async.run()
            } else {
                try command.run()
            }
            return 0
        } catch {
            let code = KubectlSerinCommand.exitCode(for: error).rawValue
            let message = KubectlSerinCommand.fullMessage(for: error)
            if !message.isEmpty {
                if code == 0 { out.line(message) } else { out.errorLine(message) }
            }
            return code
        }
    }
}

/// `kubectl serin …`: the CLI commands only (the operator and the demo are `serin`'s).
public struct KubectlSerinCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "kubectl serin",
        abstract: "Serin's progressive delivery from kubectl: Canaries and Rollouts.",
        subcommands: SerinCLI.commands
    )

    public init() {}
}
