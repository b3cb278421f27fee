import Foundation
import Testing

@testable import KubeClient

@Suite("KubeConfig loading")
struct KubeConfigTests {
    /// A kubeconfig with one cluster, one user and one context named `dev`.
    func kubeconfig(cluster: String, user: String, context: String = "cluster: c1\n    user: bob", current: String? = "dev")
        -> String
    {
        """
        apiVersion: v1
        kind: Config
        clusters:
        - name: c1
          cluster:
        \(cluster.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n"))
        users:
        - name: bob
          user:
        \(user.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n"))
        contexts:
        - name: dev
          context:
            \(context)
        \(current.map { "current-context: \($0)" } ?? "")

        """
    }

    @Test func certificateAuthorityFromFileAndFromData() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        try dir.write("certs/ca.crt", Fixture.certPEM)
        // A relative path resolves against the kubeconfig's own directory.
        let fromFile = try dir.write(
            "a/config", kubeconfig(cluster: "server: https://10.1.2.3:6443\ncertificate-authority: ../certs/ca.crt", user: "token: abc"))
        let fromData = try dir.write(
            "b/config", kubeconfig(cluster: "server: https://10.1.2.3:6443\ncertificate-authority-data: \(Fixture.certB64)", user: "token: abc"))

        let a = try KubeConfig.load(kubeconfigPath: fromFile)
        let b = try KubeConfig.load(kubeconfigPath: fromData)
        #expect(a.server == "https://10.1.2.3:6443")
        #expect(a.certificateAuthorityPEM == Array(Fixture.certPEM.utf8))
        #expect(b.certificateAuthorityPEM == Array(Fixture.certPEM.utf8))
        #expect(a.insecureSkipTLSVerify == false)
        #expect(a.contextName == "dev")
        #expect(a.namespace == "default")
    }

    @Test func tokenAndTokenFile() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        try dir.write("secrets/tok", "file-token\n")
        let withToken = try dir.write("t1", kubeconfig(cluster: "server: https://k:6443", user: "token: \"12345\""))
        let withFile = try dir.write("t2", kubeconfig(cluster: "server: https://k:6443", user: "tokenFile: secrets/tok"))
        // A token of digits stays a string, not a YAML integer.
        #expect(try KubeConfig.load(kubeconfigPath: withToken).credentials == .bearerToken("12345"))
        #expect(try KubeConfig.load(kubeconfigPath: withFile).credentials == .bearerTokenFile(dir.path + "/secrets/tok"))
        // When both are set, token wins (client-go).
        let both = try dir.write("t3", kubeconfig(cluster: "server: https://k:6443", user: "token: inline\ntokenFile: secrets/tok"))
        #expect(try KubeConfig.load(kubeconfigPath: both).credentials == .bearerToken("inline"))
    }

    @Test func clientCertificateFromDataAndFiles() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        try dir.write("c.pem", Fixture.certPEM)
        try dir.write("k.pem", Fixture.keyPEM)
        let data = try dir.write(
            "d", kubeconfig(cluster: "server: https://k", user: "client-certificate-data: \(Fixture.certB64)\nclient-key-data: \(Fixture.keyB64)"))
        let files = try dir.write("f", kubeconfig(cluster: "server: https://k", user: "client-certificate: c.pem\nclient-key: k.pem"))
        for path in [data, files] {
            let c = try KubeConfig.load(kubeconfigPath: path)
            #expect(c.clientCertificatePEM == Array(Fixture.certPEM.utf8))
            #expect(c.clientKeyPEM == Array(Fixture.keyPEM.utf8))
            #expect(c.credentials == .none)
            // The description is safe to log: no key material.
            #expect(!c.description.contains("PRIVATE"))
        }
        // Server without a scheme means https, as for kubectl.
        #expect(try KubeConfig.load(kubeconfigPath: data).server == "https://k")
    }

    @Test func insecureSkipTLSVerify() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let p = try dir.write("i", kubeconfig(cluster: "server: https://k:6443/\ninsecure-skip-tls-verify: true", user: "token: t"))
        let c = try KubeConfig.load(kubeconfigPath: p)
        #expect(c.insecureSkipTLSVerify)
        #expect(c.certificateAuthorityPEM == nil)
        #expect(c.server == "https://k:6443")  // trailing slash dropped
        #expect(c.description.contains("TLS verification OFF"))
        #expect(!c.description.contains(": t,"))
    }

    @Test func contextSelectionAndNamespace() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let p = try dir.write(
            "config",
            """
            clusters:
            - name: prod
              cluster: {server: "https://prod:443"}
            - name: staging
              cluster: {server: "https://staging:443"}
            users:
            - name: alice
              user: {token: alice-token}
            - name: ci
              user: {username: ci, password: pw}
            contexts:
            - name: prod
              context: {cluster: prod, user: alice}
            - name: staging
              context: {cluster: staging, user: ci, namespace: team-a}
            - name: anon
              context: {cluster: staging}
            current-context: prod
            """)
        let cur = try KubeConfig.load(kubeconfigPath: p)
        #expect(cur.server == "https://prod:443")
        #expect(cur.credentials == .bearerToken("alice-token"))
        #expect(cur.namespace == "default")
        let st = try KubeConfig.load(kubeconfigPath: p, context: "staging")
        #expect(st.server == "https://staging:443")
        #expect(st.namespace == "team-a")
        #expect(st.contextName == "staging")
        #expect(st.credentials == .basic(username: "ci", password: "pw"))
        #expect(try KubeConfig.load(kubeconfigPath: p, context: "anon").credentials == .none)
    }

    @Test func mergedKubeconfigListFirstDefinitionWins() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        try dir.write("one/tok", "token-from-one")
        let one = try dir.write(
            "one/config",
            """
            clusters:
            - name: shared
              cluster: {server: "https://first:6443"}
            users:
            - name: u1
              user: {tokenFile: tok}
            contexts:
            - name: a
              context: {cluster: shared, user: u1, namespace: from-one}
            current-context: a
            """)
        let two = try dir.write(
            "two/config",
            """
            clusters:
            - name: shared
              cluster: {server: "https://second:6443"}
            - name: other
              cluster: {server: "https://other:6443"}
            users:
            - name: u2
              user: {token: two}
            contexts:
            - name: a
              context: {cluster: other, user: u2}
            - name: b
              context: {cluster: shared, user: u2}
            current-context: b
            """)
        let missing = dir.path + "/nope/config"
        let env = "\(one)::\(missing):\(two)"
        let paths = KubeConfig.kubeconfigPaths(fromEnvironmentValue: env)
        #expect(paths == [one, missing, two])

        let merged = try KubeConfig.load(kubeconfigPaths: paths)
        // current-context from the first file; context "a" from the first file too.
        #expect(merged.contextName == "a")
        #expect(merged.server == "https://first:6443")
        #expect(merged.namespace == "from-one")
        // tokenFile resolved against the directory of the file that named it.
        #expect(merged.credentials == .bearerTokenFile(dir.path + "/one/tok"))
        // Context b exists only in file two, its cluster "shared" comes from file one.
        let b = try KubeConfig.load(kubeconfigPaths: paths, context: "b")
        #expect(b.server == "https://first:6443")
        #expect(b.credentials == .bearerToken("two"))
        #expect(b.source == "\(one):\(missing):\(two)")

        // resolve() reads the same list from $KUBECONFIG.
        let r = try KubeConfig.resolve(environment: ["KUBECONFIG": env, "HOME": dir.path])
        #expect(r.contextName == "a")
    }

    @Test func brokenFieldsNameFileContextAndField() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        func message(_ cluster: String, _ user: String, context: String? = nil) throws -> String? {
            let p = try dir.write("config", kubeconfig(cluster: cluster, user: user))
            do {
                _ = try KubeConfig.load(kubeconfigPath: p, context: context)
                return nil
            } catch let e as KubeConfigError {
                return e.message
            }
        }
        let p = dir.path + "/config"
        let ok = "server: https://k:6443"
        #expect(try message(ok, "client-certificate-data: \(Fixture.certB64)\nclient-key-data: not*base64!") ==
            "\(p): context \"dev\": user \"bob\": client-key-data is not valid base64")
        #expect(try message(ok, "client-certificate-data: \(Data("hello".utf8).base64EncodedString())\nclient-key-data: \(Fixture.keyB64)") ==
            "\(p): context \"dev\": user \"bob\": client-certificate-data does not hold a PEM certificate")
        #expect(try message(ok, "client-certificate-data: \(Fixture.certB64)\nclient-key-data: \(Fixture.certB64)") ==
            "\(p): context \"dev\": user \"bob\": client-key-data does not hold a PEM private key")
        #expect(try message(ok, "client-certificate-data: \(Fixture.certB64)") ==
            "\(p): context \"dev\": user \"bob\": client-certificate-data is set but client-key(-data) is not")
        #expect(try message("server: https://k\ncertificate-authority: /nonexistent/ca.crt", "token: t") ==
            "\(p): context \"dev\": cluster \"c1\": certificate-authority /nonexistent/ca.crt: cannot read: No such file or directory")
        #expect(try message("server: https://k\ncertificate-authority-data: \(Fixture.certB64)\ninsecure-skip-tls-verify: true", "token: t") ==
            "\(p): context \"dev\": cluster \"c1\": certificate-authority and insecure-skip-tls-verify cannot both be set")
        #expect(try message("server: https://k\ninsecure-skip-tls-verify: maybe", "token: t") ==
            "\(p): context \"dev\": cluster \"c1\": insecure-skip-tls-verify must be true or false, found \"maybe\"")
        #expect(try message("insecure-skip-tls-verify: false", "token: t") ==
            "\(p): context \"dev\": cluster \"c1\": server is missing")
        #expect(try message(ok, "tokenFile: /nonexistent/token") ==
            "\(p): context \"dev\": user \"bob\": tokenFile /nonexistent/token: cannot read: No such file or directory")
        #expect(try message(ok, "exec: {command: aws}") ==
            "\(p): context \"dev\": user \"bob\": exec credentials are not supported; use a token, tokenFile or client certificate")
        #expect(try message(ok, "token: t", context: "prod") == "\(p): context \"prod\" not found")

        let noUser = try dir.write("nouser", kubeconfig(cluster: ok, user: "token: t", context: "cluster: c1\n    user: carol"))
        let operation1 = {
            try KubeConfig.load(kubeconfigPath: noUser)
        }
        #expect(throws: KubeConfigError("\(noUser): context \"dev\": user \"carol\" not found"), performing: operation1)
        let noCurrent = try dir.write("nocurrent", kubeconfig(cluster: ok, user: "token: t", current: nil))
        let operation2 = {
            try KubeConfig.load(kubeconfigPath: noCurrent)
        }
        #expect(throws: KubeConfigError("\(noCurrent): no current-context is set and no context was given"), performing: operation2)
        let badYAML = try dir.write("bad", "clusters: [\n")
        let operation3 = { try KubeConfig.load(kubeconfigPath: badYAML) }
        let e = #expect(throws: KubeConfigError.self, performing: operation3)
        #expect(e?.message.hasPrefix("\(badYAML): not valid YAML") == true)
        let notList = try dir.write("notlist", "clusters: {a: b}\n")
        let operation4 = {
            try KubeConfig.load(kubeconfigPath: notList)
        }
        #expect(throws: KubeConfigError("\(notList): clusters must be a list, found a mapping"), performing: operation4)
        let operation5 = {
            try KubeConfig.load(kubeconfigPath: dir.path + "/absent")
        }
        #expect(throws: KubeConfigError("\(dir.path)/absent: cannot read kubeconfig: No such file or directory"), performing: operation5)
    }

    @Test func brokenUserInSecondFileNamesThatFile() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let one = try dir.write(
            "one", "clusters: [{name: c, cluster: {server: 'https://k'}}]\ncontexts: [{name: dev, context: {cluster: c, user: bob}}]\ncurrent-context: dev\n")
        let two = try dir.write("two", "users: [{name: bob, user: {client-key-data: '%%%', client-certificate-data: '\(Fixture.certB64)'}}]\n")
        let operation6 = {
            try KubeConfig.load(kubeconfigPaths: [one, two])
        }
        #expect(throws: KubeConfigError("\(two): context \"dev\": user \"bob\": client-key-data is not valid base64"), performing: operation6)
    }
}
