import KubeCore
import SerinAPI

extension DocumentCheck {
    /// Rollout: the checks every Serin kind gets (apiVersion, name) and a spec that is present.
    mutating func rollout() {
        if doc.json["spec"] == .null {
            add("spec", "is missing", "write the Rollout's spec (replicas, selector, template, strategy)")
        }
    }
}
