import AsyncHTTPClient
import Foundation
import KubeCore
import Logging
import Metrics
import NIOCore
import NIOSSL
import Synchronization

/// The version sent in the User-Agent (`serin/<version>`).
public enum SerinVersion {
    public static let current = "0.1.0"
}

/// `KubeAPI` over HTTP(S) with AsyncHTTPClient: TLS with a custom CA and client
/// certificates, bearer tokens (rotated files re-read), client-side rate limiting,
/// retries with backoff, typed API errors, streamed watches.
///
/// For a namespaced resource, object verbs (get, create, update, patch, delete) with a
/// nil namespace use the object's `metadata.namespace` (create/update) or else the
/// configuration's default namespace; list and watch with a nil namespace span all namespaces.
///
/// Call `shutdown()` when done; a client dropped without it closes its connections in the background.
public final class KubeClient: KubeAPI {
    public struct Options: Sendable {
        /// Client-side rate limit for every request except watch streams; `qps <= 0` disables it.
        public var qps: Double = 20
        public var burst: Int = 30
        public var retry: RetryPolicy = .default
        /// Deadline of one attempt of a non-watch request, body included.
        public var requestTimeout: Duration = .seconds(60)
        public var connectTimeout: Duration = .seconds(10)
        /// A watch connection that receives nothing for this long fails with a transport
        /// error (the caller resumes from its last resourceVersion). There is no total deadline.
        public var watchIdleTimeout: Duration = .seconds(600)
        public var userAgent: String = "serin/\(SerinVersion.current)"
        /// Sent as `fieldManager` on create, update and patch.
        public var fieldManager: String = "serin"
        /// Sends `dryRun=All` on writes: the server validates and answers but stores nothing.
        public var dryRun: Bool = false
        /// HTTP/2 is negotiated by ALPN over TLS when the server offers it; `http1Only` forbids it.
        public var http1Only: Bool = false
        /// HTTP/1.1 connections to the server for ordinary requests (HTTP/2 multiplexes on one).
        public var maxConnections: Int = 32
        /// HTTP/1.1 connections for watches: each open watch holds one, so this caps
        /// concurrent watches when the server does not speak HTTP/2.
        public var maxWatchConnections: Int = 512
        /// Largest non-watch response body accepted.
        public var maxResponseBytes: Int = 256 << 20
        /// How often a token file is re-read (it is also re-read at once after a 401).
        public var tokenRefreshInterval: Duration = .seconds(60)
        /// Metrics backend; nil uses the process-wide `MetricsSystem.factory`.
        public var metricsFactory: (any MetricsFactory)? = nil

        public init() {}
    }

    public let config: KubeConfig
    public let options: Options
    let logger: Logger
    let http: HTTPClient
    let watchHTTP: HTTPClient
    let limiter: TokenBucketRateLimiter
    let tokenFile: BearerTokenFile?
    let baseURL: String
    private let isShutDown = Mutex(false)

