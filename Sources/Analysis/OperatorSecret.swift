import Foundation
import KubeCore

/// The Secret an Argo provider reads by name from the operator's namespace (`POD_NAMESPACE`,
/// else the run's), as Argo's influxdb, wavefront and newRelic providers read theirs.
enum OperatorSecret {
    /// The Secret's decoded data; the error names the Secret and the keys the provider reads.
    static func read(_ name: String, kube: (any KubeAPI)?, runNamespace: String, provider: String,
                     keys: String) async throws -> [String: String] {
        guard let kube else { throw MetricSpecError("the \(provider) provider needs the Kubernetes API to read its Secret") }
        let ns = ProcessInfo.processInfo.environment["POD_NAMESPACE"].flatMap { $0.isEmpty ? nil : $0 } ?? runNamespace
        do {
            return MetricSecrets.decodedData(try await kube.get(.secrets, namespace: ns, name: name))
        } catch let e as KubeAPIError where e.isNotFound {
            throw MetricSpecError("Secret \(ns)/\(name) not found: the \(provider) provider reads \(keys) from it")
        }
    }
}
