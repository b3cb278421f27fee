import KubeClient
import KubeTestServer

/// A test API server (no workload simulator; tests start their own when they need one) and
/// an unthrottled HTTPS client to it: what every controller test environment starts from.
enum TestServerConnection {
    static func start() async throws -> (TestAPIServer, KubeClient) {
        var options = TestAPIServer.Options()
        options.simulateWorkloads = false
        options.bookmarkInterval = .milliseconds(200)
        let server = try await TestAPIServer.start(options)
        let config = KubeConfig(server: server.url, certificateAuthorityPEM: Array(server.caCertificatePEM.utf8),
                                credentials: .bearerToken(server.token))
        var clientOptions = KubeClient.Options()
        clientOptions.qps = 0
        return (server, try KubeClient(config: config, options: clientOptions))
    }
}
