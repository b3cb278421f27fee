import Foundation
import KubeCore
import KubeTestServer

/// A test API server with a kubeconfig on disk and the operator's namespace.
struct OperatorTestCluster {
    let server: TestAPIServer
    let dir: String
    var kubeconfig: String { dir + "/kubeconfig" }

    static func start() async throws -> OperatorTestCluster {
        let server = try await TestAPIServer.start()
        let dir = NSTemporaryDirectory() + "serin-op-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try server.writeKubeconfig(to: dir + "/kubeconfig")
        _ = try await server.api.create(.namespaces, namespace: nil, ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": "serin-system"]])
        return OperatorTestCluster(server: server, dir: dir)
    }

    func operatorArgs(identity: String, extra: [String] = []) -> [String] {
        ["operator", "--kubeconfig", kubeconfig, "--identity", identity,
         "--metrics-address", "127.0.0.1:0", "--health-address", "127.0.0.1:0",
         "--lease-duration", "3", "--renew-deadline", "2", "--retry-period", "0.25"] + extra
    }

    func leaseHolder() async -> String? {
        let lease = try? await server.api.get(.leases, namespace: "serin-system", name: "serin-operator")
        return lease?["spec"]["holderIdentity"].stringValue
    }

    /// Polls until the lease holder is `identity`; returns the time it took, nil at the deadline.
    func waitForHolder(_ identity: String, within limit: Duration) async -> Duration? {
        let start = ContinuousClock.now
        while ContinuousClock.now - start < limit {
            if await leaseHolder() == identity { return ContinuousClock.now - start }
            try? await Task.sleep(for: .milliseconds(25))
        }
        return nil
    }
}
