import Delivery
import KubeCore
import SerinAPI
import Traffic

/// apps/v1 Deployment: the primary is `<target>-primary` (`PrimaryDeploymentBuilder`).
public struct DeploymentWorkload: Workload {
    public init() {}

    public var kinds: [String] { ["Deployment"] }
    public var resource: ResourceType { .deployments }

    public func primary(from target: JSONValue, selector: SelectorLabel, existing: JSONValue?, configMaps: [String: String],
                        secrets: [String: String], checksum: String?, ownerReference: JSONValue?) -> JSONValue {
        PrimaryDeploymentBuilder.primary(from: target, selector: selector, existing: existing, configMaps: configMaps,
                                         secrets: secrets, checksum: checksum, ownerReference: ownerReference)
    }

    /// Mid-rollout, `readyReplicas` also counts old pods that still serve; as Flagger does, pods
    /// beyond `updatedReplicas` (old ones pending termination) are taken off, so "ready" means
    /// ready with the new template.
    public func state(_ d: JSONValue) -> WorkloadState {
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

    public func replicas(_ object: JSONValue) -> Int? { object[path: ["spec", "replicas"]].intValue }

    public func scalePatch(replicas: Int) -> JSONValue { ["spec": ["replicas": .int(Int64(replicas))]] }

    public func configReferences(_ object: JSONValue) -> ConfigReferences {
        ConfigReferences(podSpec: object[path: ["spec", "template", "spec"]])
    }

    public func checksum(_ object: JSONValue, configs: [JSONValue]) -> String {
        ReleaseChecksum.compute(podTemplate: object[path: ["spec", "template"]], configs: configs)
    }
}
