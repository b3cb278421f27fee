import Foundation
import KubeCore
import KubeTestServer
import SerinAPI
import SerinTestSupport

/// A test API server (HTTPS, a kubeconfig on disk) with Serin's CRDs, the router stand-ins,
/// a namespace for canaries, a workload simulator and a scripted Prometheus: what a real
/// `serin operator` process is pointed at in these tests.
final class FaultCluster: Sendable {
    let server: TestAPIServer
    let simulator: WorkloadSimulator
    let prometheus: ScriptedPrometheus
    let dir: String
    let namespace = "apps"
    var api: any KubeAPI { server.api }
    var kubeconfig: String { dir + "/kubeconfig" }

    private init(server: TestAPIServer, simulator: WorkloadSimulator, prometheus: ScriptedPrometheus, dir: String) {
        self.server = server
        self.simulator = simulator
        self.prometheus = prometheus
        self.dir = dir
    }

    /// `readyDelay`: how long the simulated pods of a new Deployment generation take to be ready.
    static func start(readyDelay: Duration = .milliseconds(100), historyLimit: Int = 10_000) async throws -> FaultCluster {
        var options = TestAPIServer.Options()
        options.simulateWorkloads = false
        options.bookmarkInterval = .milliseconds(500)
        options.historyLimit = historyLimit
        let server = try await TestAPIServer.start(options)
        let simulator = WorkloadSimulator(api: server.api, readyDelay: readyDelay)
        simulator.start()
        let dir = NSTemporaryDirectory() + "serin-fault-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try server.writeKubeconfig(to: dir + "/kubeconfig")
        let cluster = FaultCluster(server: server, simulator: simulator, prometheus: try await ScriptedPrometheus.start(), dir: dir)
        try await Install.all(server.api, namespaces: [cluster.namespace])
        for r in [ResourceType.canaries, .metricTemplates, .analysisTemplates, .analysisRuns, .virtualServices, .httpRoutes] {
            let served = await eventually(timeout: .seconds(5)) { (try? await server.api.list(r, namespace: nil)) != nil }
            if !served { throw SetupError("\(r.plural) is not served") }
        }
        return cluster
    }

    func stop() async {
        await simulator.stop()
        await prometheus.stop()
        try? await server.stop()
    }

    /// Flags of a `serin operator` against this cluster: short lease times, loopback ops ports.
    func operatorArgs(identity: String, extra: [String] = []) -> [String] {
        ["operator", "--kubeconfig", kubeconfig, "--identity", identity,
         "--metrics-address", "127.0.0.1:0", "--health-address", "127.0.0.1:0",
         "--lease-duration", "3", "--renew-deadline", "2", "--retry-period", "0.25",
         "--provider", "istio", "--metrics-server", prometheus.address, "--shutdown-grace", "10"] + extra
    }

    func startOperator(identity: String, log: String? = nil, extra: [String] = []) throws -> OperatorChild {
        try OperatorChild(arguments: operatorArgs(identity: identity, extra: extra), logPath: dir + "/\(log ?? identity).log")
    }

    // MARK: - Objects

    /// A Deployment `app: NAME` with user metadata and a field Serin does not model.
    static func deployment(_ name: String, namespace: String, image: String, replicas: Int = 2) -> JSONValue {
        [
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": [
                "name": .string(name), "namespace": .string(namespace),
                "labels": ["app": .string(name), "team": "payments"],
                "annotations": ["example.com/owner": "payments-oncall"],
            ],
            "spec": [
                "replicas": .int(Int64(replicas)),
                "selector": ["matchLabels": ["app": .string(name)]],
                "template": [
                    "metadata": ["labels": ["app": .string(name)], "annotations": ["example.com/keep": "yes"]],
                    "spec": [
                        "containers": [["name": "app", "image": .string(image), "ports": [["containerPort": 3000]]]],
                        "topologySpreadConstraints": [["maxSkew": 1, "topologyKey": "zone", "whenUnsatisfiable": "ScheduleAnyway"]],
                    ],
                ],
            ],
        ]
    }

    /// A Canary over Deployment `name` (Service port 80), checked by request-success-rate ≥ 99.
    static func canary(_ name: String, namespace: String, provider: String = "istio", stepWeight: Int = 25, maxWeight: Int = 50,
                       threshold: Int = 2, metrics: JSONValue? = nil) -> JSONValue {
        var service: JSONValue = ["port": 80, "targetPort": 3000]
        if provider.hasPrefix("gatewayapi") { service["gatewayRefs"] = [["name": "public", "namespace": "gateways"]] }
        return [
            "apiVersion": "serin.dev/v1alpha1", "kind": "Canary",
            "metadata": ["name": .string(name), "namespace": .string(namespace)],
            "spec": [
                "provider": .string(provider),
                "targetRef": ["apiVersion": "apps/v1", "kind": "Deployment", "name": .string(name)],
                "service": service,
                "analysis": [
                    "interval": "10s", "threshold": .int(Int64(threshold)), "stepWeight": .int(Int64(stepWeight)),
                    "maxWeight": .int(Int64(maxWeight)),
                    "metrics": metrics ?? [["name": "request-success-rate", "interval": "1m", "thresholdRange": ["min": 99]]],
                ],
            ],
        ]
    }

    func createDeployment(_ name: String, image: String = "app:1") async throws {
        _ = try await api.create(.deployments, namespace: namespace, Self.deployment(name, namespace: namespace, image: image))
    }

    func createCanary(_ json: JSONValue) async throws {
        _ = try await api.create(.canaries, namespace: namespace, json)
    }

    /// A new release: the target's image changes.
    func setImage(_ name: String, _ image: String) async throws {
        let d = try await api.get(.deployments, namespace: namespace, name: name)
        var containers = d[path: ["spec", "template", "spec", "containers"]].arrayValue ?? []
        containers[0]["image"] = .string(image)
        _ = try await api.patch(.deployments, namespace: namespace, name: name, type: .merge,
                                ["spec": ["template": ["spec": ["containers": .array(containers)]]]])
    }

    func canaryStatus(_ name: String) async -> JSONValue {
        ((try? await api.get(.canaries, namespace: namespace, name: name)) ?? .null)["status"]
    }

    func phase(_ name: String) async -> String? { await canaryStatus(name)["phase"].stringValue }

    func phases(_ names: [String]) async -> [String: String] {
        var out: [String: String] = [:]
        for n in names { out[n] = await phase(n) ?? "-" }
        return out
    }

    /// Events about the Canary `name`.
    func events(about name: String, kind: String = "Canary") async -> [JSONValue] {
        let list = (try? await api.list(.events, namespace: namespace))?.items ?? []
        return list.filter { $0["involvedObject"]["name"].stringValue == name && $0["involvedObject"]["kind"].stringValue == kind }
    }

    func leaseHolder() async -> String? {
        let lease = try? await api.get(.leases, namespace: "serin-system", name: "serin-operator")
        return lease?["spec"]["holderIdentity"].stringValue
    }

    /// The workload a builtin Istio query is about (`destination_workload="NAME"`).
    static func istioWorkload(_ query: String) -> String? {
        guard let r = query.range(of: "destination_workload=\"") else { return nil }
        return String(query[r.upperBound...].prefix { $0 != "\"" })
    }
}
