import Foundation
import NIOSSL

extension KubeConfig {
    /// Reads one kubeconfig file. `context` overrides its `current-context`.
    public static func load(kubeconfigPath: String, context: String? = nil) throws -> KubeConfig {
        try load(kubeconfigPaths: [kubeconfigPath], context: context, skipMissing: false)
    }

    /// Reads several kubeconfig files merged the way kubectl merges `$KUBECONFIG`: for each
    /// cluster, context and user name the first file that defines it wins, and so does the
    /// first `current-context`. Relative file references resolve against the directory of
    /// the file that holds them. Missing files are skipped when `skipMissing` (as kubectl
    /// does for `$KUBECONFIG` entries).
    public static func load(kubeconfigPaths: [String], context: String? = nil, skipMissing: Bool = true) throws -> KubeConfig {
        var merged = MergedKubeconfig()
        var readAny = false
        for path in kubeconfigPaths where !path.isEmpty {
            guard let text = try readKubeconfigText(path, skipMissing: skipMissing) else { continue }
            readAny = true
            try merged.add(file: path, tree: try parseYAML(text, file: path))
        }
        let label = kubeconfigPaths.filter { !$0.isEmpty }.joined(separator: ":")
        guard readAny else { throw KubeConfigError("\(label): no kubeconfig file found") }
        return try merged.resolve(context: context, label: label)
    }

    /// Splits a `$KUBECONFIG` value (colon-separated), dropping empty entries and repeats.
    public static func kubeconfigPaths(fromEnvironmentValue value: String) -> [String] {
        var seen = Set<String>()
        return value.split(separator: ":", omittingEmptySubsequences: true).map(String.init)
            .filter { seen.insert($0).inserted }
    }

    static func readKubeconfigText(_ path: String, skipMissing: Bool) throws -> String? {
        if skipMissing, !FileManager.default.fileExists(atPath: path) { return nil }
        do {
            return try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw KubeConfigError("\(path): cannot read kubeconfig: \(shortIOError(error))")
        }
    }

    static func parseYAML(_ text: String, file: String) throws -> YAMLTree {
        do {
            return try YAMLTree.parse(text)
        } catch {
            throw KubeConfigError("\(file): not valid YAML: \(error)")
        }
    }
}

/// One named entry (cluster, context or user) and the file it came from.
struct KubeconfigEntry {
    var file: String
    var body: YAMLTree
}

struct MergedKubeconfig {
    var clusters: [String: KubeconfigEntry] = [:]
    var contexts: [String: KubeconfigEntry] = [:]
    var users: [String: KubeconfigEntry] = [:]
    var currentContext: String?

    mutating func add(file: String, tree: YAMLTree) throws {
        if tree.isNull { return }  // an empty file is an empty config, as for kubectl
        guard case .mapping = tree else { throw KubeConfigError("\(file): expected a mapping at the top level, found \(tree.kindName)") }
        try Self.addEntries(tree["clusters"], section: "clusters", inner: "cluster", file: file, into: &clusters)
        try Self.addEntries(tree["contexts"], section: "contexts", inner: "context", file: file, into: &contexts)
        try Self.addEntries(tree["users"], section: "users", inner: "user", file: file, into: &users)
        if currentContext == nil, let c = tree["current-context"].string, !c.isEmpty { currentContext = c }
    }

    static func addEntries(
        _ list: YAMLTree, section: String, inner: String, file: String, into map: inout [String: KubeconfigEntry]
    ) throws {
        switch list {
        case .null: return
        case .sequence(let items):
            for (i, item) in items.enumerated() {
                guard let name = item["name"].string, !name.isEmpty else {
                    throw KubeConfigError("\(file): \(section)[\(i)]: name is missing")
                }
                let body = item[inner]
                if !body.isNull, case .mapping = body {} else if !body.isNull {
                    throw KubeConfigError("\(file): \(section)[\(i)] \"\(name)\": \(inner) must be a mapping, found \(body.kindName)")
                }
                if map[name] == nil { map[name] = KubeconfigEntry(file: file, body: body) }
            }
        default:
            throw KubeConfigError("\(file): \(section) must be a list, found \(list.kindName)")
        }
    }

    func resolve(context requested: String?, label: String) throws -> KubeConfig {
        guard let contextName = requested ?? currentContext else {
            throw KubeConfigError("\(label): no current-context is set and no context was given")
        }
        guard let ctx = contexts[contextName] else {
            throw KubeConfigError("\(label): context \"\(contextName)\" not found")
        }
        let ctxPrefix = "\(ctx.file): context \"\(contextName)\""
        guard let clusterName = ctx.body["cluster"].string, !clusterName.isEmpty else {
            throw KubeConfigError("\(ctxPrefix): cluster is missing")
        }
        guard let cluster = clusters[clusterName] else {
            throw KubeConfigError("\(ctxPrefix): cluster \"\(clusterName)\" not found")
        }
        var config = try Self.readCluster(
            cluster, prefix: "\(cluster.file): context \"\(contextName)\": cluster \"\(clusterName)\"")
        if let userName = ctx.body["user"].string, !userName.isEmpty {
            guard let user = users[userName] else {
                throw KubeConfigError("\(ctxPrefix): user \"\(userName)\" not found")
            }
            try Self.readUser(user, prefix: "\(user.file): context \"\(contextName)\": user \"\(userName)\"", into: &config)
        }
        if let ns = ctx.body["namespace"].string, !ns.isEmpty { config.namespace = ns }
        config.contextName = contextName
        config.source = label
        return config
    }

