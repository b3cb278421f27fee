import Foundation
import KubeCore
import SerinAPI
import Traffic

extension ResourceType {
    /// KEDA's ScaledObject (keda.sh/v1alpha1): an autoscalerRef kind, as in Flagger.
    public static let kedaScaledObjects = ResourceType(
        group: "keda.sh", version: "v1alpha1", plural: "scaledobjects", kind: "ScaledObject")
}

/// `<scaledobject>-primary`: Flagger's copy of the target's KEDA ScaledObject for the primary.
public enum PrimaryScaledObjectBuilder {
    /// KEDA holds a scaled object's target at this many replicas while the annotation is set:
    /// how the target's ScaledObject is kept from scaling the idle target back up (Flagger does the same).
    public static let pausedReplicasAnnotation = "autoscaling.keda.sh/paused-replicas"

    /// The copy: the target ScaledObject's spec with `scaleTargetRef.name` set to the primary,
    /// `primaryScalerReplicas` as minReplicaCount/maxReplicaCount, and each trigger's
    /// `metadata.query` taken from `primaryScalerQueries` by trigger name; a trigger not named
    /// there has the target's name in its query rewritten to the primary's (`<target>` and
    /// `<target>-canary` both become `<target>-primary`), Flagger's best effort.
    public static func copy(of so: JSONValue, targetName: String, primaryName: String, existing: JSONValue? = nil,
                            ownerReference: JSONValue? = nil, replicas: CanaryPrimaryScalerReplicas? = nil,
                            queries: [String: String]? = nil) -> JSONValue {
        var obj = existing ?? {
            var o: JSONValue = ["metadata": so["metadata"]]
            for k in ObjectMerge.serverMetadata { o[path: ["metadata", k]] = .null }
            o[path: ["metadata", "annotations", "kubectl.kubernetes.io/last-applied-configuration"]] = .null
            o[path: ["metadata", "annotations", pausedReplicasAnnotation]] = .null
            if o[path: ["metadata", "annotations"]].objectValue?.isEmpty == true { o[path: ["metadata", "annotations"]] = .null }
            return o
        }()
        obj["apiVersion"] = so["apiVersion"].isNull ? "keda.sh/v1alpha1" : so["apiVersion"]
        obj["kind"] = "ScaledObject"
        obj["status"] = .null
        obj[path: ["metadata", "name"]] = .string("\(so.name ?? "")-primary")
        obj[path: ["metadata", "namespace"]] = so["metadata"]["namespace"]
        var spec = so["spec"]
        spec[path: ["scaleTargetRef", "name"]] = .string(primaryName)
        if let min = replicas?.minReplicas { spec["minReplicaCount"] = .int(Int64(min)) }
        if let max = replicas?.maxReplicas { spec["maxReplicaCount"] = .int(Int64(max)) }
        if var triggers = spec["triggers"].arrayValue {
            for i in triggers.indices {
                let name = triggers[i]["name"].stringValue
                if let name, let q = queries?[name] {
                    triggers[i][path: ["metadata", "query"]] = .string(q)
                } else if let q = triggers[i][path: ["metadata", "query"]].stringValue {
                    triggers[i][path: ["metadata", "query"]] = .string(primaryQuery(q, target: targetName))
                }
            }
            spec["triggers"] = .array(triggers)
        }
        obj["spec"] = spec
        if let ownerReference { obj = ObjectMerge.withOwner(obj, ownerReference) }
        return obj
    }

    /// `<target>-canary` and `<target>` become `<target>-primary` (and a name already ending in
    /// `-primary` stays as it is).
    static func primaryQuery(_ query: String, target: String) -> String {
        guard !target.isEmpty else { return query }
        let marker = "\u{0}SERIN-PRIMARY\u{0}"
        return query
            .replacingOccurrences(of: "\(target)-primary", with: marker)
            .replacingOccurrences(of: "\(target)-canary", with: marker)
            .replacingOccurrences(of: target, with: marker)
            .replacingOccurrences(of: marker, with: "\(target)-primary")
    }

    /// The target ScaledObject's minimum (what the target is scaled up to for a release), nil when unset.
    public static func minReplicas(_ so: JSONValue) -> Int? { so[path: ["spec", "minReplicaCount"]].intValue }
}
