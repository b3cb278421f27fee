import Analysis
import Foundation
import SerinBench
import KubeCore
import KubeTestServer
import SerinAPI
import SerinTestApp
import Synchronization

/// Everything the demo starts, and the one place that stops it all again: the test API
/// server, the two app instances, Prometheus, HAProxy, the adapters, the load and the
/// operator process. Each part is recorded as soon as it runs, so `shutdown` stops exactly
/// what was started, whatever step failed.
final class DemoEnvironment: Sendable {
    struct Settings: Sendable {
        var prometheusBinary = "/usr/bin/prometheus"
        var haproxyBinary = "/usr/sbin/haproxy"
        var crdDirectory: String?
        var rate = 20.0
        var serinBinary: String
    }

    let settings: Settings
    let workspace: DemoWorkspace
    let timeline: DemoTimeline
    let prometheusClient = PrometheusClient()

    private struct Parts {
        var server: TestAPIServer?
        var apps: [TestApp] = []
        var children: [ChildProcess] = []
        var tasks: [Task<Void, Never>] = []
        var load: DemoLoad?
        var loadTask: Task<Void, Never>?
    }
    private let parts = Mutex(Parts())

    // Set once by `start`, read by the scenario.
    private let started = Mutex<Started?>(nil)
    struct Started: Sendable {
        var server: TestAPIServer
        var primaryApp: TestApp
        var canaryApp: TestApp
        var prometheus: ChildProcess
        var prometheusURL: String
        var haproxy: ChildProcess
        var haproxyURL: String
        var runtime: HAProxyRuntime
        var kubelet: DemoKubelet
        var router: DemoRouteAdapter
        var load: DemoLoad
        var operatorProcess: ChildProcess?
    }

    var api: any KubeAPI { live.server.api }
    var live: Started { started.withLock { $0! } }

    init(settings: Settings, workspace: DemoWorkspace, timeline: DemoTimeline) {
        self.settings = settings
        self.workspace = workspace
        self.timeline = timeline
    }

    var children: [ChildProcess] { parts.withLock { $0.children } }

    /// What the users saw, once the load has run.
    var loadTotals: DemoLoad.Totals? { started.withLock { $0?.load.total } }

    // MARK: - Start

    func start() async throws {
        let ns = DemoManifests.namespace, target = DemoManifests.target

        var options = TestAPIServer.Options()
        options.port = 0
        let server = try await TestAPIServer.start(options)
        parts.withLock { $0.server = server }
        try server.writeKubeconfig(to: workspace.kubeconfig)
        timeline.line("demo", "test API server at \(server.url) (kubeconfig \(workspace.kubeconfig))")

        // Serin's builtin `kubernetes` queries select by the `service` label: the canary's
        // pods report as the target, the primary's as `<target>-primary`.
        let primaryApp = try await TestApp.start(service: "\(target)-primary")
        parts.withLock { $0.apps.append(primaryApp) }
        let canaryApp = try await TestApp.start(service: target)
        parts.withLock { $0.apps.append(canaryApp) }
        timeline.line("demo", "app instances: \(target)-primary at \(primaryApp.baseURL), \(target) (canary) at \(canaryApp.baseURL)")

        let promPort = try FreePort.pick()
        let targets = ["127.0.0.1:\(primaryApp.port)", "127.0.0.1:\(canaryApp.port)"]
        let prometheus = try DemoPrometheus.start(binary: settings.prometheusBinary, workspace: workspace,
                                                  port: promPort, targets: targets)
        parts.withLock { $0.children.append(prometheus) }
        let promURL = "http://127.0.0.1:\(promPort)"
        try await DemoPrometheus.waitUntilScraping(address: promURL, targets: 2, process: prometheus,
                                                   client: prometheusClient, deadline: .seconds(45))
        timeline.line("demo", "prometheus \(promURL) scraping both instances every 1s (pid \(prometheus.pid))")

        let haPort = try FreePort.pick()
        let haproxy = try DemoHAProxy.start(binary: settings.haproxyBinary, workspace: workspace, port: haPort,
                                            primary: targets[0], canary: targets[1])
        parts.withLock { $0.children.append(haproxy) }
        let runtime = HAProxyRuntime(socketPath: workspace.haproxySocket)
        try await DemoHAProxy.waitUntilReady(runtime, process: haproxy, deadline: .seconds(15))
        let haURL = "http://127.0.0.1:\(haPort)"
        timeline.line("demo", "haproxy \(haURL) -> servers primary/canary, runtime API \(workspace.haproxySocket) (pid \(haproxy.pid))")

        try await applyCRDs(server.api)

        let kubelet = DemoKubelet(instances: [target: canaryApp, "\(target)-primary": primaryApp], timeline: timeline)
        let router = DemoRouteAdapter(routeName: target, runtime: runtime, timeline: timeline)
        let load = DemoLoad(url: haURL + "/api/info", rate: settings.rate, timeline: timeline) {
            (primaryApp.metrics.requestCounts.values.reduce(0, +), canaryApp.metrics.requestCounts.values.reduce(0, +))
        }
        started.withLock {
            $0 = Started(server: server, primaryApp: primaryApp, canaryApp: canaryApp, prometheus: prometheus,
                         prometheusURL: promURL, haproxy: haproxy, haproxyURL: haURL, runtime: runtime,
                         kubelet: kubelet, router: router, load: load, operatorProcess: nil)
        }
        let api = server.api, tl = timeline
        let tasks = [
            Task { await kubelet.run(api: api, namespace: ns) },
            Task { await router.run(api: api, namespace: ns) },
            Task { await tl.followCanary(api: api, namespace: ns, name: target, threshold: DemoManifests.threshold) },
            Task { await tl.followEvents(api: api, namespace: ns, name: target) },
        ]
        parts.withLock { $0.tasks += tasks }
        let loadTask = load.start()
        parts.withLock {
            $0.load = load
            $0.loadTask = loadTask
        }
        timeline.line("demo", "load: \(Int(settings.rate)) requests/s through haproxy to \(haURL)/api/info")
    }

