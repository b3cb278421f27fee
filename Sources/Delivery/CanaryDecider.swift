import Foundation
import KubeCore
import SerinAPI
import Traffic

/// The pure decision core of a Canary: (spec, status, observed world, now) → CanaryDecision.
///
/// Status is the only memory: every timer derives from timestamps in status, so deciding
/// twice with the same inputs gives the same decision, and a restart resumes where it was.
public struct CanaryDecider: DecisionCore {
    /// The operator's `--provider`, used when `spec.provider` is absent.
    public var defaultProvider: String
    /// How soon to look again while waiting for replicas to become ready or scale down.
    public var pollSeconds: Double

    public init(defaultProvider: String = CanaryProviders.kubernetes, pollSeconds: Double = 5) {
        self.defaultProvider = defaultProvider
        self.pollSeconds = pollSeconds
    }

    public static func decide(spec: CanarySpec, status: CanaryStatus?, observed: ObservedWorld, now: Date) -> CanaryDecision {
        CanaryDecider().decide(spec: spec, status: status, observed: observed, now: now)
    }

    public func decide(_ canary: Canary, observed: ObservedWorld, now: Date) -> CanaryDecision {
        decide(spec: canary.spec, status: canary.status, observed: observed, now: now)
    }

    public func decide(spec: CanarySpec, status: CanaryStatus?, observed: ObservedWorld, now: Date) -> CanaryDecision {
        var round = DecisionRound(decider: self, spec: spec, status: status ?? CanaryStatus(), observed: observed, now: now)
        round.run()
        if !round.queries.isEmpty {
            // Results are missing: ask for them and change nothing until they arrive.
            return CanaryDecision(newStatus: status ?? CanaryStatus(), queries: round.queries, requeueAfter: 0)
        }
        return CanaryDecision(newStatus: round.s, actions: round.actions, events: round.events, requeueAfter: round.requeue)
    }

    public func decide(_ input: CanaryInput, now: Date) -> CanaryDecision {
        decide(spec: input.spec, status: input.status, observed: input.world, now: now)
    }

    public func storedStatus(_ input: CanaryInput) -> CanaryStatus? { input.status }
}
