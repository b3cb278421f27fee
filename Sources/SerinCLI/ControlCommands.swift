import ArgumentParser
import Foundation

/// NAME and the cluster, shared by the manual-control verbs.
struct ControlTarget: ParsableArguments {
    @OptionGroup var cluster: ClusterOptions
    @Argument(help: "Name of the Canary or Rollout (or canary/NAME, rollout/NAME).") var name: String
    @Option(help: "canary or rollout, when both kinds have an object of that name.") var kind: ResourceKind?

    func run(_ verb: ControlVerb, revision: Int? = nil) async throws {
        let text = try await cluster.withSession { session in
            try await ManualControl.run(verb, argument: name, kind: kind, revision: revision, session: session)
        }
        CLIOutput.current.write(text)
    }
}

struct PromoteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "promote",
        abstract: "Canary: skip the rest of the analysis and promote. Rollout: leave the current pause or step.")
    @OptionGroup var target: ControlTarget
    @Flag(help: "Rollout: skip every remaining step and analysis.") var full = false
    func run() async throws { try await target.run(full ? .promoteFull : .promote) }
}

struct AbortCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "abort", abstract: "Roll back now: all traffic to the primary (stable), the new version scaled down.")
    @OptionGroup var target: ControlTarget
    func run() async throws { try await target.run(.abort) }
}

struct RetryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retry", abstract: "Start a failed or aborted release again from its first step.")
    @OptionGroup var target: ControlTarget
    func run() async throws { try await target.run(.retry) }
}

struct PauseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pause", abstract: "Hold the release where it is (serin.dev/paused=true); traffic stays as it is.")
    @OptionGroup var target: ControlTarget
    func run() async throws { try await target.run(.pause) }
}

struct ResumeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resume", abstract: "Let a paused release continue (removes serin.dev/paused).")
    @OptionGroup var target: ControlTarget
    func run() async throws { try await target.run(.resume) }
}

struct UndoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "undo", abstract: "Rollout: roll back to an earlier revision (default: the previous one).")
    @OptionGroup var target: ControlTarget
    @Option(help: "The revision to roll back to (the serin.dev/revision annotation of its ReplicaSet).") var toRevision: Int?
    func validate() throws {
        if let r = toRevision, r < 0 { throw ValidationError("--to-revision must be 0 (previous) or a revision number") }
    }
    func run() async throws { try await target.run(.undo, revision: toRevision == 0 ? nil : toRevision) }
}

struct RestartCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restart", abstract: "Rollout: replace every pod, one batch at a time.")
    @OptionGroup var target: ControlTarget
    func run() async throws { try await target.run(.restart) }
}
