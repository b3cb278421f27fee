import Controllers
import Foundation
import KubeClient
import KubeCore
import KubeRuntime
import KubeTestServer
import Logging
import SerinAPI
import Synchronization
import Testing
import SerinTestSupport

/// YAML manifests as JSON values (every document of a stream).
enum Manifest {
    static func documents(_ text: String) throws -> [JSONValue] {
        try JSONValue.documents(yaml: text)
    }

    /// The repository root (this file is Tests/ControllersTests/CanaryEnvironment.swift).
    static var repoRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    static func crd(_ file: String) throws -> JSONValue {
        let text = try String(contentsOf: repoRoot.appendingPathComponent("crds/\(file)"), encoding: .utf8)
        return try #require(documents(text).first)
    }
}

/// A test API server (over HTTPS, with a real KubeClient), the workload simulator, a fake
/// Prometheus and webhook receiver, and a Manager running the Canary controller on a
/// ManualClock that the test moves.
final class CanaryEnvironment: HarnessEnvironment {
    let harness: ControllerHarness
    let hooks: ScriptedHTTPServer


    private init(harness: ControllerHarness, hooks: ScriptedHTTPServer) {
        self.harness = harness
        self.hooks = hooks
    }

    static func start() async throws -> CanaryEnvironment {
        let harness = try await ControllerHarness.start(
            crds: ["canaries.yaml", "metrictemplates.yaml"], routerCRDs: true,
            served: [.canaries, .metricTemplates, .httpRoutes, .virtualServices, .destinationRules], simulator: true)
        let env = CanaryEnvironment(harness: harness, hooks: try await ScriptedHTTPServer.start())
        env.hooks.script { _ in (200, "{}") }
        return env
    }

    /// Starts a Manager (a fresh one: a restarted operator) running the Canary controller.
    @discardableResult
    func startOperator(provider: String = "istio", maxConcurrentReleasesPerNamespace: Int? = nil,
                       ownSelector: String? = nil) async -> Manager {
        var config = CanaryControllerConfig()
        config.maxConcurrentReleasesPerNamespace = maxConcurrentReleasesPerNamespace
        config.defaultProvider = provider
        config.metricsServer = prometheus.address
        config.workers = 2
        config.pollSeconds = 5
        config.webhookRetryDelay = .milliseconds(10)
        return await harness.startOperator(ownSelector: ownSelector) { await CanaryController.register(on: $0, config: config) }
    }

    func stop() async {
        await harness.stop()
        await hooks.stop()
    }

    /// Runs `body` with a fresh environment, stopping it afterwards whatever happens.
    static func with(_ body: (CanaryEnvironment) async throws -> Void) async throws {
        try await withEnvironment(start, stop: { await $0.stop() }, body)
    }

    // MARK: - Time

    /// Moves the operator's clock `step` at a time (pausing briefly in real time so reconciles
    /// run) until `condition` holds; false when `timeout` (real time) passes first.
    func drive(step: Duration = .seconds(2), timeout: Duration = .seconds(30),
               until condition: @Sendable () async throws -> Bool) async rethrows -> Bool {
        try await harness.drive(step: step, timeout: timeout, until: condition)
    }

    // Closure-free waits for use inside #expect: a closure literal inside a macro argument
    // can be mixed up with another closure of the same function by the compiler (seen with
    // Swift 6.3: "function type mismatch, declared as … but used as …").

    func waitPhase(_ name: String, _ phase: String, timeout: Duration = .seconds(60)) async -> Bool {
        await drive(timeout: timeout) { await self.phase(name) == phase }
    }

    func waitWeight(_ name: String, _ weight: Int, timeout: Duration = .seconds(30)) async -> Bool {
        await drive(timeout: timeout) { await self.status(name)["canaryWeight"].intValue == weight }
    }

    /// Whether the Deployment's spec.replicas reaches `replicas`: the operator writes a
    /// decision's status before carrying out its effects, so they follow a moment later.
    func waitReplicas(_ name: String, _ replicas: Int, timeout: Duration = .seconds(5)) async -> Bool {
        await eventually(timeout: timeout) { await self.deployment(name)?[path: ["spec", "replicas"]].intValue == replicas }
    }

    /// Whether an Event with `reason` (and `text` in its message) was recorded on the Canary;
    /// waits a little: Events are recorded just after the status write a test may have seen.
    func hasEvent(_ name: String, reason: String, containing text: String = "", type: String? = nil) async -> Bool {
        await eventually(timeout: .seconds(3)) { await self.findEvent(name, reason: reason, containing: text, type: type) }
    }

    private func findEvent(_ name: String, reason: String, containing text: String, type: String?) async -> Bool {
        for e in await events(about: name) where e["reason"].stringValue == reason {
            // ("x".contains("") is false with Foundation.)
            if !text.isEmpty, !(e["message"].stringValue ?? "").contains(text) { continue }
            if let type, e["type"].stringValue != type { continue }
            return true
        }
        return false
    }

