import ArgumentParser
import Foundation
import KubeClient
import KubeCore

/// How to reach the cluster: the same resolution as the operator (`--kubeconfig`,
/// `$KUBECONFIG`, in-cluster, `~/.kube/config`), plus the namespace to act in.
public struct ClusterOptions: ParsableArguments {
    @Option(help: "Path to a kubeconfig (default: $KUBECONFIG, in-cluster, ~/.kube/config).")
    var kubeconfig: String?

    @Option(help: "kubeconfig context to use.")
    var context: String?

    @Option(name: [.short, .long], help: "Namespace (default: the context's namespace).")
    var namespace: String?

    public init() {}

    /// Connects, runs `body`, and always closes the connections.
    func withSession<T: Sendable>(_ body: (ClusterSession) async throws -> T) async throws -> T {
        let config: KubeConfig
        do {
            config = try KubeConfig.resolve(kubeconfigPath: kubeconfig, context: context)
        } catch {
            throw CLIError("cannot load the cluster configuration: \(error)")
        }
        var options = KubeClient.Options()
        // An interactive tool: fail in seconds rather than retry for a minute.
        options.retry = RetryPolicy(maxAttempts: 3, baseDelay: .milliseconds(200), maxDelay: .seconds(2), maxTotal: .seconds(10))
        options.connectTimeout = .seconds(5)
        options.requestTimeout = .seconds(30)
        options.fieldManager = "serin-cli"
        options.userAgent = "serin-cli/\(SerinVersion.current)"
        let client = try KubeClient(config: config, options: options)
        let session = ClusterSession(api: client, namespace: namespace ?? config.namespace, server: config.server)
        do {
            let value = try await body(session)
            try? await client.shutdown()
            return value
        } catch {
            try? await client.shutdown()
            throw ClusterSession.explain(error, server: config.server)
        }
    }
}

/// An API connection and the namespace commands act in.
struct ClusterSession: Sendable {
    let api: any KubeAPI
    let namespace: String
    let server: String

    /// API errors in words a user can act on.
    static func explain(_ error: any Error, server: String) -> any Error {
        guard let e = error as? KubeAPIError else { return error }
        switch e {
        case .transport(let m): return CLIError("cannot reach the API server at \(server): \(m)")
        case .unauthorized: return CLIError("the API server at \(server) refused the credentials (401); check the kubeconfig's user")
        case .forbidden(let s): return CLIError("not allowed: \(s.message)")
        default: return CLIError(e.status?.message.isEmpty == false ? e.status!.message : e.description)
        }
    }
}
