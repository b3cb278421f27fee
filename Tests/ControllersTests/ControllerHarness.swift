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

/// What every controller test environment is made of: a test API server over HTTPS with a
/// real KubeClient, Serin's CRDs (and the real router CRDs when asked), optionally the
/// workload simulator, a fake Prometheus, the test namespace, and a Manager on a ManualClock
/// the test moves.
final class ControllerHarness: Sendable {
    let server: TestAPIServer
    let client: KubeClient
    let simulator: WorkloadSimulator?
    let clock = ManualClock()
    let prometheus: FakePrometheus
    let namespace = "microservices"
    private let running = Mutex<Manager?>(nil)

    private init(server: TestAPIServer, client: KubeClient, simulator: WorkloadSimulator?, prometheus: FakePrometheus) {
        self.server = server
        self.client = client
        self.simulator = simulator
        self.prometheus = prometheus
    }

    /// `crds` are file names in crds/; `served` the resources to wait for.
    static func start(crds: [String], routerCRDs: Bool, served: [ResourceType], simulator: Bool) async throws -> ControllerHarness {
        let (server, client) = try await TestServerConnection.start()
        var sim: WorkloadSimulator?
        if simulator {
            sim = WorkloadSimulator(api: server.api, readyDelay: .milliseconds(30))
            sim?.start()
        }
        let harness = ControllerHarness(server: server, client: client, simulator: sim, prometheus: try await FakePrometheus.start())
        var objects = try crds.map { try Manifest.crd($0) }
        if routerCRDs { objects += RouterCRDs.all }
        for crd in objects { _ = try await client.create(.customResourceDefinitions, namespace: nil, crd) }
        for r in served {
            let ok = await eventually(timeout: .seconds(5)) { (try? await client.list(r, namespace: nil)) != nil }
            #expect(ok, "\(r) is not served")
        }
        _ = try await client.create(.namespaces, namespace: nil,
                                    ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": .string(harness.namespace)]])
        return harness
    }

    /// Starts a Manager (a fresh one: a restarted operator) with the controllers `register` adds.
    @discardableResult
    func startOperator(ownSelector: String? = nil, _ register: (Manager) async -> Void) async -> Manager {
        var logger = Logger(label: "serin.test")
        logger.logLevel = ProcessInfo.processInfo.environment["SERIN_TEST_LOG"] != nil ? .debug : .critical
        var options = ManagerOptions(clock: clock, logger: logger)
        options.ownSelector = ownSelector.map { (["serin.dev"], $0) }
        let manager = Manager(api: client, options: options)
        await register(manager)
        await manager.start()
        running.withLock { $0 = manager }
        return manager
    }

    func stopOperator() async {
        guard let m = running.withLock({ m in defer { m = nil }; return m }) else { return }
        await m.shutdown(deadline: .seconds(10))
    }

    func stop() async {
        await stopOperator()
        await simulator?.stop()
        await prometheus.stop()
        try? await client.shutdown()
        try? await Task.sleep(for: .milliseconds(100))
        try? await server.stop()
    }

    /// Moves the operator's clock `step` at a time until `condition` holds (see `drive`).
    func drive(step: Duration, pause: Duration = .milliseconds(4), timeout: Duration,
               until condition: @Sendable () async throws -> Bool) async rethrows -> Bool {
        let clock = clock
        return try await SerinTestSupport.drive(advance: { clock.advance(by: $0) }, step: step, pause: pause,
                                                timeout: timeout, until: condition)
    }
}

/// An environment built on a harness: its parts, and the operator stopped and the clock moved
/// through it.
protocol HarnessEnvironment: Sendable {
    var harness: ControllerHarness { get }
}

extension HarnessEnvironment {
    var server: TestAPIServer { harness.server }
    var client: KubeClient { harness.client }
    /// The workload simulator (environments started with one).
    var simulator: WorkloadSimulator { harness.simulator! }
    var clock: ManualClock { harness.clock }
    var prometheus: FakePrometheus { harness.prometheus }
    var namespace: String { harness.namespace }

    func stopOperator() async { await harness.stopOperator() }
}

/// Runs `body` with a fresh environment from `start`, stopping it afterwards whatever happens.
func withEnvironment<E>(_ start: () async throws -> E, stop: (E) async -> Void,
                        _ body: (E) async throws -> Void) async throws {
    let env = try await start()
    do {
        try await body(env)
    } catch {
        await stop(env)
        throw error
    }
    await stop(env)
}
