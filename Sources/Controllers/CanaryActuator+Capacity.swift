import KubeCore
import SerinAPI

/// The rollback handover's scale-up (see `DecisionRound+Handover`): the primary's autoscaler is
/// asked to keep at least the replicas that carry all the traffic, so it cannot shrink the
/// primary while traffic returns; the copy of the user's autoscaler is written again after.
extension CanaryActuator {
    func holdPrimaryCapacity(_ o: CanaryObservation, replicas: Int) async throws {
        guard let ref = o.spec.autoscalerRef else { return }
        let name = "\(ref.name)-primary"
        var floor = replicas
        if let hpa = try await writer.get(.horizontalPodAutoscalers, namespace: o.namespace, name: name) {
            let max = hpa[path: ["spec", "maxReplicas"]].intValue.map { Int($0) } ?? replicas
            let min = hpa[path: ["spec", "minReplicas"]].intValue.map { Int($0) } ?? 1
            floor = Swift.min(Swift.max(min, replicas), max)
            if floor != min {
                try await writer.mergePatch(.horizontalPodAutoscalers, namespace: o.namespace, name: name,
                                            ["spec": ["minReplicas": .int(Int64(floor))]])
                logger.info("raised the primary autoscaler's minimum for the rollback",
                            metadata: ["hpa": "\(name)", "minReplicas": "\(floor)"])
            }
        }
        // The autoscaler would get there on its next sync; scaling now saves that wait.
        if let primary = o.primary, let current = o.workload.replicas(primary), current < floor {
            try await writer.mergePatch(o.workload.resource, namespace: o.namespace, name: o.names.primary,
                                        o.workload.scalePatch(replicas: floor))
        }
    }
}