    // MARK: - Objects

    func canary(_ name: String) async throws -> JSONValue {
        try await client.get(.canaries, namespace: namespace, name: name)
    }

    func status(_ name: String) async -> JSONValue {
        ((try? await canary(name)) ?? .null)["status"]
    }

    func phase(_ name: String) async -> String? { await status(name)["phase"].stringValue }

    func deployment(_ name: String) async -> JSONValue? {
        try? await client.get(.deployments, namespace: namespace, name: name)
    }

    func events(about name: String) async -> [JSONValue] {
        let list = (try? await client.list(.events, namespace: namespace))?.items ?? []
        return list.filter { $0["involvedObject"]["name"].stringValue == name && $0["involvedObject"]["kind"].stringValue == "Canary" }
    }

    /// A Deployment with the `app: NAME` selector and one container.
    static func deploymentManifest(_ name: String, namespace: String, image: String, replicas: Int = 2,
                                   configMap: String? = nil) -> JSONValue {
        var container: JSONValue = ["name": "app", "image": .string(image), "ports": [["containerPort": 3000]]]
        if let cm = configMap { container["envFrom"] = [["configMapRef": ["name": .string(cm)]]] }
        return [
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": ["name": .string(name), "namespace": .string(namespace), "labels": ["app": .string(name)]],
            "spec": [
                "replicas": .int(Int64(replicas)),
                "selector": ["matchLabels": ["app": .string(name)]],
                "template": [
                    "metadata": ["labels": ["app": .string(name)], "annotations": ["example.com/keep": "yes"]],
                    "spec": [
                        "containers": [container],
                        // A field Serin does not model: the primary must carry it too.
                        "topologySpreadConstraints": [["maxSkew": 1, "topologyKey": "zone", "whenUnsatisfiable": "ScheduleAnyway"]],
                    ],
                ],
            ],
        ]
    }

    func createDeployment(_ name: String, image: String, replicas: Int = 2, configMap: String? = nil) async throws {
        _ = try await client.create(.deployments, namespace: namespace,
                                    Self.deploymentManifest(name, namespace: namespace, image: image, replicas: replicas,
                                                            configMap: configMap))
    }

    /// A new release: the target's image changes.
    /// Creates Canary `name` delivering Deployment `name` (port 80, interval 1m, threshold 1)
    /// with `metrics`; `spec` adds or replaces top-level spec fields.
    func createCanary(_ name: String, metrics: [JSONValue], maxWeight: Int = 10, stepWeight: Int = 10,
                      spec extra: [String: JSONValue] = [:]) async throws {
        var spec: JSONValue = [
            "targetRef": ["apiVersion": "apps/v1", "kind": "Deployment", "name": .string(name)],
            "service": ["port": 80],
            "analysis": ["interval": "1m", "threshold": 1, "maxWeight": .int(Int64(maxWeight)),
                         "stepWeight": .int(Int64(stepWeight)), "metrics": .array(metrics)],
        ]
        for (k, v) in extra { spec[k] = v }
        _ = try await client.create(.canaries, namespace: namespace, [
            "apiVersion": "serin.dev/v1alpha1", "kind": "Canary",
            "metadata": ["name": .string(name), "namespace": .string(namespace)], "spec": spec,
        ])
    }

    func setImage(_ name: String, _ image: String) async throws {
        let d = try await client.get(.deployments, namespace: namespace, name: name)
        var containers = d[path: ["spec", "template", "spec", "containers"]].arrayValue ?? []
        containers[0]["image"] = .string(image)
        _ = try await client.patch(.deployments, namespace: namespace, name: name, type: .merge,
                                   ["spec": ["template": ["spec": ["containers": .array(containers)]]]])
    }

    /// The seed Canary (../shared/examples/seed-canary.yaml), its webhooks pointed at the
    /// local receiver.
    func seedCanary() throws -> JSONValue {
        var c = try #require(Manifest.documents(SeedCanary.yaml).first)
        var hooks = c[path: ["spec", "analysis", "webhooks"]].arrayValue ?? []
        for i in hooks.indices { hooks[i]["url"] = .string(self.hooks.baseURL + "/") }
        c[path: ["spec", "analysis", "webhooks"]] = .array(hooks)
        return c
    }

    func createSeed(mutate: (inout JSONValue) -> Void = { _ in }) async throws {
        var c = try seedCanary()
        mutate(&c)
        _ = try await client.create(.canaries, namespace: namespace, c)
    }

    func annotate(_ name: String, _ key: String, _ value: String) async throws {
        _ = try await client.patch(.canaries, namespace: namespace, name: name, type: .merge,
                                   ["metadata": ["annotations": [key: .string(value)]]])
    }
}
