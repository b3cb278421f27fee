import KubeCore
import SerinAPI

/// A ReplicaSet of the Rollout as the controller read it.
public struct RolloutReplicaSetState: Sendable, Hashable {
    public var name: String
    /// The `rollouts-pod-template-hash` label.
    public var podHash: String
    /// The `serin.dev/revision` annotation (0 when absent).
    public var revision: Int
    /// `spec.replicas`.
    public var replicas: Int
    /// `status.replicas`, `status.readyReplicas`, `status.availableReplicas`.
    public var statusReplicas: Int
    public var readyReplicas: Int
    public var availableReplicas: Int
    /// `status.observedGeneration >= metadata.generation`: the counts describe the current spec.
    public var observed: Bool
    /// The `serin.dev/scale-down-deadline` annotation (RFC 3339).
    public var scaleDownDeadline: String?
    /// The ReplicaSet was stable at some point (`serin.dev/was-stable`).
    public var wasStable: Bool
    /// `spec.template` (with the hash label).
    public var template: JSONValue

    public init(name: String, podHash: String, revision: Int, replicas: Int, statusReplicas: Int? = nil,
                readyReplicas: Int? = nil, availableReplicas: Int? = nil, observed: Bool = true,
                scaleDownDeadline: String? = nil, wasStable: Bool = false, template: JSONValue = .null) {
        self.name = name
        self.podHash = podHash
        self.revision = revision
        self.replicas = replicas
        self.statusReplicas = statusReplicas ?? replicas
        self.readyReplicas = readyReplicas ?? replicas
        self.availableReplicas = availableReplicas ?? replicas
        self.observed = observed
        self.scaleDownDeadline = scaleDownDeadline
        self.wasStable = wasStable
        self.template = template
    }

    /// Available pods counted against the current spec (stale status counts as nothing new).
    public var available: Int { min(availableReplicas, replicas) }

    /// Exactly `n` pods wanted and all of them available (a ReplicaSet with 0 wanted is never "serving").
    public func isFullyAvailable(at n: Int) -> Bool {
        observed && replicas == n && availableReplicas >= n && n > 0
    }

    /// Wants `n` pods and has them available (for 0: wants none).
    public func isAt(_ n: Int) -> Bool {
        observed && replicas == n && availableReplicas >= n
    }
}

/// A Service named by the strategy.
public struct RolloutServiceState: Sendable, Hashable {
    public var name: String
    /// The value of `rollouts-pod-template-hash` in its selector; nil when it selects by other labels only.
    public var selectorHash: String?
    public init(name: String, selectorHash: String? = nil) {
        self.name = name
        self.selectorHash = selectorHash
    }
}

/// An AnalysisRun the Rollout owns.
public struct RolloutRunState: Sendable, Hashable {
    public var name: String
    /// `status.phase`; nil until the AnalysisRun controller first wrote it.
    public var phase: AnalysisPhase?
    public var message: String?
    /// RFC 3339 `metadata.creationTimestamp` (history limits keep the newest).
    public var created: String?
    public var terminating: Bool
    public init(name: String, phase: AnalysisPhase? = nil, message: String? = nil, created: String? = nil,
                terminating: Bool = false) {
        self.name = name
        self.phase = phase
        self.message = message
        self.created = created
        self.terminating = terminating
    }
}

/// The Deployment of `workloadRef`.
public struct RolloutWorkloadState: Sendable, Hashable {
    public var name: String
    /// `spec.replicas`.
    public var replicas: Int
    public init(name: String, replicas: Int) {
        self.name = name
        self.replicas = replicas
    }
}

/// A workloadRef StatefulSet as the controller read it (its pods are the Rollout's).
public struct RolloutStatefulSetState: Sendable, Hashable {
    public var name: String
    /// `spec.replicas`.
    public var replicas: Int
    /// `spec.updateStrategy.rollingUpdate.partition` (0 when unset): pods with an ordinal at or
    /// above it run `updateRevision`.
    public var partition: Int
    /// `spec.updateStrategy.type` is OnDelete (pods are never replaced by the controller).
    public var onDelete: Bool
    /// `status.currentRevision` and `status.updateRevision` (ControllerRevision names, the
    /// pods' `controller-revision-hash` label).
    public var currentRevision: String
    public var updateRevision: String
    /// `status.updatedReplicas`, `status.readyReplicas`, `status.availableReplicas`.
    public var updatedReplicas: Int
    public var readyReplicas: Int
    public var availableReplicas: Int
    /// `metadata.generation` (the revision number messages quote) and whether status caught up.
    public var generation: Int
    public var observed: Bool

    public init(name: String, replicas: Int, partition: Int = 0, onDelete: Bool = false, currentRevision: String,
                updateRevision: String, updatedReplicas: Int, readyReplicas: Int, availableReplicas: Int? = nil,
                generation: Int = 1, observed: Bool = true) {
        self.name = name
        self.replicas = replicas
        self.partition = partition
        self.onDelete = onDelete
        self.currentRevision = currentRevision
        self.updateRevision = updateRevision
        self.updatedReplicas = updatedReplicas
        self.readyReplicas = readyReplicas
        self.availableReplicas = availableReplicas ?? readyReplicas
        self.generation = generation
        self.observed = observed
    }

    /// Updated pods that are available, counting every old pod as available first (the
    /// StatefulSet's status does not split availability by revision).
    public var updatedAvailable: Int {
        max(0, min(updatedReplicas, availableReplicas - (replicas - updatedReplicas)))
    }
}

/// Everything the controller observed for one Rollout decision.
public struct RolloutWorld: Sendable, Hashable {
    public var name: String
    public var namespace: String
    public var generation: Int?
    public var annotations: [String: String]
    /// The pod template in force: `spec.template`, or the workloadRef Deployment's (nil when it is missing).
    public var template: JSONValue?
    /// The workloadRef Deployment; nil without workloadRef or when it does not exist.
    public var workload: RolloutWorkloadState?
    /// The workloadRef StatefulSet; nil without one or when it does not exist.
    public var statefulSet: RolloutStatefulSetState?
    public var replicaSets: [RolloutReplicaSetState]
    /// Services that exist, by name (only those the strategy names).
    public var services: [String: RolloutServiceState]
    /// AnalysisRuns the Rollout owns, by name.
    public var runs: [String: RolloutRunState]
    /// Pods of the Rollout created before the restart time still running; nil when not counted.
    public var podsToRestart: Int?
    /// Experiments the Rollout owns, by name.
    public var experiments: [String: RolloutExperimentState]

    public init(name: String, namespace: String, generation: Int? = nil, annotations: [String: String] = [:],
                template: JSONValue? = nil, workload: RolloutWorkloadState? = nil,
                replicaSets: [RolloutReplicaSetState] = [], services: [String: RolloutServiceState] = [:],
                runs: [String: RolloutRunState] = [:], podsToRestart: Int? = nil,
                experiments: [String: RolloutExperimentState] = [:], statefulSet: RolloutStatefulSetState? = nil) {
        self.statefulSet = statefulSet
        self.name = name
        self.namespace = namespace
        self.generation = generation
        self.annotations = annotations
        self.template = template
        self.workload = workload
        self.replicaSets = replicaSets
        self.services = services
        self.runs = runs
        self.podsToRestart = podsToRestart
        self.experiments = experiments
    }

    public func replicaSet(hash: String?) -> RolloutReplicaSetState? {
        guard let hash else { return nil }
        return replicaSets.first { $0.podHash == hash }
    }

    public var maxRevision: Int { replicaSets.map(\.revision).max() ?? 0 }
}