    public init(config: KubeConfig, options: Options = Options(), logger: Logger = Logger(label: "serin.kubeclient")) throws {
        self.config = config
        self.options = options
        self.logger = logger
        self.limiter = TokenBucketRateLimiter(qps: options.qps, burst: options.burst)
        if case .bearerTokenFile(let path) = config.credentials {
            tokenFile = BearerTokenFile(path: path, refreshInterval: options.tokenRefreshInterval)
        } else {
            tokenFile = nil
        }

        guard var url = URLComponents(string: config.server), let host = url.host, url.scheme != nil else {
            throw KubeConfigError("\(config.source): server \"\(config.server)\" is not a URL")
        }
        var httpConfig = HTTPClient.Configuration()
        if url.scheme?.lowercased() == "https" {
            httpConfig.tlsConfiguration = try Self.tlsConfiguration(config)
            // tls-server-name: ask for and verify that name while connecting to the real host.
            if let sni = config.tlsServerName, !sni.isEmpty, sni != host {
                httpConfig.dnsOverride = [sni: host.trimmingCharacters(in: CharacterSet(charactersIn: "[]"))]
                url.host = sni
            }
        }
        httpConfig.httpVersion = options.http1Only ? .http1Only : .automatic
        httpConfig.redirectConfiguration = .disallow
        httpConfig.decompression = .disabled
        // Fail a connection attempt at once (TLS rejected, refused) and let RetryPolicy decide,
        // instead of AHC re-dialling silently until the connect timeout.
        httpConfig.connectionPool.retryConnectionEstablishment = false
        self.baseURL = url.string ?? config.server

        var requestConfig = httpConfig
        requestConfig.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = max(1, options.maxConnections)
        requestConfig.timeout = .init(connect: Self.timeAmount(options.connectTimeout), read: Self.timeAmount(options.requestTimeout))
        var watchConfig = httpConfig
        watchConfig.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = max(1, options.maxWatchConnections)
        watchConfig.timeout = .init(connect: Self.timeAmount(options.connectTimeout), read: Self.timeAmount(options.watchIdleTimeout))
        self.http = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: requestConfig, backgroundActivityLogger: logger)
        self.watchHTTP = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: watchConfig, backgroundActivityLogger: logger)
    }

    /// Reads the configuration with `KubeConfig.resolve` (flag, `$KUBECONFIG`, in-cluster, `~/.kube/config`).
    public convenience init(
        kubeconfigPath: String? = nil, context: String? = nil, options: Options = Options(),
        logger: Logger = Logger(label: "serin.kubeclient")
    ) throws {
        try self.init(config: KubeConfig.resolve(kubeconfigPath: kubeconfigPath, context: context), options: options, logger: logger)
    }

    /// Closes all connections (open watches end with an error). Further requests fail.
    public func shutdown() async throws {
        if isShutDown.withLock({ old in defer { old = true }; return old }) { return }
        try await http.shutdown()
        try await watchHTTP.shutdown()
    }

    deinit {
        if !isShutDown.withLock({ $0 }) {
            // The HTTP clients keep themselves alive until their shutdown completes.
            http.shutdown { _ in }
            watchHTTP.shutdown { _ in }
        }
    }

    static func timeAmount(_ d: Duration) -> TimeAmount {
        let (s, atto) = d.components
        return .nanoseconds(s * 1_000_000_000 + atto / 1_000_000_000)
    }

    static func tlsConfiguration(_ config: KubeConfig) throws -> TLSConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        // A closed watch keeps its pool slot until the TLS close finishes; do not wait the
        // default 5 s for a peer that never answers close_notify (HTTP framing already
        // protects against truncation).
        tls.shutdownTimeout = .seconds(1)
        do {
            if config.insecureSkipTLSVerify {
                tls.certificateVerification = .none
            } else if let ca = config.certificateAuthorityPEM {
                // Like kubectl: a configured CA replaces the system roots.
                tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(ca))
            }
            if let cert = config.clientCertificatePEM, let key = config.clientKeyPEM {
                tls.certificateChain = try NIOSSLCertificate.fromPEMBytes(cert).map { .certificate($0) }
                tls.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: key, format: .pem))
            }
        } catch {
            throw KubeConfigError("\(config.source): TLS material cannot be used: \(error)")
        }
        return tls
    }

    // MARK: - KubeAPI

    public func get(_ resource: ResourceType, namespace: String?, name: String, subresource: String?) async throws -> JSONValue {
        let path = resource.objectPath(namespace: objectNamespace(resource, namespace), name: name, subresource: subresource)
        return try await perform(APIRequest(verb: "get", method: .GET, path: path, repeatable: true))
    }

    public func list(_ resource: ResourceType, namespace: String?, options: ListOptions) async throws -> ObjectList {
        var q = QueryItems()
        q.add("labelSelector", options.labelSelector)
        q.add("fieldSelector", options.fieldSelector)
        q.add("limit", options.limit.map(String.init))
        q.add("continue", options.continueToken)
        q.add("resourceVersion", options.resourceVersion)
        let json = try await perform(
            APIRequest(verb: "list", method: .GET, path: resource.collectionPath(namespace: namespace), query: q, repeatable: true))
        guard let rawItems = json["items"].arrayValue ?? (json["items"].isNull ? [] : nil) else {
            throw KubeAPIError.transport("list \(resource): response has no items array")
        }
        // kube-apiserver leaves kind/apiVersion off list items; put them back so each item stands alone.
        let items = rawItems.map { item -> JSONValue in
            var o = item
            if o["kind"].isNull { o["kind"] = .string(resource.kind) }
            if o["apiVersion"].isNull { o["apiVersion"] = .string(resource.apiVersion) }
            return o
        }
        let cont = json["metadata"]["continue"].stringValue
        return ObjectList(
            items: items, resourceVersion: json["metadata"]["resourceVersion"].stringValue ?? "",
            continueToken: (cont?.isEmpty ?? true) ? nil : cont)
    }

    public func create(_ resource: ResourceType, namespace: String?, _ object: JSONValue) async throws -> JSONValue {
        let ns = objectNamespace(resource, namespace ?? object.namespace)
        return try await perform(
            APIRequest(
                verb: "create", method: .POST, path: resource.collectionPath(namespace: ns), query: writeQuery(),
                body: object.serializedBytes(), contentType: "application/json", repeatable: false))
    }

    public func update(_ resource: ResourceType, namespace: String?, _ object: JSONValue, subresource: String?) async throws -> JSONValue {
        guard let name = object.name, !name.isEmpty else {
            throw KubeAPIError.badRequest(APIStatus(code: 400, reason: "BadRequest", message: "update \(resource): metadata.name is missing"))
        }
        let ns = objectNamespace(resource, namespace ?? object.namespace)
        let hasVersion = !(object.resourceVersion ?? "").isEmpty
        return try await perform(
            APIRequest(
                verb: "update", method: .PUT, path: resource.objectPath(namespace: ns, name: name, subresource: subresource),
                query: writeQuery(), body: object.serializedBytes(), contentType: "application/json", repeatable: hasVersion))
    }

    public func patch(
        _ resource: ResourceType, namespace: String?, name: String, type: PatchType, _ patch: JSONValue, subresource: String?
    ) async throws -> JSONValue {
        let path = resource.objectPath(namespace: objectNamespace(resource, namespace), name: name, subresource: subresource)
        return try await perform(
            APIRequest(
                verb: "patch", method: .PATCH, path: path, query: writeQuery(), body: patch.serializedBytes(),
                contentType: type.contentType, repeatable: type != .json))
    }

    @discardableResult
    public func delete(_ resource: ResourceType, namespace: String?, name: String, options: DeleteOptions) async throws -> JSONValue {
        var q = QueryItems()
        if self.options.dryRun { q.add("dryRun", "All") }
        let path = resource.objectPath(namespace: objectNamespace(resource, namespace), name: name)
        return try await perform(
            APIRequest(
                verb: "delete", method: .DELETE, path: path, query: q, body: options.body.serializedBytes(),
                contentType: "application/json", repeatable: true))
    }

    public func watch(_ resource: ResourceType, namespace: String?, options: WatchOptions) async throws
        -> AsyncThrowingStream<WatchEvent, any Error>
    {
        try await openWatch(resource, namespace: namespace, options: options)
    }

    // MARK: - Extras

    /// GET of any path (e.g. `/version`, `/apis`), with the same auth, limits and retries.
    public func getPath(_ path: String) async throws -> JSONValue {
        try await perform(APIRequest(verb: "get", method: .GET, path: path, repeatable: true))
    }

    /// Follows `continue` tokens until the whole collection is read. The result carries
    /// the resourceVersion of the last page (the snapshot all pages belong to).
    public func listAll(_ resource: ResourceType, namespace: String?, options: ListOptions = ListOptions(), pageSize: Int = 500)
        async throws -> ObjectList
    {
        var opts = options
        opts.limit = options.limit ?? pageSize
        var all: [JSONValue] = []
        while true {
            let page = try await list(resource, namespace: namespace, options: opts)
            all.append(contentsOf: page.items)
            guard let next = page.continueToken else {
                return ObjectList(items: all, resourceVersion: page.resourceVersion)
            }
            opts.continueToken = next
            opts.resourceVersion = nil  // the continue token pins the snapshot
        }
    }

    func objectNamespace(_ resource: ResourceType, _ namespace: String?) -> String? {
        guard resource.namespaced else { return nil }
        if let ns = namespace, !ns.isEmpty { return ns }
        return config.namespace
    }

    func writeQuery() -> QueryItems {
        var q = QueryItems()
        q.add("fieldManager", options.fieldManager)
        if options.dryRun { q.add("dryRun", "All") }
        return q
    }
}