    static func readCluster(_ entry: KubeconfigEntry, prefix: String) throws -> KubeConfig {
        let f = FieldReader(entry: entry, prefix: prefix)
        guard var server = try f.string("server"), !server.isEmpty else { throw f.error("server is missing") }
        if !server.contains("://") { server = "https://" + server }  // kubectl assumes https
        guard let url = URL(string: server), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme),
            url.host != nil
        else { throw f.error("server \"\(server)\" is not an http(s) URL") }
        let insecure = try f.bool("insecure-skip-tls-verify") ?? false
        // Inline data wins over a file reference, as in client-go.
        let ca = try f.pemData("certificate-authority-data") ?? f.pemFile("certificate-authority")
        if let ca {
            if insecure { throw f.error("certificate-authority and insecure-skip-tls-verify cannot both be set") }
            try f.validateCertificates(ca, field: f.has("certificate-authority-data") ? "certificate-authority-data" : "certificate-authority")
        }
        return KubeConfig(
            server: server, certificateAuthorityPEM: ca, insecureSkipTLSVerify: insecure,
            tlsServerName: try f.string("tls-server-name"), source: entry.file)
    }

    static func readUser(_ entry: KubeconfigEntry, prefix: String, into config: inout KubeConfig) throws {
        let f = FieldReader(entry: entry, prefix: prefix)
        let certField = f.has("client-certificate-data") ? "client-certificate-data" : "client-certificate"
        let keyField = f.has("client-key-data") ? "client-key-data" : "client-key"
        let cert = try f.pemData("client-certificate-data") ?? f.pemFile("client-certificate")
        let key = try f.pemData("client-key-data") ?? f.pemFile("client-key")
        switch (cert, key) {
        case (let c?, let k?):
            try f.validateCertificates(c, field: certField)
            try f.validateKey(k, field: keyField)
        case (.some, nil): throw f.error("\(certField) is set but client-key(-data) is not")
        case (nil, .some): throw f.error("\(keyField) is set but client-certificate(-data) is not")
        case (nil, nil): break
        }
        config.clientCertificatePEM = cert
        config.clientKeyPEM = key

        if let token = try f.string("token"), !token.isEmpty {
            config.credentials = .bearerToken(token.trimmingCharacters(in: .whitespacesAndNewlines))
        } else if let tokenFile = try f.string("tokenFile"), !tokenFile.isEmpty {
            let path = f.resolvePath(tokenFile)
            // Read once now so a wrong path fails at start-up, naming the field.
            _ = try f.readFile(path, field: "tokenFile")
            config.credentials = .bearerTokenFile(path)
        } else if let user = try f.string("username"), !user.isEmpty {
            config.credentials = .basic(username: user, password: try f.string("password") ?? "")
        } else if cert == nil, f.has("exec") || f.has("auth-provider") {
            let what = f.has("exec") ? "exec" : "auth-provider"
            throw f.error("\(what) credentials are not supported; use a token, tokenFile or client certificate")
        }
    }
}

/// Reads fields of one cluster/user entry and words errors as
/// `<file>: context "<ctx>": user "<name>": <field> <problem>`.
struct FieldReader {
    var entry: KubeconfigEntry
    var prefix: String

    var body: YAMLTree { entry.body }

    func error(_ message: String) -> KubeConfigError { KubeConfigError("\(prefix): \(message)") }

    func has(_ field: String) -> Bool {
        if let s = body[field].string { return !s.isEmpty }
        return !body[field].isNull
    }

    func string(_ field: String) throws -> String? {
        let v = body[field]
        switch v {
        case .null: return nil
        case .scalar(let s): return s
        default: throw error("\(field) must be a string, found \(v.kindName)")
        }
    }

    func bool(_ field: String) throws -> Bool? {
        guard let s = try string(field) else { return nil }
        switch s.lowercased() {
        case "true": return true
        case "false": return false
        default: throw error("\(field) must be true or false, found \"\(s)\"")
        }
    }

    func pemData(_ field: String) throws -> [UInt8]? {
        guard let s = try string(field), !s.isEmpty else { return nil }
        // Go's decoder skips line breaks; anything else outside the alphabet is an error.
        let compact = s.filter { !$0.isWhitespace }
        guard let data = Data(base64Encoded: compact) else { throw error("\(field) is not valid base64") }
        return Array(data)
    }

    func pemFile(_ field: String) throws -> [UInt8]? {
        guard let p = try string(field), !p.isEmpty else { return nil }
        return try readFile(resolvePath(p), field: field)
    }

    func resolvePath(_ p: String) -> String {
        if p.hasPrefix("/") { return p }
        let dir = (entry.file as NSString).deletingLastPathComponent
        return dir.isEmpty ? p : (dir as NSString).appendingPathComponent(p)
    }

    func readFile(_ path: String, field: String) throws -> [UInt8] {
        do {
            return Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw self.error("\(field) \(path): cannot read: \(shortIOError(error))")
        }
    }

    func validateCertificates(_ pem: [UInt8], field: String) throws {
        let certs = try? NIOSSLCertificate.fromPEMBytes(pem)
        if certs?.isEmpty ?? true { throw error("\(field) does not hold a PEM certificate") }
    }

    func validateKey(_ pem: [UInt8], field: String) throws {
        if (try? NIOSSLPrivateKey(bytes: pem, format: .pem)) == nil {
            throw error("\(field) does not hold a PEM private key")
        }
    }
}

/// "No such file or directory" rather than Foundation's paragraph.
func shortIOError(_ error: any Error) -> String {
    let ns = error as NSError
    if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain,
        let msg = strerror(Int32(underlying.code))
    {
        return String(cString: msg)
    }
    if ns.domain == NSCocoaErrorDomain {
        switch ns.code {
        case NSFileReadNoSuchFileError: return "No such file or directory"
        case NSFileReadNoPermissionError: return "Permission denied"
        default: break
        }
    }
    return ns.localizedDescription
}
