import Controllers
import Foundation
import KubeClient
import KubeCore
import KubeTestServer
import Logging
import SerinAPI

/// A test API server holding AlertProviders and Secrets, and an AlertNotifier reading them:
/// the delivery path without a Canary controller, for each vendor's request shape.
struct AlertVendorRig {
    static let namespace = "ops"
    let server: TestAPIServer
    let client: KubeClient
    let logs = CapturedLogs()
    let metrics = CountingMetrics()

    static func start() async throws -> AlertVendorRig {
        let (server, client) = try await TestServerConnection.start()
        _ = try await client.create(.customResourceDefinitions, namespace: nil, try Manifest.crd("alertproviders.yaml"))
        _ = try await client.create(.namespaces, namespace: nil,
                                    ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": .string(namespace)]])
        for _ in 0..<100 where (try? await client.list(.alertProviders, namespace: nil)) == nil {
            try await Task.sleep(for: .milliseconds(20))
        }
        return AlertVendorRig(server: server, client: client)
    }

    func stop() async { try? await server.stop() }

    /// Creates the provider (and its Secret when `secret` is given).
    func provider(_ name: String, _ spec: JSONValue, secret: [String: String]? = nil) async throws {
        if let secret {
            var data: [String: JSONValue] = [:]
            for (k, v) in secret { data[k] = .string(Data(v.utf8).base64EncodedString()) }
            _ = try await client.create(.secrets, namespace: Self.namespace, [
                "apiVersion": "v1", "kind": "Secret",
                "metadata": ["name": .string(name + "-secret"), "namespace": .string(Self.namespace)],
                "data": .object(data),
            ])
        }
        var spec = spec
        if secret != nil { spec["secretRef"] = ["name": .string(name + "-secret")] }
        _ = try await client.create(.alertProviders, namespace: Self.namespace, [
            "apiVersion": "serin.dev/v1alpha1", "kind": "AlertProvider",
            "metadata": ["name": .string(name), "namespace": .string(Self.namespace)], "spec": spec,
        ])
    }

    /// Sends `messages` to the provider `name` and waits for the outcome.
    func deliver(_ messages: [AlertMessage], to name: String, options: AlertOptions? = nil) async -> [AlertNotifier.Delivery] {
        var logger = Logger(label: "serin.test", factory: logs.handler)
        logger.logLevel = .debug
        let opts = options ?? AlertOptions(timeout: .seconds(5), metricsFactory: metrics, attempts: 1)
        return await AlertNotifier(api: client, options: opts)
            .deliver(messages, alerts: [CanaryAlert(name: name, providerRef: CrossNamespaceRef(name: name))], logger: logger)
    }

    /// A message of release `rev` of the Canary `shop`.
    static func message(_ reason: String, _ severity: AlertSeverity, release: String = "rev-1",
                        text: String? = nil, at: Date = Date(timeIntervalSince1970: 1_800_000_000)) -> AlertMessage {
        AlertMessage(kind: "Canary", name: "shop", namespace: namespace, severity: severity, reason: reason,
                     text: text ?? "\(reason) shop.ops", phase: "Progressing",
                     fields: [AlertField("Target", "Deployment/shop.ops"), AlertField("Failed checks", "1/5")],
                     timestamp: at, release: release, weight: 20)
    }
}
