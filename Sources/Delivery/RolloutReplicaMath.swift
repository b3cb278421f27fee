import SerinAPI

/// Replica counts of the canary strategy.
public enum RolloutReplicaMath {
    /// Pods for `weight` percent of `total` (rounded up, as Argo does, so 1% of 5 is one pod).
    public static func share(of total: Int, weight: Int) -> Int {
        guard total > 0, weight > 0 else { return 0 }
        return min(total, Int((Double(total) * Double(min(100, weight)) / 100).rounded(.up)))
    }

    /// maxSurge (rounded up) and maxUnavailable (rounded down) against `total`; when both come
    /// to zero one pod may be unavailable, as for a Deployment.
    public static func surgeAndUnavailable(total: Int, maxSurge: IntOrString?, maxUnavailable: IntOrString?)
        -> (surge: Int, unavailable: Int)
    {
        let surge = max(0, (maxSurge ?? RolloutCanaryStrategy.defaultMaxSurge).scaled(total: total, roundUp: true) ?? 1)
        var unavailable = max(0, (maxUnavailable ?? RolloutCanaryStrategy.defaultMaxUnavailable)
            .scaled(total: total, roundUp: false) ?? 0)
        if surge == 0 && unavailable == 0 { unavailable = 1 }
        return (surge, min(unavailable, total))
    }

    /// Current spec count and available pods of one ReplicaSet.
    public struct Side: Sendable, Hashable {
        public var replicas: Int
        public var available: Int
        public init(replicas: Int, available: Int) {
            self.replicas = replicas
            self.available = min(available, replicas)
        }
    }

    /// The next spec counts moving the canary and stable ReplicaSets toward `desired` without
    /// going above `total + surge` pods or below `total - unavailable` available ones (the
    /// basic canary, where the replica split is the traffic split). Scale-ups come first;
    /// scale-downs remove unavailable pods before available ones.
    public static func step(canary: Side, stable: Side, desired: (canary: Int, stable: Int), total: Int,
                            surge: Int, unavailable: Int) -> (canary: Int, stable: Int) {
        let maxTotal = total + surge
        let minAvailable = max(0, total - unavailable)
        var c = canary.replicas
        var s = stable.replicas
        // Up, within the surge (the canary first: it carries the new version).
        if c < desired.canary { c = min(desired.canary, c + max(0, maxTotal - (c + s))) }
        if s < desired.stable { s = min(desired.stable, s + max(0, maxTotal - (c + s))) }
        // Down, keeping enough available pods.
        var spare = max(0, canary.available + stable.available - minAvailable)
        if s > desired.stable {
            let unready = stable.replicas - stable.available
            let removable = unready + spare
            let next = max(desired.stable, s - removable)
            spare -= max(0, (s - next) - unready)
            s = next
        }
        if c > desired.canary {
            let unready = canary.replicas - canary.available
            c = max(desired.canary, c - (unready + max(0, spare)))
        }
        return (c, s)
    }
}
