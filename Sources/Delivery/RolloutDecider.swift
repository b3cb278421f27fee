import Foundation
import KubeCore
import SerinAPI

/// The pure decision core of a Rollout: (spec, status, observed world, now) → RolloutDecision.
///
/// Status is the only memory (with the revision and scale-down-deadline annotations Serin
/// writes on its own ReplicaSets): deciding twice with the same inputs gives the same
/// decision, and a restarted operator resumes at the same step.
public struct RolloutDecider: DecisionCore {
    /// How soon to look again while waiting for pods (ReplicaSet status changes also wake the controller).
    public var pollSeconds: Double

    public init(pollSeconds: Double = 5) {
        self.pollSeconds = pollSeconds
    }

    public func decide(_ rollout: Rollout, world: RolloutWorld, now: Date) -> RolloutDecision {
        decide(spec: rollout.spec, status: rollout.status, world: world, now: now)
    }

    public func decide(spec: RolloutSpec, status: RolloutStatus?, world: RolloutWorld, now: Date) -> RolloutDecision {
        var round = RolloutRound(decider: self, spec: spec, status: status ?? RolloutStatus(), world: world, now: now)
        round.run()
        return RolloutDecision(newStatus: round.s, actions: round.actions, events: round.events,
                               requeueAfter: round.requeue)
    }

    public func decide(_ input: RolloutInput, now: Date) -> RolloutDecision {
        decide(spec: input.spec, status: input.status, world: input.world, now: now)
    }

    public func storedStatus(_ input: RolloutInput) -> RolloutStatus? { input.status }
}
