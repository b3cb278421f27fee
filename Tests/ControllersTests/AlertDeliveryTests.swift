import Controllers
import Foundation
import KubeCore
import KubeRuntime
import Logging
import SerinAPI
import Testing
import SerinTestSupport

/// AlertProviders receiving a Canary's notifications through the Canary controller, against
/// the test API server, with real HTTP receivers (one that answers, one that hangs).
@Suite("Alerts: delivery during promotion and rollback", .serialized, .timeLimit(.minutes(2)))
struct AlertDeliveryTests {
    static let name = "shop"
    static let secretToken = "sekret-token-8f3a1c"

    /// A running operator with its own logs and metrics.
    struct Rig {
        let env: CanaryEnvironment
        let receiver: ScriptedHTTPServer
        let manager: Manager
        let metrics: CountingMetrics
        let logs: CapturedLogs

        func stop() async {
            await manager.shutdown(deadline: .seconds(10))
            await receiver.stop()
        }

        /// Bodies POSTed to `path`, as JSON.
        func bodies(_ path: String) -> [JSONValue] {
            receiver.requests.filter { $0.path == path }.compactMap { try? JSONValue(parsing: $0.body) }
        }

        func count(_ provider: String, _ result: String) -> Int64 {
            metrics.value("serin_alerts_total", [("provider", "microservices/\(provider)"), ("result", result)])
        }
    }

    static func start(_ env: CanaryEnvironment, timeout: Duration) async throws -> Rig {
        let receiver = try await ScriptedHTTPServer.start()
        receiver.script { req in
            req.path.hasPrefix("/broken") ? (500, "internal error") : (200, "ok")
        }
        _ = try await env.client.create(.customResourceDefinitions, namespace: nil, try Manifest.crd("alertproviders.yaml"))
        let served = await eventually(timeout: .seconds(5)) {
            (try? await env.client.list(.alertProviders, namespace: nil)) != nil
        }
        #expect(served)
        let metrics = CountingMetrics()
        let logs = CapturedLogs()
        var logger = Logger(label: "serin.test", factory: logs.handler)
        logger.logLevel = .debug
        let manager = Manager(api: env.client, options: ManagerOptions(clock: env.clock, logger: logger))
        var config = CanaryControllerConfig()
        config.defaultProvider = "istio"
        config.metricsServer = env.prometheus.address
        config.workers = 2
        config.webhookRetryDelay = .milliseconds(10)
        // Retries as in production, with waits short enough for the test's deadlines.
        config.alerts = AlertOptions(timeout: timeout, metricsFactory: metrics, retryDelay: .milliseconds(20))
        await CanaryController.register(on: manager, config: config)
        await manager.start()
        return Rig(env: env, receiver: receiver, manager: manager, metrics: metrics, logs: logs)
    }

    static func provider(_ env: CanaryEnvironment, _ name: String, _ spec: JSONValue) async throws {
        _ = try await env.client.create(.alertProviders, namespace: env.namespace, [
            "apiVersion": "serin.dev/v1alpha1", "kind": "AlertProvider",
            "metadata": ["name": .string(name), "namespace": .string(env.namespace)], "spec": spec,
        ])
    }

    static func secret(_ env: CanaryEnvironment, _ name: String, address: String) async throws {
        _ = try await env.client.create(.secrets, namespace: env.namespace, [
            "apiVersion": "v1", "kind": "Secret", "metadata": ["name": .string(name), "namespace": .string(env.namespace)],
            "data": ["address": .string(Data((address + "\n").utf8).base64EncodedString())],
        ])
    }

    static func canary(_ env: CanaryEnvironment, alerts: JSONValue) -> JSONValue {
        [
            "apiVersion": "serin.dev/v1alpha1", "kind": "Canary",
            "metadata": ["name": .string(name), "namespace": .string(env.namespace)],
            "spec": [
                "targetRef": ["apiVersion": "apps/v1", "kind": "Deployment", "name": .string(name)],
                "service": ["port": 80, "targetPort": 3000],
                "analysis": ["interval": "1m", "threshold": 2, "maxWeight": 20, "stepWeight": 10,
                             "metrics": [["name": "request-success-rate", "thresholdRange": ["min": 99]]],
                             "alerts": alerts],
            ],
        ]
    }

