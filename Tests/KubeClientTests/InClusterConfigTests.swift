import Foundation
import Testing

@testable import KubeClient

@Suite("In-cluster configuration and token rotation")
struct InClusterConfigTests {
    func serviceAccountDir(namespace: String? = "serin-system") throws -> (TempDir, InClusterPaths) {
        let dir = try TempDir()
        try dir.write("sa/token", "token-v1\n")
        try dir.write("sa/ca.crt", Fixture.certPEM)
        if let namespace { try dir.write("sa/namespace", namespace) }
        return (dir, InClusterPaths(directory: dir.path + "/sa"))
    }

    @Test func readsServiceAccountFiles() throws {
        let (dir, paths) = try serviceAccountDir()
        defer { dir.cleanup() }
        let env = ["KUBERNETES_SERVICE_HOST": "10.96.0.1", "KUBERNETES_SERVICE_PORT": "443"]
        #expect(KubeConfig.isInCluster(environment: env))
        let c = try KubeConfig.inCluster(environment: env, paths: paths)
        #expect(c.server == "https://10.96.0.1:443")
        #expect(c.namespace == "serin-system")
        #expect(c.certificateAuthorityPEM == Array(Fixture.certPEM.utf8))
        #expect(c.credentials == .bearerTokenFile(paths.token))
        #expect(c.source == "in-cluster")
    }

    @Test func ipv6HostAndMissingNamespaceFile() throws {
        let (dir, paths) = try serviceAccountDir(namespace: nil)
        defer { dir.cleanup() }
        let c = try KubeConfig.inCluster(
            environment: ["KUBERNETES_SERVICE_HOST": "fd00::1", "KUBERNETES_SERVICE_PORT": "6443"], paths: paths)
        #expect(c.server == "https://[fd00::1]:6443")
        #expect(c.namespace == "default")
    }

    @Test func errorsNameWhatIsMissing() throws {
        let (dir, paths) = try serviceAccountDir()
        defer { dir.cleanup() }
        let operation2 = {
            try KubeConfig.inCluster(environment: ["KUBERNETES_SERVICE_HOST": "10.0.0.1"], paths: paths)
        }
        #expect(throws: KubeConfigError("in-cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be set"), performing: operation2)
        try FileManager.default.removeItem(atPath: paths.token)
        let operation3 = {
            try KubeConfig.inCluster(environment: ["KUBERNETES_SERVICE_HOST": "h", "KUBERNETES_SERVICE_PORT": "1"], paths: paths)
        }
        #expect(throws: KubeConfigError("in-cluster: service-account token \(paths.token): cannot read: No such file or directory"), performing: operation3)
    }

    @Test func tokenFileIsReReadAfterItsIntervalAndAfterInvalidate() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let path = try dir.write("token", "one\n")
        let slow = BearerTokenFile(path: path, refreshInterval: .seconds(3600))
        let fast = BearerTokenFile(path: path, refreshInterval: .milliseconds(100))
        #expect(try slow.token() == "one")
        #expect(try fast.token() == "one")

        try dir.write("token", "two")  // the kubelet rotates the token
        #expect(try slow.token() == "one")  // cached within the interval
        #expect(try fast.token() == "one")
        try await Task.sleep(for: .milliseconds(150))
        #expect(try fast.token() == "two")  // interval passed
        #expect(try slow.token() == "one")
        slow.invalidate()  // what the client does after a 401
        #expect(try slow.token() == "two")
    }

    @Test func resolvePrecedence() throws {
        let (dir, paths) = try serviceAccountDir()
        defer { dir.cleanup() }
        let explicit = try dir.write("explicit", "clusters: [{name: c, cluster: {server: 'https://explicit'}}]\ncontexts: [{name: x, context: {cluster: c}}, {name: y, context: {cluster: c, namespace: why}}]\ncurrent-context: x\n")
        let fromEnv = try dir.write("envcfg", "clusters: [{name: c, cluster: {server: 'https://env'}}]\ncontexts: [{name: x, context: {cluster: c}}]\ncurrent-context: x\n")
        try dir.write("home/.kube/config", "clusters: [{name: c, cluster: {server: 'https://home'}}]\ncontexts: [{name: x, context: {cluster: c}}]\ncurrent-context: x\n")
        let inCluster = ["KUBERNETES_SERVICE_HOST": "10.0.0.1", "KUBERNETES_SERVICE_PORT": "443"]
        var env = inCluster.merging(["KUBECONFIG": fromEnv, "HOME": dir.path + "/home"]) { a, _ in a }

        #expect(try KubeConfig.resolve(kubeconfigPath: explicit, environment: env, inClusterPaths: paths).server == "https://explicit")
        #expect(try KubeConfig.resolve(kubeconfigPath: explicit, context: "y", environment: env, inClusterPaths: paths).namespace == "why")
        #expect(try KubeConfig.resolve(environment: env, inClusterPaths: paths).server == "https://env")
        env["KUBECONFIG"] = nil
        #expect(try KubeConfig.resolve(environment: env, inClusterPaths: paths).server == "https://10.0.0.1:443")
        env["KUBERNETES_SERVICE_HOST"] = nil
        #expect(try KubeConfig.resolve(environment: env, inClusterPaths: paths).server == "https://home")
        env["HOME"] = dir.path + "/nowhere"
        let operation1 = { try KubeConfig.resolve(environment: env, inClusterPaths: paths) }
        #expect(throws: KubeConfigError.self, performing: operation1)
    }
}
