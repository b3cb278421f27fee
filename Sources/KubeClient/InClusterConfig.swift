import Foundation

/// Where a pod finds its service-account credentials; injectable so tests use temp files.
public struct InClusterPaths: Sendable, Equatable {
    public var token: String
    public var certificateAuthority: String
    public var namespace: String

    public init(token: String, certificateAuthority: String, namespace: String) {
        self.token = token
        self.certificateAuthority = certificateAuthority
        self.namespace = namespace
    }

    public init(directory: String) {
        self.init(
            token: directory + "/token", certificateAuthority: directory + "/ca.crt",
            namespace: directory + "/namespace")
    }

    public static let `default` = InClusterPaths(directory: "/var/run/secrets/kubernetes.io/serviceaccount")
}

extension KubeConfig {
    /// True when the process looks like it runs in a pod (`KUBERNETES_SERVICE_HOST` and `_PORT` set).
    public static func isInCluster(environment: [String: String] = ProcessInfo.processInfo.environment) -> Bool {
        !(environment["KUBERNETES_SERVICE_HOST"] ?? "").isEmpty && !(environment["KUBERNETES_SERVICE_PORT"] ?? "").isEmpty
    }

    /// The pod's service account: server from the environment, CA and namespace from the
    /// mounted files, and the token file re-read as the kubelet rotates it.
    public static func inCluster(
        environment: [String: String] = ProcessInfo.processInfo.environment, paths: InClusterPaths = .default
    ) throws -> KubeConfig {
        guard let host = environment["KUBERNETES_SERVICE_HOST"], !host.isEmpty,
            let port = environment["KUBERNETES_SERVICE_PORT"], !port.isEmpty
        else {
            throw KubeConfigError("in-cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be set")
        }
        let hostPart = host.contains(":") ? "[\(host)]" : host  // IPv6 literal
        func read(_ path: String, _ what: String) throws -> [UInt8] {
            do {
                return Array(try Data(contentsOf: URL(fileURLWithPath: path)))
            } catch {
                throw KubeConfigError("in-cluster: \(what) \(path): cannot read: \(shortIOError(error))")
            }
        }
        let token = String(decoding: try read(paths.token, "service-account token"), as: UTF8.self)
        if token.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            throw KubeConfigError("in-cluster: service-account token \(paths.token) is empty")
        }
        let ca = try read(paths.certificateAuthority, "service-account CA")
        let reader = FieldReader(entry: KubeconfigEntry(file: "in-cluster", body: .null), prefix: "in-cluster")
        try reader.validateCertificates(ca, field: "service-account CA \(paths.certificateAuthority)")
        var namespace = "default"
        if let ns = try? read(paths.namespace, "namespace") {
            let s = String(decoding: ns, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            if !s.isEmpty { namespace = s }
        }
        return KubeConfig(
            server: "https://\(hostPart):\(port)", certificateAuthorityPEM: ca,
            credentials: .bearerTokenFile(paths.token), namespace: namespace, source: "in-cluster")
    }

    /// Picks the configuration the way controller-runtime does: an explicit kubeconfig path,
    /// then `$KUBECONFIG` (a colon-separated list, merged), then the in-cluster service
    /// account when running in a pod, then `~/.kube/config`. `context` overrides the
    /// kubeconfig's current context (it is an error with in-cluster configuration).
    public static func resolve(
        kubeconfigPath: String? = nil, context: String? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        homeDirectory: String? = nil, inClusterPaths: InClusterPaths = .default
    ) throws -> KubeConfig {
        if let path = kubeconfigPath, !path.isEmpty {
            return try load(kubeconfigPath: path, context: context)
        }
        if let list = environment["KUBECONFIG"], !list.isEmpty {
            return try load(kubeconfigPaths: kubeconfigPaths(fromEnvironmentValue: list), context: context)
        }
        if isInCluster(environment: environment) {
            if let context {
                throw KubeConfigError("in-cluster: --context \"\(context)\" needs a kubeconfig (--kubeconfig or $KUBECONFIG)")
            }
            return try inCluster(environment: environment, paths: inClusterPaths)
        }
        let home = homeDirectory ?? environment["HOME"] ?? NSHomeDirectory()
        let path = (home as NSString).appendingPathComponent(".kube/config")
        guard FileManager.default.fileExists(atPath: path) else {
            throw KubeConfigError(
                "no configuration: no --kubeconfig, $KUBECONFIG unset, not in a cluster, and \(path) does not exist")
        }
        return try load(kubeconfigPath: path, context: context)
    }
}
