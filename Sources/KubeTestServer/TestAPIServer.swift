import Foundation
import KubeCore
import NIOSSL

/// A wire-level Kubernetes API server for tests and local demos: the real REST protocol over
/// HTTP(S) on 127.0.0.1, plus the same semantics in-process through `api`.
public final class TestAPIServer: Sendable {
    public struct Options: Sendable {
        /// HTTPS with a CA generated at start; false serves plain HTTP.
        public var tls: Bool = true
        /// The bearer token every request must carry; nil generates one. An empty string
        /// turns authentication off (meant for plain-HTTP local demos only).
        public var token: String? = nil
        /// 0 lets the OS choose.
        public var port: Int = 0
        /// Watch events kept for resumes; older resourceVersions get 410 Gone.
        public var historyLimit: Int = 10_000
        /// How often watches that asked for bookmarks get one.
        public var bookmarkInterval: Duration = .seconds(1)
        /// Runs the workload simulator (Deployment/ReplicaSet controllers and kubelet stand-in).
        public var simulateWorkloads: Bool = true
        public init() {}
    }

    public let url: String
    public let token: String
    /// PEM of the CA that signed the serving certificate; empty when `tls` is false.
    public let caCertificatePEM: String
    /// In-process access to the store (no HTTP), with the same semantics as the REST path.
    public let api: any KubeAPI
    public let faults: FaultInjector
    /// What the token's identity may do (all by default); answers SelfSubjectAccessReviews.
    public var access: AccessPolicy { core.access }
    /// The running workload simulator when `Options.simulateWorkloads` is on (make a
    /// Deployment never ready, fail its progress deadline, …).
    public let workloads: WorkloadSimulator?

    let core: ServerCore
    private let http: HTTPServer

    private init(url: String, token: String, caPEM: String, core: ServerCore, http: HTTPServer) {
        self.url = url
        self.token = token
        self.caCertificatePEM = caPEM
        self.core = core
        self.http = http
        let api = InProcessAPI(core: core)
        self.api = api
        self.faults = core.faults
        self.workloads = core.options.simulateWorkloads ? WorkloadSimulator(api: api) : nil
    }

    public static func start(_ options: Options = Options()) async throws -> TestAPIServer {
        let token = options.token ?? randomToken()
        let core = ServerCore(options: options, token: token)
        var caPEM = ""
        var sslContext: NIOSSLContext?
        if options.tls {
            let ca = try CertificateAuthority()
            caPEM = ca.caCertificatePEM
            sslContext = try ca.makeServerContext()
        }
        let router = Router(core: core)
        let http = try await HTTPServer.start(port: options.port, tls: sslContext) { request in
            await router.handle(request)
        }
        let scheme = options.tls ? "https" : "http"
        let server = TestAPIServer(url: "\(scheme)://127.0.0.1:\(http.port)", token: token, caPEM: caPEM, core: core, http: http)
        core.startBackgroundWork(api: server.api)
        server.workloads?.start()
        return server
    }

    /// Writes a kubeconfig (server, CA data, token, namespace default) for kubectl or KubeClient.
    public func writeKubeconfig(to path: String, context: String = "serin-dev") throws {
        let text = Kubeconfig.render(server: url, caPEM: caCertificatePEM, token: token, context: context)
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }

    public func stop() async throws {
        await workloads?.stop()
        await core.stopBackgroundWork()
        core.store.closeAllWatches()
        await http.stop()
    }

    private static func randomToken() -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789")
        return String((0..<32).map { _ in alphabet.randomElement()! })
    }
}
