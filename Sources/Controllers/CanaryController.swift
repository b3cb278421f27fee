import Analysis
import Delivery
import Foundation
import KubeCore
import KubeRuntime
import SerinAPI
import Traffic
import Workloads

/// How the Canary controller runs: defaults from the operator's flags, knobs for tests.
public struct CanaryControllerConfig: Sendable {
    /// Router when `spec.provider` is absent (`--provider`).
    public var defaultProvider = CanaryProviders.kubernetes
    /// Prometheus for builtin metrics and templates without an address (`--metrics-server`).
    public var metricsServer: String?
    public var builtinQueryOptions: [MeshProvider: BuiltinQueryOptions] = [:]
    /// Which family of builtin queries to run (`--metrics-provider`); nil: the Canary's router.
    public var metricsProvider: String?
    public var workers = 4
    /// Releases that may run at once in the cluster (`--max-concurrent-releases`); nil: no limit.
    public var maxConcurrentReleases: Int?
    /// Releases that may run at once in one namespace (`--max-concurrent-releases-per-namespace`).
    public var maxConcurrentReleasesPerNamespace: Int?
    /// How soon to look again while waiting for replicas (the decision core's poll).
    public var pollSeconds = 5.0
    public var metricQueryTimeoutSeconds = 30.0
    public var webhookRetryDelay: Duration = .seconds(1)
    /// Real time a reconcile waits for its own status write to reach the cache (read-your-writes).
    public var cacheCatchUp: Duration = .seconds(2)
    /// Notifications to AlertProviders (`analysis.alerts`): POST timeout, metrics backend.
    public var alerts = AlertOptions()
    /// The process's outgoing clients and notification queue (the operator's lifecycle owns them).
    public var clients: OperatorClients = .process {
        didSet { alerts.clients = clients }
    }

    public init() {}
}

/// Registration of the Canary controller on a manager.
public enum CanaryController {
    public static let name = "canary"
    /// Present while revertOnDeletion must run before the Canary goes away.
    public static let finalizer = "serin.dev/revert-on-deletion"
    /// Canary store index: `namespace/targetName`.
    static let targetIndex = "canary-target"

    /// Adds the Canary controller: Canaries (primary), owned Deployments and DaemonSets and what the routers
    /// watch (`TrafficRouters.watchedResources`: the Services), and
    /// mappers from the target Deployment and its ConfigMaps/Secrets to the Canaries using them.
    @discardableResult
    public static func register(on manager: Manager, config: CanaryControllerConfig) async -> Controller {
        let canaries = await manager.informer(
            for: .canaries,
            indexers: [targetIndex: { obj in
                guard let t = obj[path: ["spec", "targetRef", "name"]].stringValue else { return [] }
                return ["\(obj.namespace ?? "")/\(t)"]
            }])
        let deployments = await manager.informer(for: Workloads.deployment.resource)
        let daemonSets = await manager.informer(for: Workloads.daemonSet.resource)
        let services = await manager.informer(for: .services)
        let configMaps = await manager.informer(for: .configMaps)
        let secrets = await manager.informer(for: .secrets)
        let caches = CanaryCaches(
            canaries: canaries.store, deployments: deployments.store, daemonSets: daemonSets.store, services: services.store,
            configMaps: configMaps.store, secrets: secrets.store)
        let reconciler = CanaryReconciler(
            api: manager.api, caches: caches, clock: manager.options.clock, events: manager.events,
            fence: { try manager.fence() }, config: config)

        let canaryStore = canaries.store
        let workloadStores: [(any Workload, ObjectStore)] = [(Workloads.deployment, deployments.store),
                                                               (Workloads.daemonSet, daemonSets.store)]
        @Sendable func canariesTargeting(_ namespace: String?, _ name: String) -> [ObjectKey] {
            canaryStore.byIndex(targetIndex, "\(namespace ?? "")/\(name)").map { ObjectKey($0) }
        }
        let byTarget: @Sendable (JSONValue) -> [ObjectKey] = { d in canariesTargeting(d.namespace, d.name ?? "") }
        func byConfig(secret: Bool) -> @Sendable (JSONValue) -> [ObjectKey] {
            { config in
                guard let name = config.name else { return [] }
                let users = workloadStores.flatMap { workload, store in
                    store.list(namespace: config.namespace).filter { d in
                        let refs = workload.configReferences(d)
                        return secret ? refs.secrets.contains(name) : refs.configMaps.contains(name)
                    }
                }
                return users.flatMap { canariesTargeting($0.namespace, $0.name ?? "") }
            }
        }
        return await manager.addController(
            name: name, for: .canaries, reconciler: reconciler,
            owns: Workloads.all.map(\.resource) + TrafficRouters.watchedResources,
            watches: Workloads.all.map { ($0.resource, byTarget) } + [(.configMaps, byConfig(secret: false)), (.secrets, byConfig(secret: true))],
            workers: config.workers, primaryPredicate: canaryChanged)
    }

    /// Canary events worth a reconcile: spec, annotations (manual control), labels, finalizers
    /// and deletion. Status writes (Serin's own) are not.
    static let canaryChanged: @Sendable (InformerEvent) -> Bool = { event in
        guard case .updated(let old, let new) = event else { return true }
        return old.generation != new.generation || old["spec"] != new["spec"]
            || old.annotations != new.annotations || old.labels != new.labels
            || old.finalizers != new.finalizers || old.deletionTimestamp != new.deletionTimestamp
    }
}
