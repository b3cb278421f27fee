import Delivery
import KubeCore
import SerinAPI
import Traffic

/// apps/v1 DaemonSet, with Flagger's semantics: the primary is `<target>-primary` (a copy of
/// the target), and the target is "scaled to zero" by a nodeSelector no node carries, so its
/// pods leave every node while it is idle and come back for a release. A DaemonSet runs one
/// pod per node whatever the split, so a release is analysed blue/green-style (iterations,
/// no traffic weights: CanaryValidation says so).
public struct DaemonSetWorkload: Workload {
    public init() {}

    /// The nodeSelector key that keeps the idle target off every node (Flagger's is
    /// `flagger.app/scale-to-zero`). No node has it, so no pod is scheduled.
    public static let scaleToZeroKey = "serin.dev/scale-to-zero"

    public var kinds: [String] { ["DaemonSet"] }
    public var resource: ResourceType { .daemonSets }

    public func primary(from target: JSONValue, selector: SelectorLabel, existing: JSONValue?, configMaps: [String: String],
                        secrets: [String: String], checksum: String?, ownerReference: JSONValue?) -> JSONValue {
        var obj = PrimaryDeploymentBuilder.primary(
            from: target, selector: selector, existing: existing, configMaps: configMaps, secrets: secrets,
            checksum: checksum, ownerReference: ownerReference)
        obj["kind"] = "DaemonSet"
        obj[path: ["spec", "replicas"]] = .null  // (the builder gives every copy one; a DaemonSet has none)
        obj[path: ["metadata", "annotations", "deprecated.daemonset.template.generation"]] = .null
        if obj[path: ["metadata", "annotations"]].objectValue?.isEmpty == true { obj[path: ["metadata", "annotations"]] = .null }
        obj[path: ["spec", "template"]] = Self.withoutScaleToZero(obj[path: ["spec", "template"]])
        return obj
    }

    /// Ready pods are counted among the updated ones (old pods still serving during a
    /// DaemonSet rolling update are not the release).
    public func state(_ d: JSONValue) -> WorkloadState {
        let st = d["status"]
        let desired = st["desiredNumberScheduled"].intValue ?? 0
        let updated = st["updatedNumberScheduled"].intValue
        let available = st["numberAvailable"].intValue ?? 0
        let ready = min(available, updated ?? available)
        let observed = (st["observedGeneration"].intValue ?? 0) >= (d.generation ?? 1)
        return WorkloadState(desiredReplicas: desired, readyReplicas: ready, updatedReplicas: updated,
                             generationObserved: observed)
    }

    /// 0 while scaled to zero (the nodeSelector key set), else 1: "runs on its nodes".
    public func replicas(_ object: JSONValue) -> Int? {
        object[path: ["spec", "template", "spec", "nodeSelector", Self.scaleToZeroKey]].isNull ? 1 : 0
    }

    /// Zero adds the nodeSelector key; anything else removes it (a merge patch keeps the user's keys).
    public func scalePatch(replicas: Int) -> JSONValue {
        ["spec": ["template": ["spec": ["nodeSelector": [Self.scaleToZeroKey: replicas == 0 ? "true" : .null]]]]]
    }

    public func configReferences(_ object: JSONValue) -> ConfigReferences {
        ConfigReferences(podSpec: object[path: ["spec", "template", "spec"]])
    }

    /// The key Serin adds to scale to zero is not part of the release.
    public func checksum(_ object: JSONValue, configs: [JSONValue]) -> String {
        ReleaseChecksum.compute(podTemplate: Self.withoutScaleToZero(object[path: ["spec", "template"]]), configs: configs)
    }

    static func withoutScaleToZero(_ template: JSONValue) -> JSONValue {
        var t = template
        guard !t[path: ["spec", "nodeSelector", scaleToZeroKey]].isNull else { return t }
        t[path: ["spec", "nodeSelector", scaleToZeroKey]] = .null
        if t[path: ["spec", "nodeSelector"]].objectValue?.isEmpty == true { t[path: ["spec", "nodeSelector"]] = .null }
        return t
    }
}
