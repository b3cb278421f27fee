import Delivery
import Foundation
import KubeCore
import KubeRuntime
import SerinAPI
import Traffic

/// What one reconcile read about a Canary: the objects (as JSON, every field kept) and the
/// `ObservedWorld` the decision core takes.
struct CanaryObservation: Sendable {
    var canaryJSON: JSONValue
    var canary: Canary
    var names: CanaryNames
    /// Nil when the provider is unknown (validation reports it).
    var router: (any TrafficRouter)?
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
    let services: ObjectStore
    let configMaps: ObjectStore
    let secrets: ObjectStore
}

enum CanaryObserver {
    /// Replica counts from a Deployment's spec and status. Mid-rollout, `readyReplicas` also
    /// counts old pods that still serve; as Flagger does, pods beyond `updatedReplicas` (old
    /// ones pending termination) are taken off, so "ready" means ready with the new template.
    static func workloadState(_ d: JSONValue) -> WorkloadState {
        let desired = d[path: ["spec", "replicas"]].intValue ?? 1
        let st = d["status"]
        let observedGen = st["observedGeneration"].intValue ?? 0
        let updated = st["updatedReplicas"].intValue
        let ready = st["readyReplicas"].intValue ?? 0
        let available = st["availableReplicas"].intValue ?? 0  // omitted when zero
        let oldPending = max(0, (st["replicas"].intValue ?? 0) - (updated ?? 0))
        return WorkloadState(
            desiredReplicas: desired, readyReplicas: max(0, min(ready, available) - oldPending),
            updatedReplicas: updated, generationObserved: observedGen >= (d.generation ?? 1))
    }

    /// The configs a target references that exist in the cache.
    static func referencedConfigs(target: JSONValue, namespace: String, caches: CanaryCaches)
        -> (configMaps: [JSONValue], secrets: [JSONValue])
    {
        let refs = ConfigReferences(podSpec: target[path: ["spec", "template", "spec"]])
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

    /// The release checksum: the target's pod template and the data of the configs it references.
    static func checksum(target: JSONValue, configMaps: [JSONValue], secrets: [JSONValue]) -> String {
        ReleaseChecksum.compute(podTemplate: target[path: ["spec", "template"]], configs: configMaps + secrets)
    }
}
