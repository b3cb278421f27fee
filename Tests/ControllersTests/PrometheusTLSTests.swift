import Analysis
import Controllers
import Foundation
import KubeTestServer
import SerinAPI
import Testing

/// The metric provider's TLS settings against a real HTTPS server whose certificate is signed
/// by a private CA (the test API server's): trusting that CA, or skipping verification, gets
/// an HTTP answer through; the system roots alone refuse the handshake. The server is not
/// Prometheus: a request that gets through ends as a malformed answer quoting the Kubernetes
/// Status body (`status: "Failure"`), which is how the test tells "reached the server" from
/// "TLS refused".
@Suite(.serialized) struct PrometheusTLSTests {
    static func outcome(_ server: TestAPIServer, _ creds: MetricCredentials) async -> PrometheusError? {
        let client = PrometheusClient()
        defer { Task { try? await client.shutdown() } }
        do {
            _ = try await client.query("up", endpoint: PrometheusEndpoint(address: server.url, credentials: creds, timeout: 5))
            return nil
        } catch let e as PrometheusError {
            return e
        } catch {
            Issue.record("unexpected error \(error)")
            return nil
        }
    }

    static func reachedServer(_ e: PrometheusError?) -> Bool {
        e == .malformed("status \"Failure\"")
    }

    @Test func aCustomCAFromTheSecretIsTrusted() async throws {
        let (server, _) = try await TestServerConnection.start()
        defer { Task { try? await server.stop() } }
        let creds = MetricCredentials(secretData: ["token": server.token, "ca.crt": server.caCertificatePEM])
        let e = await Self.outcome(server, creds)
        #expect(Self.reachedServer(e), "\(String(describing: e))")
    }

    @Test func withoutTheCATheHandshakeIsRefusedWithAClearReason() async throws {
        let (server, _) = try await TestServerConnection.start()
        defer { Task { try? await server.stop() } }
        let e = await Self.outcome(server, MetricCredentials(bearerToken: server.token))
        guard case .connectionFailed(let address, let reason)? = e else {
            Issue.record("expected a refused TLS connection, got \(String(describing: e))")
            return
        }
        #expect(address.contains("127.0.0.1"))
        #expect(!reason.isEmpty)
        #expect(!reason.contains(server.token))
    }

    @Test func insecureSkipVerifyGetsThrough() async throws {
        let (server, _) = try await TestServerConnection.start()
        defer { Task { try? await server.stop() } }
        let creds = MetricCredentials(secretData: ["token": server.token], insecureSkipVerify: true)
        let e = await Self.outcome(server, creds)
        #expect(Self.reachedServer(e), "\(String(describing: e))")
    }

    @Test func anInvalidCABundleIsAnErrorNamingIt() async throws {
        let (server, _) = try await TestServerConnection.start()
        defer { Task { try? await server.stop() } }
        let creds = MetricCredentials(secretData: ["ca.crt": "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n"])
        let e = await Self.outcome(server, creds)
        #expect(e == .connectionFailed(address: server.url, reason: "the CA certificate is not valid PEM"))
    }
}

/// Flagger's webhook `disableTLS`: against an HTTPS server whose certificate the system roots do
/// not trust (the test API server's private CA), the hook reaches the server only with it set.
@Suite(.serialized) struct WebhookCallerTLSTests {
    @Test func disableTLSSkipsVerificationAndItsAbsenceRefusesTheHandshake() async throws {
        let (server, _) = try await TestServerConnection.start()
        defer { Task { try? await server.stop() } }
        let payload = WebhookPayload(name: "podinfo", namespace: "test", phase: .progressing, checksum: "c", metadata: nil)
        let verified = await WebhookCaller(retryDelay: .milliseconds(10))
            .call(CanaryWebhook(name: "gate", url: server.url, timeout: "5s"), payload: payload)
        #expect(!verified.passed)
        #expect(verified.statusCode == nil, "\(verified)")
        var hook = CanaryWebhook(name: "gate", url: server.url, timeout: "5s")
        hook.disableTLS = true
        let skipped = await WebhookCaller(retryDelay: .milliseconds(10)).call(hook, payload: payload)
        // The API server answers (an HTTP status, not a TLS failure).
        #expect(skipped.statusCode != nil, "\(skipped)")
    }
}