    private func applyCRDs(_ api: any KubeAPI) async throws {
        let dir = try DemoManifests.findCRDDirectory(explicit: settings.crdDirectory)
        let crds = try DemoManifests.crds(in: dir)
        for crd in crds { _ = try await api.create(.customResourceDefinitions, namespace: nil, crd) }
        for r in [ResourceType.canaries, .metricTemplates, .httpRoutes] {
            try await DemoWait.until("\(r.plural).\(r.group) to be served", deadline: .seconds(15)) {
                (try? await api.list(r, namespace: nil)) != nil ? true : nil
            }
        }
        timeline.line("demo", "applied \(crds.count) CRDs from \(dir) (+ Gateway API HTTPRoute)")
    }

    /// Starts `serin operator` as a child process against the test API server and Prometheus.
    func startOperator() throws {
        let health = try FreePort.pick(), metrics = try FreePort.pick()
        let child = try ChildProcess(
            name: "operator", executable: settings.serinBinary,
            arguments: [
                "operator", "--kubeconfig", workspace.kubeconfig, "--metrics-server", live.prometheusURL,
                "--provider", "gatewayapi", "--leader-elect", "false",
                "--metrics-address", "127.0.0.1:\(metrics)", "--health-address", "127.0.0.1:\(health)",
                "--log-format", "json", "--log-level", "info",
            ],
            logPath: workspace.operatorLog)
        parts.withLock { $0.children.append(child) }
        started.withLock { $0?.operatorProcess = child }
        timeline.line("demo", "serin operator started (pid \(child.pid), metrics http://127.0.0.1:\(metrics)/metrics)")
    }

    /// Throws when a process the demo depends on has ended.
    func checkChildren() throws {
        for c in children where !c.isRunning {
            throw DemoFailure("\(c.name) \(c.exitDescription) (log: \(c.logPath))")
        }
    }

    // MARK: - Stop

    /// Stops everything that was started, in reverse order. Never throws; bounded in time.
    func shutdown() async {
        let p = parts.withLock { p in
            defer { p = Parts() }
            return p
        }
        p.load?.stop()
        for t in p.tasks { t.cancel() }
        var waits = p.tasks
        if let l = p.loadTask { waits.append(l) }
        await Self.awaitAll(waits, atMost: .seconds(8))
        for c in p.children.reversed() { c.stop(grace: c.name == "operator" ? 10 : 5) }
        for a in p.apps { await a.stop() }
        try? await prometheusClient.shutdown()
        try? await p.server?.stop()
    }

    /// Waits for the tasks to end, but not longer than `atMost` (a task group would wait for
    /// its children however long they take, so this polls a flag instead).
    static func awaitAll(_ tasks: [Task<Void, Never>], atMost: Duration) async {
        let done = DemoFlag()
        Task {
            for t in tasks { await t.value }
            done.set()
        }
        let end = ContinuousClock.now + atMost
        while !done.isSet, ContinuousClock.now < end { try? await Task.sleep(for: .milliseconds(20)) }
    }
}
