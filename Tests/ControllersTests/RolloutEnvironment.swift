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

/// A test API server with the Rollout and analysis CRDs (from crds/) and the router stand-ins,
/// the workload simulator (ReplicaSets get ready pods), a fake Prometheus over real HTTP, and
/// a Manager running the Rollout and AnalysisRun controllers on a ManualClock the test moves.
final class RolloutEnvironment: HarnessEnvironment {
    let harness: ControllerHarness


    private init(harness: ControllerHarness) { self.harness = harness }

    static func start() async throws -> RolloutEnvironment {
        RolloutEnvironment(harness: try await ControllerHarness.start(
            crds: ["rollouts.yaml", "analysisruns.yaml", "analysistemplates.yaml", "clusteranalysistemplates.yaml", "experiments.yaml"],
            routerCRDs: true, served: [.rollouts, .analysisRuns, .analysisTemplates, .virtualServices, .destinationRules, .httpRoutes, .experiments],
            simulator: true))
    }

    /// Starts a Manager (a fresh one: a restarted operator) with the Rollout, AnalysisRun and Experiment controllers.
    @discardableResult
    func startOperator() async -> Manager {
        var config = RolloutControllerConfig()
        config.workers = 2
        config.pollSeconds = 5
        var runs = AnalysisRunControllerConfig()
        runs.metricsServer = prometheus.address
        runs.workers = 2
        var experiments = ExperimentControllerConfig()
        experiments.workers = 2
        return await harness.startOperator {
            await RolloutController.register(on: $0, config: config)
            await AnalysisRunController.register(on: $0, config: runs)
            await ExperimentController.register(on: $0, config: experiments)
        }
    }

    func stop() async { await harness.stop() }

    static func with(_ body: (RolloutEnvironment) async throws -> Void) async throws {
        try await withEnvironment(start, stop: { await $0.stop() }, body)
    }

    // MARK: - Time

    /// Moves the operator's clock `step` at a time (pausing briefly in real time so reconciles
    /// run) until `condition` holds; false when `timeout` (real time) passes first.
    func drive(step: Duration = .seconds(2), timeout: Duration = .seconds(30),
               until condition: @Sendable () async throws -> Bool) async rethrows -> Bool {
        try await harness.drive(step: step, timeout: timeout, until: condition)
    }

    /// Moves the clock by `total` in `step`s regardless of what happens.
    func advance(_ total: Duration, step: Duration = .seconds(1)) async {
        var moved: Duration = .zero
        while moved < total {
            clock.advance(by: step)
            moved += step
            try? await Task.sleep(for: .milliseconds(4))
        }
    }

    // MARK: - Manifests

    static func example(_ file: String) throws -> String {
        try String(contentsOf: Manifest.repoRoot.appendingPathComponent("examples/\(file)"), encoding: .utf8)
    }

    /// The seed AnalysisTemplate, verbatim except for the Prometheus address (the fake's).
    func applySeedTemplate() async throws {
        var t = try #require(try Manifest.documents(try Self.example("seed-analysistemplate.yaml")).first)
        var metrics = t[path: ["spec", "metrics"]].arrayValue ?? []
        for i in metrics.indices { metrics[i][path: ["provider", "prometheus", "address"]] = .string(prometheus.address) }
        t[path: ["spec", "metrics"]] = .array(metrics)
        _ = try await client.create(.analysisTemplates, namespace: namespace, t)
    }

    /// The seed Rollout, exactly as in examples/ (only its apiVersion differs from Argo's).
    static func seedRollout() throws -> JSONValue {
        try #require(try Manifest.documents(try example("seed-rollout-bluegreen.yaml")).first)
    }

    /// A Service selecting `app: <app>` (Serin adds the pod-template hash).
    func createService(_ name: String, app: String) async throws {
        _ = try await client.create(.services, namespace: namespace, [
            "apiVersion": "v1", "kind": "Service",
            "metadata": ["name": .string(name), "namespace": .string(namespace)],
            "spec": ["selector": ["app": .string(app)], "ports": [["port": 80, "targetPort": 3000]]],
        ])
    }

    /// A Rollout of `app` with `replicas` pods and the given strategy JSON.
    func rolloutManifest(_ name: String, app: String, replicas: Int, image: String, strategy: JSONValue) -> JSONValue {
        [
            "apiVersion": "serin.dev/v1alpha1", "kind": "Rollout",
            "metadata": ["name": .string(name), "namespace": .string(namespace)],
            "spec": [
                "replicas": .int(Int64(replicas)),
                "selector": ["matchLabels": ["app": .string(app)]],
                "template": [
                    "metadata": ["labels": ["app": .string(app)]],
                    "spec": ["containers": [["name": .string(app), "image": .string(image), "ports": [["containerPort": 3000]]]]],
                ],
                "strategy": strategy,
            ],
        ]
    }

    // MARK: - Reading

    func rollout(_ name: String) async -> JSONValue {
        (try? await client.get(.rollouts, namespace: namespace, name: name)) ?? .null
    }

    func status(_ name: String) async -> JSONValue { await rollout(name)["status"] }
    func phase(_ name: String) async -> String? { await status(name)["phase"].stringValue }

    func selector(_ service: String) async -> String? {
        (try? await client.get(.services, namespace: namespace, name: service))?[
            path: ["spec", "selector", RolloutLabels.podTemplateHash]].stringValue
    }