    /// Slack through a Secret, a generic receiver for everything, one for warnings and up (the
    /// alert's filter) and one for errors only (the provider's filter).
    static func standardProviders(_ rig: Rig) async throws -> JSONValue {
        let env = rig.env, base = rig.receiver.baseURL
        try await secret(env, "chat-webhook", address: "\(base)/slack/T0/B0/\(secretToken)")
        try await provider(env, "chat", ["type": "slack", "secretRef": ["name": "chat-webhook"], "channel": "#deploys",
                                         "username": "serin-bot"])
        try await provider(env, "audit", ["type": "generic", "address": .string("\(base)/generic")])
        try await provider(env, "audit-warn", ["type": "generic", "address": .string("\(base)/generic-warn")])
        try await provider(env, "pager", ["type": "generic", "address": .string("\(base)/pager"), "severity": "error"])
        return [
            ["name": "chat", "providerRef": ["name": "chat"]],
            ["name": "audit", "providerRef": ["name": "audit", "namespace": .string(env.namespace)]],
            ["name": "audit-warn", "severity": "warn", "providerRef": ["name": "audit-warn"]],
            ["name": "pager", "providerRef": ["name": "pager"]],
        ]
    }

    static func reasons(_ bodies: [JSONValue]) -> [String] { bodies.compactMap { $0["reason"].stringValue } }
    static func severities(_ bodies: [JSONValue]) -> Set<String> { Set(bodies.compactMap { $0["severity"].stringValue }) }

    @Test("a promoted canary: Slack (address from a Secret) and generic receivers get the milestones, filters hold")
    func promoted() async throws {
        try await CanaryEnvironment.with { env in
            let rig = try await Self.start(env, timeout: .seconds(5))
            do {
                let alerts = try await Self.standardProviders(rig)
                try await env.createDeployment(Self.name, image: "shop:1")
                _ = try await env.client.create(.canaries, namespace: env.namespace, Self.canary(env, alerts: alerts))
                #expect(await env.waitPhase(Self.name, "Initialized"))
                try await env.setImage(Self.name, "shop:2")
                #expect(await env.waitPhase(Self.name, "Succeeded"))

                let arrived = await eventually(timeout: .seconds(5)) {
                    Self.reasons(rig.bodies("/generic")).contains("Succeeded")
                        && rig.receiver.requests.contains { $0.path.hasPrefix("/slack/") && $0.body.contains("Promotion completed") }
                }
                #expect(arrived)
                let generic = rig.bodies("/generic")
                let reasons = Self.reasons(generic)
                #expect(reasons.first == "Initialized")
                #expect(reasons.contains("Succeeded"))
                #expect(reasons.contains("NewRevision"))
                #expect(!reasons.contains("Advance"))  // per-step events stay Events
                #expect(Self.severities(generic) == ["info"])
                // Batches from different reconciles are posted independently: find, do not assume order.
                let doneFound = generic.last { $0["reason"] == "Succeeded" }
                let done = try #require(doneFound)
                #expect(done["name"] == "shop")
                #expect(done["namespace"] == "microservices")
                #expect(done["kind"] == "Canary")
                #expect(done["phase"] == "Succeeded")
                #expect(done["fields"]["Target"] == "Deployment/shop.microservices")

                let slack = rig.receiver.requests.filter { $0.path == "/slack/T0/B0/\(Self.secretToken)" }
                    .compactMap { try? JSONValue(parsing: $0.body) }
                let promotedPostFound = slack.last { ($0["text"].stringValue ?? "").contains("Promotion completed") }
                let promotedPost = try #require(promotedPostFound)
                #expect(promotedPost["channel"] == "#deploys")
                #expect(promotedPost["username"] == "serin-bot")
                #expect(promotedPost["text"].stringValue?.hasPrefix("[info] Canary shop.microservices: Promotion completed!") == true)
                #expect(promotedPost["blocks"].arrayValue?.isEmpty == false)

                // Nothing reached the warn-and-up or the errors-only receivers.
                #expect(rig.bodies("/generic-warn").isEmpty)
                #expect(rig.bodies("/pager").isEmpty)
                // The counter moves once the answer is read, just after the receiver logged the POST.
                let counted = await eventually(timeout: .seconds(3)) {
                    rig.count("chat", "sent") == Int64(slack.count) && rig.count("audit", "sent") == Int64(generic.count)
                }
                #expect(counted, "sent: chat \(rig.count("chat", "sent"))/\(slack.count), audit \(rig.count("audit", "sent"))/\(generic.count)")
                #expect(rig.count("chat", "failed") == 0)
                // The Secret's address is never logged.
                let leaked = rig.logs.all.filter { $0.contains(Self.secretToken) }
                #expect(leaked.isEmpty, "\(leaked)")
            } catch {
                await rig.stop()
                throw error
            }
            await rig.stop()
        }
    }

