import Foundation
import KubeClient
import KubeCore
import Testing
import SerinTestSupport

@Suite("KubeClient TLS and authentication over HTTPS")
struct ClientAuthTests {
    @Test func generatedCAAndTokenFromKubeconfig() async throws {
        try await withHarness { h, client in
            #expect(h.config.server == h.server.url)
            #expect(h.config.server.hasPrefix("https://127.0.0.1:"))
            let list = try await client.list(.namespaces, namespace: nil)
            #expect(!list.resourceVersion.isEmpty)
            // Items carry kind/apiVersion even though list items come without them.
            let condition1 = list.items.allSatisfy { $0["kind"] == "Namespace" && $0["apiVersion"] == "v1" }
            #expect(condition1)
        }
    }

    @Test func withoutTokenIs401AndWrongTokenToo() async throws {
        try await withHarness { h, _ in
            var anon = h.config
            anon.credentials = .none
            let c1 = try h.client(config: anon)
            defer { Task { try? await c1.shutdown() } }
            let e1 = await caught(KubeAPIError.self) { _ = try await c1.list(.namespaces, namespace: nil) }
            #expect(e1 != nil, "expected KubeAPIError to be thrown")
            guard case .unauthorized(let s)? = e1 else { Issue.record("expected 401, got \(String(describing: e1))"); return }
            #expect(s.code == 401)

            var wrong = h.config
            wrong.credentials = .bearerToken("not-the-token")
            let c2 = try h.client(config: wrong)
            defer { Task { try? await c2.shutdown() } }
            let e2 = await caught(KubeAPIError.self) { _ = try await c2.get(.namespaces, namespace: nil, name: "default") }
            #expect(e2 != nil, "expected KubeAPIError to be thrown")
            #expect(e2?.code == 401)
        }
    }

    @Test func unknownCAFailsFastWithoutRetriesAndInsecureSkipsVerification() async throws {
        try await withHarness { h, _ in
            var otherCA = h.config
            otherCA.certificateAuthorityPEM = Array(Fixture.certPEM.utf8)
            let c1 = try h.client(config: otherCA)
            defer { Task { try? await c1.shutdown() } }
            h.server.faults.resetCounts()
            let start = ContinuousClock.now
            let e = await caught(KubeAPIError.self) { _ = try await c1.list(.namespaces, namespace: nil) }
            #expect(e != nil, "expected KubeAPIError to be thrown")
            guard case .transport(let message)? = e else { Issue.record("expected transport error, got \(String(describing: e))"); return }
            #expect(message.contains("TLS"))
            #expect(ContinuousClock.now - start < .seconds(5))
            #expect(h.server.faults.requestCount() == 0)

            var insecure = h.config
            insecure.certificateAuthorityPEM = nil
            insecure.insecureSkipTLSVerify = true
            let c2 = try h.client(config: insecure)
            defer { Task { try? await c2.shutdown() } }
            #expect(try await c2.list(.namespaces, namespace: nil).resourceVersion.isEmpty == false)
        }
    }

    @Test func rotatedTokenFileIsReReadAfter401() async throws {
        try await withHarness { h, _ in
            let tokenPath = try h.dir.write("sa-token", "stale-token")
            var cfg = h.config
            cfg.credentials = .bearerTokenFile(tokenPath)
            var opts = Harness.fastOptions()
            opts.tokenRefreshInterval = .seconds(3600)
            let c = try h.client(opts, config: cfg)
            defer { Task { try? await c.shutdown() } }
            let thrown5 = await caught(KubeAPIError.self) { _ = try await c.list(.namespaces, namespace: nil) }
            #expect(thrown5 != nil, "expected KubeAPIError to be thrown")
            // The kubelet writes the new token; the cached one is stale, the server says 401,
            // the client re-reads the file and the same call succeeds (the cached token alone would fail).
            try h.dir.write("sa-token", h.server.token + "\n")
            let list = try await c.list(.namespaces, namespace: nil)
            #expect(!list.resourceVersion.isEmpty)
        }
    }

    @Test func connectionRefusedIsATransportErrorAfterBoundedRetries() async throws {
        // A port that was just free: nothing listens there.
        var cfg = KubeConfig(server: "http://127.0.0.1:1", credentials: .bearerToken("t"))
        cfg.source = "test"
        var opts = Harness.fastOptions()
        opts.retry = RetryPolicy(maxAttempts: 3, baseDelay: .milliseconds(10), maxDelay: .milliseconds(20), maxTotal: .seconds(5))
        let client = try KubeClient(config: cfg, options: opts)
        let e = await caught(KubeAPIError.self) {
            try await withDeadline(20) { try await client.get(.namespaces, namespace: nil, name: "x") }
        }
        #expect(e != nil, "expected KubeAPIError to be thrown")
        if case .transport(let m)? = e { #expect(m.contains("GET /api/v1/namespaces/x")) } else { Issue.record("got \(String(describing: e))") }
        try await client.shutdown()
    }
}
