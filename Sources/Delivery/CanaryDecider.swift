import Foundation
import KubeCore
import SerinAPI
import Traffic

/// The pure decision core of a Canary: (spec, status, observed world, now) → Decision.
///
/// Status is the only memory: every timer derives from timestamps in status, so deciding
/// twice with the same inputs gives the same Decision, and a restart resumes where it was.
public struct CanaryDecider: Sendable {
    /// The operator's `--provider`, used when `spec.provider` is absent.
    public var defaultProvider: String
    /// How soon to look again while waiting for replicas to become ready or scale down.
    public var pollSeconds: Double

    public init(defaultProvider: String = CanaryProviders.kubernetes, pollSeconds: Double = 5) {
        self.defaultProvider = defaultProvider
        self.pollSeconds = pollSeconds
    }

    public static func decide(spec: CanarySpec, status: CanaryStatus?, observed: ObservedWorld, now: Date) -> Decision {
        CanaryDecider().decide(spec: spec, status: status, observed: observed, now: now)
    }

    public func decide(_ canary: Canary, observed: ObservedWorld, now: Date) -> Decision {
        decide(spec: canary.spec, status: canary.status, observed: observed, now: now)
    }

    public func decide(spec: CanarySpec, status: CanaryStatus?, observed: ObservedWorld, now: Date) -> Decision {
        var round = DecisionRound(decider: self, spec: spec, status: status ?? CanaryStatus(), observed: observed, now: now)
        round.run()
        if !round.queries.isEmpty {
            // Results are missing: ask for them and change nothing until they arrive.
            return Decision(newStatus: status ?? CanaryStatus(), actions: round.queries, requeueAfter: 0, events: [])
        }
        return Decision(newStatus: round.s, actions: round.actions, requeueAfter: round.requeue, events: round.events)
    }
}
