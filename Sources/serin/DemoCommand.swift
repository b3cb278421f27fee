import ArgumentParser

/// The local demo: a canary promoted and a bad one rolled back, with no cluster.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run the local demo: a good release promoted, a bad one rolled back (no cluster needed)."
    )

    func run() async throws {
        throw ValidationError("the demo is not built yet")
    }
}
