import ArgumentParser
import Foundation
import KubeTestServer
import UnixSignals

/// Runs the wire-level test API server in the foreground, for local demos and kubectl.
struct DevClusterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cluster",
        abstract: "Run Serin's local Kubernetes API server (no real cluster needed) and write a kubeconfig for it."
    )

    @Option(help: "Where to write the kubeconfig.")
    var kubeconfig: String = FileManager.default.currentDirectoryPath + "/.serin-dev/kubeconfig"

    @Option(help: "Port on 127.0.0.1 (0 picks a free one).")
    var port: Int = 0

    @Flag(help: "Serve plain HTTP instead of HTTPS.")
    var insecureHTTP = false

    @Flag(inversion: .prefixedNo, help: "Simulate the Deployment/ReplicaSet controllers and the kubelet.")
    var simulateWorkloads = true

    func run() async throws {
        var options = TestAPIServer.Options()
        options.tls = !insecureHTTP
        options.port = port
        options.simulateWorkloads = simulateWorkloads
        let server = try await TestAPIServer.start(options)
        let dir = (kubeconfig as NSString).deletingLastPathComponent
        if !dir.isEmpty { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
        try server.writeKubeconfig(to: kubeconfig)
        print("serin-dev cluster serving \(server.url)")
        print("kubeconfig: \(kubeconfig)")
        print("try: kubectl --kubeconfig \(kubeconfig) get namespaces")
        fflush(nil)  // stdout into a file or pipe is block-buffered: show these lines now
        for await _ in await UnixSignalsSequence(trapping: .sigterm, .sigint) { break }
        print("serin-dev cluster stopping")
        try await server.stop()
    }
}
