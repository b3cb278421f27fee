import Delivery
import KubeCore
import SerinAPI
import Traffic

/// A kind of workload a Canary delivers (`spec.targetRef.kind`): how its primary copy is made,
/// how ready it is, how it is scaled and what identifies a release of it. Pure: the
/// controllers read and write the objects.
///
/// A new workload is one file with a type conforming to this protocol, its entry in
/// `Workloads.all`, and its tests (see docs/plugins.md).
public protocol Workload: Sendable {
    /// The `targetRef.kind` values it serves.
    var kinds: [String] { get }
    /// The resource type of the target and of its primary copy.
    var resource: ResourceType { get }

    /// The primary copy of `target`, merged into `existing` (see `PrimaryDeploymentBuilder`).
    func primary(from target: JSONValue, selector: SelectorLabel, existing: JSONValue?, configMaps: [String: String],
                 secrets: [String: String], checksum: String?, ownerReference: JSONValue?) -> JSONValue

    /// Replica counts and readiness as the decision core needs them.
    func state(_ object: JSONValue) -> WorkloadState

    /// The replicas the object asks for (nil when it does not say).
    func replicas(_ object: JSONValue) -> Int?

    /// The merge patch that scales the object to `replicas`.
    func scalePatch(replicas: Int) -> JSONValue

    /// The ConfigMaps and Secrets its pod template refers to.
    func configReferences(_ object: JSONValue) -> ConfigReferences

    /// The release checksum: the pod template and the data of the configs it refers to.
    func checksum(_ object: JSONValue, configs: [JSONValue]) -> String
}

/// The workloads Serin implements: the only place that lists them.
public enum Workloads {
    public static let deployment = DeploymentWorkload()
    public static let daemonSet = DaemonSetWorkload()
    public static let all: [any Workload] = [deployment, daemonSet]

    /// The workload of a `targetRef.kind`; nil when Serin has none.
    public static func workload(forKind kind: String) -> (any Workload)? {
        all.first { $0.kinds.contains(kind) }
    }
}