    @Test("a rollback is not delayed by a provider that hangs, answers 500 or is missing; errors-only receives errors")
    func rolledBack() async throws {
        try await CanaryEnvironment.with { env in
            // A minute per POST: had the reconcile waited for the hanging provider, the
            // rollback below could not finish in time.
            let rig = try await Self.start(env, timeout: .seconds(60))
            let silent = try await SilentHTTPServer.start()
            do {
                var alerts = try await Self.standardProviders(rig).arrayValue ?? []
                let base = rig.receiver.baseURL
                try await Self.provider(env, "stuck", ["type": "msteams", "address": .string(silent.baseURL + "/hook")])
                try await Self.provider(env, "broken", ["type": "discord", "address": .string("\(base)/broken")])
                try await Self.secret(env, "broken-webhook", address: "\(base)/broken/\(Self.secretToken)")
                try await Self.provider(env, "broken-secret", ["type": "slack", "secretRef": ["name": "broken-webhook"]])
                alerts += [
                    ["name": "stuck", "providerRef": ["name": "stuck"]],
                    ["name": "broken", "providerRef": ["name": "broken"]],
                    ["name": "broken-secret", "providerRef": ["name": "broken-secret"]],
                    ["name": "ghost", "providerRef": ["name": "ghost"]],
                ]
                try await env.createDeployment(Self.name, image: "shop:1")
                _ = try await env.client.create(.canaries, namespace: env.namespace, Self.canary(env, alerts: .array(alerts)))
                #expect(await env.waitPhase(Self.name, "Initialized"))
                let hanging = await eventually(timeout: .seconds(5)) { silent.requests > 0 }
                #expect(hanging, "the hanging provider was never called")

                try await env.setImage(Self.name, "shop:2")
                #expect(await env.waitWeight(Self.name, 10))
                env.prometheus.set { $0.successRate = 90 }
                let start = ContinuousClock.now
                let failed = await env.waitPhase(Self.name, "Failed", timeout: .seconds(30))
                let took = ContinuousClock.now - start
                #expect(failed)
                #expect(took < .seconds(20), "rollback took \(took)")
                // Still hanging when the rollback was done: not one POST to it has ended.
                #expect(rig.count("stuck", "failed") == 0)
                #expect(rig.count("stuck", "sent") == 0)
                #expect(await env.waitReplicas(Self.name, 0))

                // Each provider is posted to on its own: wait for all three to have the end.
                let paged = await eventually(timeout: .seconds(5)) {
                    Self.reasons(rig.bodies("/pager")).contains("Failed")
                        && Self.reasons(rig.bodies("/generic-warn")).contains("Failed")
                        && rig.receiver.requests.contains { $0.path.hasPrefix("/slack/") && $0.body.contains("Canary failed!") }
                }
                #expect(paged)
                #expect(Self.reasons(rig.bodies("/pager")) == ["RollingBack", "Failed"])
                #expect(Self.severities(rig.bodies("/pager")) == ["error"])
                let warned = Self.reasons(rig.bodies("/generic-warn"))
                #expect(Set(warned) == ["Halt", "RollingBack", "Failed"])
                #expect(Self.severities(rig.bodies("/generic-warn")) == ["warn", "error"])
                let chatFailed = rig.receiver.requests.contains { $0.path.hasPrefix("/slack/") && $0.body.contains("Canary failed!") }
                #expect(chatFailed)

                // Failures are counted and logged, with the reason and without the address.
                let counted = await eventually(timeout: .seconds(5)) {
                    rig.count("broken", "failed") > 0 && rig.count("broken-secret", "failed") > 0
                        && rig.count("ghost", "failed") > 0
                }
                #expect(counted)
                let failures = rig.logs.all.filter { $0.contains("alert delivery failed") }
                let condition1 = failures.contains { $0.contains("provider=microservices/broken ") && $0.contains("HTTP 500") }
                #expect(condition1)
                let condition2 = failures.contains { $0.contains("provider=microservices/broken-secret ") && $0.contains("HTTP 500") }
                #expect(condition2)
                let condition3 = failures.contains { $0.contains("AlertProvider microservices/ghost not found") }
                #expect(condition3)
                let leaked = rig.logs.all.filter { $0.contains(Self.secretToken) }
                #expect(leaked.isEmpty, "\(leaked)")
                let events = await env.events(about: Self.name)
                let condition4 = !events.contains { ($0["message"].stringValue ?? "").contains(Self.secretToken) }
                #expect(condition4)
            } catch {
                await silent.stop()
                await rig.stop()
                throw error
            }
            await silent.stop()
            await rig.stop()
        }
    }
}
