import Delivery
import Foundation
import KubeCore
import KubeRuntime
import SerinAPI
import Traffic
import Workloads

/// What one reconcile read about a Canary: the objects (as JSON, every field kept) and the
/// `ObservedWorld` the decision core takes.
struct CanaryObservation: Sendable {
    var canaryJSON: JSONValue
    var canary: Canary
    var names: CanaryNames
    /// Nil when the provider is unknown (validation reports it).
    var router: (any TrafficRouter)?
    /// The target's kind of workload (its primary copy, readiness, scale, checksum).
    var workload: any Workload = Workloads.deployment
    var target: JSONValue?
    var primary: JSONValue?
    var selector: SelectorLabel?
    /// The ConfigMaps and Secrets the target's pod template references that exist.
    var configMaps: [JSONValue] = []
    var secrets: [JSONValue] = []
    var ownerReference: JSONValue
    var world: ObservedWorld

    var namespace: String { canary.namespace }
    var spec: CanarySpec { canary.spec }

    /// `<name>` → `<name>-primary` for the configs the primary uses copies of.
    var configMapRenames: [String: String] {
        Dictionary(uniqueKeysWithValues: configMaps.compactMap(\.name).map { ($0, "\($0)-primary") })
    }
    var secretRenames: [String: String] {
        Dictionary(uniqueKeysWithValues: secrets.compactMap(\.name).map { ($0, "\($0)-primary") })
    }
}

/// Readers of the informer caches the Canary controller shares with the manager.
struct CanaryCaches: Sendable {
    let canaries: ObjectStore
    let deployments: ObjectStore
    let daemonSets: ObjectStore
    let services: ObjectStore
    let configMaps: ObjectStore
    let secrets: ObjectStore

    /// The cache holding targets (and primaries) of `workload`'s kind.
    func targets(of workload: any Workload) -> ObjectStore {
        workload.resource == .daemonSets ? daemonSets : deployments
    }
}

enum CanaryObserver {
    /// The configs a target references that exist in the cache.
    static func referencedConfigs(target: JSONValue, workload: any Workload, namespace: String, caches: CanaryCaches)
        -> (configMaps: [JSONValue], secrets: [JSONValue])
    {
        let refs = workload.configReferences(target)
        // List items may come without kind (watch events carry it): set it so the checksum and
        // the copies do not depend on how the object reached the cache.
        func typed(_ obj: JSONValue, _ kind: String) -> JSONValue {
            var o = obj
            o["apiVersion"] = "v1"
            o["kind"] = .string(kind)
            return o
        }
        let cms = refs.configMaps.sorted().compactMap { caches.configMaps.get(namespace: namespace, name: $0) }
        let secrets = refs.secrets.sorted().compactMap { caches.secrets.get(namespace: namespace, name: $0) }
        return (cms.map { typed($0, "ConfigMap") }, secrets.map { typed($0, "Secret") })
    }
}
