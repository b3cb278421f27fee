import KubeCore

/// The status a Deployment or ReplicaSet shows in each phase of a simulated rollout, shaped
/// like the real controllers write it: counts omitted when zero (`omitempty`), conditions
/// whose timestamps move only when their status or reason changes.
enum WorkloadStatus {
    enum Phase: Equatable {
        /// New pods exist but are not ready yet; `available` pods still serve, `oldReplicas` of
        /// them from the previous template (pending termination, as in a rolling update).
        case progressing(available: Int, oldReplicas: Int)
        case ready
        case failed(available: Int, oldReplicas: Int)
        /// `spec.paused`: counts stay where they were.
        case paused(replicas: Int, updated: Int, available: Int)
    }

    static func desiredReplicas(_ obj: JSONValue) -> Int { max(0, obj[path: ["spec", "replicas"]].intValue ?? 1) }

    /// `name-<hash>` as the Deployment controller names its ReplicaSets (FNV-1a of the template,
    /// in kube's vowel-free alphabet), so messages quote a realistic ReplicaSet name.
    static func replicaSetName(_ deployment: JSONValue) -> String {
        var hash: UInt32 = 2_166_136_261
        for b in deployment[path: ["spec", "template"]].serializedBytes() {
            hash ^= UInt32(b)
            hash = hash &* 16_777_619
        }
        let alphabet = Array("bcdfghjklmnpqrstvwxz2456789")
        var s = ""
        var h = hash
        repeat {
            s.append(alphabet[Int(h % UInt32(alphabet.count))])
            h /= UInt32(alphabet.count)
        } while h > 0
        return "\(deployment.name ?? "")-\(s)"
    }

    /// `maxUnavailable` resolved against the desired count (percent rounds down), 0 for Recreate.
    static func maxUnavailable(_ d: JSONValue, desired: Int) -> Int {
        guard desired > 0, d[path: ["spec", "strategy", "type"]].stringValue ?? "RollingUpdate" == "RollingUpdate" else { return 0 }
        let raw = d[path: ["spec", "strategy", "rollingUpdate", "maxUnavailable"]]
        let value: Int
        if let i = raw.intValue {
            value = i
        } else if let s = raw.stringValue, s.hasSuffix("%"), let p = Int(s.dropLast()) {
            value = desired * p / 100
        } else {
            value = desired * 25 / 100
        }
        return min(max(0, value), desired)
    }

    static func deploymentStatus(_ d: JSONValue, phase: Phase, now: String) -> JSONValue {
        let desired = desiredReplicas(d)
        let rs = replicaSetName(d)
        var replicas = desired
        var updated = desired
        var available: Int
        var progressing: (status: String, reason: String, message: String)
        switch phase {
        case .ready:
            available = desired
            progressing = ("True", "NewReplicaSetAvailable", "ReplicaSet \"\(rs)\" has successfully progressed.")
        case .progressing(let a, let old):
            available = a
            replicas = desired + old
            progressing = ("True", "ReplicaSetUpdated", "ReplicaSet \"\(rs)\" is progressing.")
        case .failed(let a, let old):
            available = a
            replicas = desired + old
            progressing = ("False", "ProgressDeadlineExceeded", "ReplicaSet \"\(rs)\" has timed out progressing.")
        case .paused(let r, let u, let a):
            replicas = r
            updated = u
            available = a
            progressing = ("Unknown", "DeploymentPaused", "Deployment is paused")
        }
        let minAvailable = desired - maxUnavailable(d, desired: desired)
        let isAvailable = available >= minAvailable
        var status = d["status"].objectValue.map(JSONValue.object) ?? [:]
        status["observedGeneration"] = .int(Int64(d.generation ?? 1))
        setCount(&status, "replicas", replicas)
        setCount(&status, "updatedReplicas", updated)
        setCount(&status, "readyReplicas", available)
        setCount(&status, "availableReplicas", available)
        // The controller counts unavailable against spec.replicas, not the current total.
        setCount(&status, "unavailableReplicas", max(0, desired - available))
        var conditions = status["conditions"].arrayValue ?? []
        setCondition(
            &conditions, type: "Available", status: isAvailable ? "True" : "False",
            reason: isAvailable ? "MinimumReplicasAvailable" : "MinimumReplicasUnavailable",
            message: isAvailable ? "Deployment has minimum availability." : "Deployment does not have minimum availability.",
            now: now, withUpdateTime: true)
        setCondition(
            &conditions, type: "Progressing", status: progressing.status, reason: progressing.reason,
            message: progressing.message, now: now, withUpdateTime: true)
        status["conditions"] = .array(conditions)
        return status
    }

    /// ReplicaSet status: `replicas` is always present (no omitempty in apps/v1), the rest only when non-zero.
    static func replicaSetStatus(_ rs: JSONValue, ready: Int) -> JSONValue {
        let desired = desiredReplicas(rs)
        var status = rs["status"].objectValue.map(JSONValue.object) ?? [:]
        status["replicas"] = .int(Int64(desired))
        setCount(&status, "fullyLabeledReplicas", desired)
        setCount(&status, "readyReplicas", min(ready, desired))
        setCount(&status, "availableReplicas", min(ready, desired))
        status["observedGeneration"] = .int(Int64(rs.generation ?? 1))
        return status
    }

    static func setCount(_ status: inout JSONValue, _ field: String, _ n: Int) {
        status[field] = n == 0 ? .null : .int(Int64(n))
    }

    /// Like the controller's SetDeploymentCondition: an unchanged status and reason leaves the
    /// condition as it is; a changed reason keeps lastTransitionTime when the status is the same.
    static func setCondition(
        _ conditions: inout [JSONValue], type: String, status: String, reason: String, message: String, now: String,
        withUpdateTime: Bool
    ) {
        let index = conditions.firstIndex { $0["type"].stringValue == type }
        if let i = index, conditions[i]["status"].stringValue == status, conditions[i]["reason"].stringValue == reason {
            return
        }
        var c: JSONValue = [
            "type": .string(type), "status": .string(status), "reason": .string(reason), "message": .string(message),
            "lastTransitionTime": .string(now),
        ]
        if withUpdateTime { c["lastUpdateTime"] = .string(now) }
        if let i = index {
            if conditions[i]["status"].stringValue == status, let t = conditions[i]["lastTransitionTime"].stringValue {
                c["lastTransitionTime"] = .string(t)
            }
            conditions[i] = c
        } else {
            conditions.append(c)
        }
    }
}
