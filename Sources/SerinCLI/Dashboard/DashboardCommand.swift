import ArgumentParser
import Foundation

/// `serin dashboard`: a local web UI of every Canary and Rollout, updated live from watches.
struct DashboardCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dashboard",
        abstract: "Serve a local web UI of Canaries and Rollouts (live), with promote/abort/… buttons.",
        discussion: """
            The UI uses your kubeconfig's identity: buttons appear only where a SelfSubjectAccessReview \
            says you may patch the object. It has no login of its own, so it listens on 127.0.0.1 unless \
            told otherwise; --read-only hides every button and refuses every action.
            """)

    @OptionGroup var cluster: ClusterOptions

    @Flag(name: [.customShort("A"), .customLong("all-namespaces")], help: "Show every namespace.")
    var allNamespaces = false

    @Option(help: "Address to listen on.") var address = "127.0.0.1"
    @Option(help: "Port to listen on (0: any free port).") var port = 3100
    @Flag(help: "Show only: no buttons, and actions are refused.") var readOnly = false

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0…65535") }
    }

    func run() async throws {
        let out = CLIOutput.current
        try await cluster.withSession { session in
            let namespace: String? = allNamespaces ? nil : session.namespace
            let store = DashboardStore()
            let routes = DashboardRoutes(session: session, store: store, readOnly: readOnly, namespace: namespace)
            let server: DashboardHTTPServer
            do {
                server = try await DashboardHTTPServer.start(host: address, port: port) { await routes.handle($0) }
            } catch {
                throw CLIError("cannot listen on \(address):\(port): \(error)")
            }
            let host = address.contains(":") ? "[\(address)]" : address
            out.line("serin dashboard on http://\(host):\(server.port)/ (\(namespace ?? "all namespaces")\(readOnly ? ", read-only" : ""))")
            if !["127.0.0.1", "::1", "localhost"].contains(address) {
                out.errorLine("warning: the dashboard has no login and acts with your credentials; \(address) is reachable by others")
            }
            let watcher = DashboardWatcher(api: session.api, namespace: namespace, store: store)
            await withTaskGroup(of: Void.self) { group in
                for kind in ResourceKind.allCases { group.addTask { await watcher.run(kind) } }
                // Runs until the task is cancelled (Ctrl-C ends the process).
                group.addTask { while !Task.isCancelled { try? await Task.sleep(for: .seconds(3600)) } }
                await group.next()
                group.cancelAll()
            }
            await server.stop()
        }
    }
}
