import KubeCore
import SerinAPI

/// Pod-template hashes and the ReplicaSets a Rollout owns.
public enum RolloutReplicaSets {
    /// Kubernetes' vowel-free alphabet for generated names (no accidental words).
    static let alphabet = Array("bcdfghjklmnpqrstvwxz2456789")

    /// The pod-template hash: FNV-1a (32 bit) of the template's canonical JSON (and the collision
    /// count), its decimal digits mapped onto the safe alphabet, as Kubernetes names ReplicaSets.
    public static func podHash(template: JSONValue, collisionCount: Int? = nil) -> String {
        var hash: UInt32 = 2_166_136_261
        func add(_ b: UInt8) {
            hash ^= UInt32(b)
            hash = hash &* 16_777_619
        }
        for b in template.serializedBytes() { add(b) }
        if let c = collisionCount {
            var v = UInt32(truncatingIfNeeded: c)
            for _ in 0..<4 {
                add(UInt8(v & 0xff))
                v >>= 8
            }
        }
        return String(String(hash).utf8.map { alphabet[Int($0) % alphabet.count] })
    }

    /// `<rollout>-<hash>`.
    public static func name(rollout: String, hash: String) -> String { "\(rollout)-\(hash)" }

    /// The template without the hash label (as the Rollout's spec carries it).
    public static func strippingHash(_ template: JSONValue) -> JSONValue {
        var t = template
        t[path: ["metadata", "labels", RolloutLabels.podTemplateHash]] = .null
        if t[path: ["metadata", "labels"]].objectValue?.isEmpty == true { t[path: ["metadata", "labels"]] = .null }
        return t
    }

    /// Whether `desired` is contained in `stored`: every field of `desired` is in `stored` with the
    /// same value (the API server may have added defaults to what it stored).
    public static func contains(_ stored: JSONValue, _ desired: JSONValue) -> Bool {
        switch (stored, desired) {
        case (.object(let s), .object(let d)):
            for (k, v) in d {
                if v == .null { continue }
                guard let sv = s[k], contains(sv, v) else { return false }
            }
            return true
        case (.array(let s), .array(let d)):
            guard s.count == d.count else { return false }
            return zip(s, d).allSatisfy { contains($0, $1) }
        case (.int(let a), .double(let b)): return Double(a) == b
        case (.double(let a), .int(let b)): return a == Double(b)
        default:
            return stored == desired
        }
    }

    /// The hash of the ReplicaSet that runs `template`, and the hash of the template as written.
    ///
    /// Normally both are the computed hash. After an undo, `spec.template` holds the old
    /// ReplicaSet's template as the API server stored it (with defaults), whose computed hash
    /// differs: the undo's target is reused when its template holds the written one, and the
    /// pair is remembered in status (`specTemplateHash` → `currentPodHash`) from then on.
    public static func resolveHash(template: JSONValue, collisionCount: Int?, existing: [RolloutReplicaSetState],
                                   currentSpecHash: String?, currentPodHash: String?,
                                   undoTarget: String?) -> (podHash: String, specHash: String) {
        let computed = podHash(template: template, collisionCount: collisionCount)
        if let spec = currentSpecHash, spec == computed, let pod = currentPodHash { return (pod, computed) }
        if existing.contains(where: { $0.podHash == computed }) { return (computed, computed) }
        if let target = undoTarget, let rs = existing.first(where: { $0.podHash == target }),
            contains(strippingHash(rs.template), strippingHash(template)) {
            return (target, computed)
        }
        return (computed, computed)
    }

    /// A new ReplicaSet for `template` (the controller adds the owner reference).
    public static func replicaSet(rollout: String, namespace: String, hash: String, revision: Int, template: JSONValue,
                                  selector: JSONValue?, minReadySeconds: Int?, replicas: Int) -> JSONValue {
        var t = template
        t[path: ["metadata", "labels", RolloutLabels.podTemplateHash]] = .string(hash)
        var sel = selector ?? ["matchLabels": .object([:])]
        sel[path: ["matchLabels", RolloutLabels.podTemplateHash]] = .string(hash)
        var labels = t[path: ["metadata", "labels"]]
        labels[RolloutLabels.podTemplateHash] = .string(hash)
        var rs: JSONValue = [
            "apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": [
                "name": .string(name(rollout: rollout, hash: hash)), "namespace": .string(namespace),
                "labels": labels,
                "annotations": [RolloutLabels.revision: .string(String(revision))],
            ],
            "spec": ["replicas": .int(Int64(replicas)), "selector": sel, "template": t],
        ]
        if let m = minReadySeconds, m > 0 { rs[path: ["spec", "minReadySeconds"]] = .int(Int64(m)) }
        return rs
    }

    /// A metav1.LabelSelector in the string form `/scale` shows (`app=x,tier in (a,b)`).
    public static func selectorString(_ sel: JSONValue?) -> String? {
        guard let sel, sel.objectValue != nil else { return nil }
        var parts: [String] = []
        for (k, v) in (sel["matchLabels"].objectValue ?? [:]).sorted(by: { $0.key < $1.key }) {
            parts.append("\(k)=\(v.stringValue ?? "")")
        }
        for e in sel["matchExpressions"].arrayValue ?? [] {
            let key = e["key"].stringValue ?? ""
            let values = (e["values"].arrayValue ?? []).compactMap(\.stringValue).sorted().joined(separator: ",")
            switch e["operator"].stringValue ?? "" {
            case "In": parts.append("\(key) in (\(values))")
            case "NotIn": parts.append("\(key) notin (\(values))")
            case "Exists": parts.append(key)
            case "DoesNotExist": parts.append("!\(key)")
            default: break
            }
        }
        return parts.joined(separator: ",")
    }
}