    func replicaSets(of name: String) async -> [JSONValue] {
        let uid = await rollout(name).uid
        let list = (try? await client.list(.replicaSets, namespace: namespace))?.items ?? []
        return list.filter { rs in rs.ownerReferences.contains { $0["uid"].stringValue == uid } }
    }

    func replicaSet(hash: String?) async -> JSONValue? {
        guard let hash else { return nil }
        let list = (try? await client.list(.replicaSets, namespace: namespace))?.items ?? []
        return list.first { $0.labels[RolloutLabels.podTemplateHash] == hash }
    }

    func replicas(hash: String?) async -> Int? { await replicaSet(hash: hash)?[path: ["spec", "replicas"]].intValue }

    // The operator writes a decision's status before carrying out its effects, so a Service
    // selector or a ReplicaSet's scale follows the status a test waited for a moment later.

    /// Whether `service` selects `hash` within `timeout` (real time).
    func selectorBecomes(_ service: String, _ hash: String?, timeout: Duration = .seconds(5)) async -> Bool {
        await eventually(timeout: timeout) { await self.selector(service) == hash }
    }

    /// Whether the ReplicaSet of `hash` wants `replicas` within `timeout` (real time).
    func replicasBecome(hash: String?, _ replicas: Int?, timeout: Duration = .seconds(5)) async -> Bool {
        await eventually(timeout: timeout) { await self.replicas(hash: hash) == replicas }
    }

    func runs() async -> [JSONValue] {
        (try? await client.list(.analysisRuns, namespace: namespace))?.items ?? []
    }

    func runPhase(_ name: String) async -> String? {
        (try? await client.get(.analysisRuns, namespace: namespace, name: name))?["status"]["phase"].stringValue
    }

    func events(about name: String) async -> [JSONValue] {
        let list = (try? await client.list(.events, namespace: namespace))?.items ?? []
        return list.filter { $0["involvedObject"]["name"].stringValue == name && $0["involvedObject"]["kind"].stringValue == "Rollout" }
    }

    func hasEvent(_ name: String, reason: String, containing text: String = "") async -> Bool {
        await eventually(timeout: .seconds(3)) {
            await self.events(about: name).contains {
                $0["reason"].stringValue == reason && (text.isEmpty || ($0["message"].stringValue ?? "").contains(text))
            }
        }
    }

    func annotate(_ name: String, _ key: String, _ value: String) async throws {
        _ = try await client.patch(.rollouts, namespace: namespace, name: name, type: .merge,
                                   ["metadata": ["annotations": [key: .string(value)]]])
    }

    func setImage(_ name: String, _ image: String) async throws {
        let r = await rollout(name)
        var containers = r[path: ["spec", "template", "spec", "containers"]].arrayValue ?? []
        containers[0]["image"] = .string(image)
        _ = try await client.patch(.rollouts, namespace: namespace, name: name, type: .merge,
                                   ["spec": ["template": ["spec": ["containers": .array(containers)]]]])
    }
}

/// Records what a user watching a Rollout sees: each distinct (phase, step, active, preview,
/// weight) in order, with the operator's clock at the time.
final class RolloutRecorder: Sendable {
    struct Sample: Sendable, Hashable, CustomStringConvertible {
        var phase: String
        var step: Int?
        var weight: Int?
        var selectors: [String]
        /// `hash:replicas` of each ReplicaSet, oldest revision first.
        var pods: [String]
        var seconds: Int

        var description: String {
            var t = "t+\(seconds)s \(phase)"
            if let s = step { t += " step=\(s)" }
            if let w = weight { t += " weight=\(w)" }
            if !selectors.isEmpty { t += " " + selectors.joined(separator: " ") }
            if !pods.isEmpty { t += " pods[" + pods.joined(separator: " ") + "]" }
            return t
        }
    }

    private let samples = Mutex<[Sample]>([])
    private let task = Mutex<Task<Void, Never>?>(nil)

    /// Polls every few milliseconds; `services` are shown as `name=hash`.
    static func start(_ env: RolloutEnvironment, rollout: String, services: [String]) -> RolloutRecorder {
        let r = RolloutRecorder()
        let origin = env.clock.now()
        let t = Task {
            while !Task.isCancelled {
                let st = await env.status(rollout)
                var sel: [String] = []
                for s in services { sel.append("\(s)=\(await env.selector(s) ?? "-")") }
                let sets = await env.replicaSets(of: rollout).sorted {
                    Int($0.annotations[RolloutLabels.revision] ?? "") ?? 0 < Int($1.annotations[RolloutLabels.revision] ?? "") ?? 0
                }
                let pods = sets.map { "\($0.labels[RolloutLabels.podTemplateHash] ?? "?"):\($0[path: ["spec", "replicas"]].intValue ?? 0)" }
                let sample = Sample(
                    phase: st["phase"].stringValue ?? "-", step: st["currentStepIndex"].intValue,
                    weight: st["canary"]["weights"]["canary"]["weight"].intValue, selectors: sel, pods: pods,
                    seconds: Int(env.clock.now().timeIntervalSince(origin)))
                r.samples.withLock { list in
                    if let last = list.last, last.phase == sample.phase, last.step == sample.step,
                        last.weight == sample.weight, last.selectors == sample.selectors, last.pods == sample.pods { return }
                    list.append(sample)
                }
                try? await Task.sleep(for: .milliseconds(3))
            }
        }
        r.task.withLock { $0 = t }
        return r
    }

    var sequence: [Sample] { samples.withLock { $0 } }
    func stop() { task.withLock { $0?.cancel() } }
}
