import Foundation
import KubeCore
import SerinAPI
import Traffic
@testable import Delivery

/// A scripted cluster that plays the controller: it carries out a decision's actions on a toy
/// model of the target, the primary and the routes, and answers queries from scripts.
struct SimCluster {
    var replicas = 3
    var targetDesired = 3
    var targetReady = 3
    var targetChecksum = "rev-1"
    var primary: WorkloadState?
    var primaryChecksum: String?
    var routes: RouteWeights?
    var hasFinalizer = false
    var deleting = false
    var annotations: [String: String] = [:]
    /// Ready at once after scaling (false: the replicas never become ready).
    var becomesReady = true
    var primaryBecomesReady = true
    /// Ready primary replicas gained per reconcile after a scale-up (pods take time to start).
    var primaryReadyPerReconcile = 1_000_000
    /// The primary autoscaler's maxReplicas.
    var primaryScaleLimit: Int?
    /// The concurrency limit's answer.
    var releaseSlot: ReleaseSlot?
    /// Replica counts asked of the primary's autoscaler, and how often it was released.
    var capacityHolds: [Int] = []
    var capacityReleases = 0
}

final class Simulator {
    var spec: CanarySpec
    var status: CanaryStatus?
    var cluster = SimCluster()
    var now: Date
    var decider: CanaryDecider
    /// Metric verdicts per analysis interval (called with the 0-based count of checks run so far).
    var metricScript: (Int) -> [MetricCheckResult] = { _ in [] }
    var webhookScript: (CanaryWebhook) -> WebhookResult = { _ in WebhookResult(passed: true, statusCode: 200) }
    private(set) var checksRun = 0

    var events: [CanaryEvent] = []
    var actions: [CanaryAction] = []
    var calledHooks: [String] = []
    /// Canary weights set on the router, in order.
    var weights: [Int] { actions.compactMap { if case .setRoutes(let w) = $0 { return w.canary } else { return nil } } }
    var phases: [CanaryPhase] = []

    init(spec: CanarySpec, provider: String = "istio", start: Date = Date(timeIntervalSince1970: 1_800_000_000)) {
        self.spec = spec
        now = start
        decider = CanaryDecider(defaultProvider: provider, pollSeconds: 5)
    }

    func observed(webhooks: [String: WebhookResult] = [:], metrics: [MetricCheckResult]? = nil) -> ObservedWorld {
        var w = ObservedWorld(
            name: "podinfo", namespace: "test", generation: 1, annotations: cluster.annotations,
            deleting: cluster.deleting, hasFinalizer: cluster.hasFinalizer,
            target: WorkloadState(desiredReplicas: cluster.targetDesired, readyReplicas: cluster.targetReady),
            primary: cluster.primary, releaseChecksum: cluster.targetChecksum, primaryChecksum: cluster.primaryChecksum,
            routes: cluster.routes, webhookResults: webhooks, metricResults: metrics)
        w.primaryScaleLimit = cluster.primaryScaleLimit
        w.releaseSlot = cluster.releaseSlot
        return w
    }

    /// One reconcile by the operator's driver over this cluster: decide, answer queries,
    /// decide again, store status, carry out the actions.
    @discardableResult
    func reconcile() async -> CanaryDecision {
        if var p = cluster.primary, cluster.primaryBecomesReady, p.readyReplicas < p.desiredReplicas {
            p.readyReplicas = min(p.desiredReplicas, p.readyReplicas + cluster.primaryReadyPerReconcile)
            cluster.primary = p
        }
        var world = self
        let (decision, outcome) = await DeliveryDriver(decider, maxRounds: 5)
            .run(CanaryInput(spec: spec, status: status, world: observed()), now: now, in: &world)
        guard let decision else { preconditionFailure("the decider keeps asking for results: \(outcome)") }
        return decision
    }

    func apply(_ list: [CanaryAction]) {
        for a in list {
            actions.append(a)
            switch a {
            case .initializePrimary:
                if cluster.primary == nil {
                    cluster.primary = WorkloadState(desiredReplicas: cluster.replicas,
                                                    readyReplicas: cluster.primaryBecomesReady ? cluster.replicas : 0)
                    cluster.primaryChecksum = cluster.targetChecksum
                }
            case .reconcileRouting:
                if cluster.routes == nil { cluster.routes = .primaryOnly }
            case .scaleTargetUp:
                cluster.targetDesired = cluster.replicas
                cluster.targetReady = cluster.becomesReady ? cluster.replicas : 0
            case .scaleTargetToZero:
                cluster.targetDesired = 0
                cluster.targetReady = 0
            case .promote(let checksum):
                cluster.primaryChecksum = checksum
                cluster.primary = WorkloadState(desiredReplicas: cluster.replicas,
                                                readyReplicas: cluster.primaryBecomesReady ? cluster.replicas : 0)
            case .setRoutes(let w):
                cluster.routes = w
            case .holdPrimaryCapacity(let n):
                cluster.capacityHolds.append(n)
                if var p = cluster.primary {
                    p.desiredReplicas = max(p.desiredReplicas, min(n, cluster.primaryScaleLimit ?? n))
                    cluster.primary = p
                }
            case .releasePrimaryCapacity:
                cluster.capacityReleases += 1
            case .revertTarget:
                cluster.targetDesired = cluster.replicas
                cluster.targetReady = cluster.replicas
            case .addFinalizer: cluster.hasFinalizer = true
            case .removeFinalizer: cluster.hasFinalizer = false
            case .notifyWebhook(let h, _): calledHooks.append(h.name)
            }
        }
    }

    /// Reconciles, advancing the clock by each requeue, until `done` or `maxSteps`.
    func run(maxSteps: Int = 500, until done: (CanaryStatus) async -> Bool) async {
        for _ in 0..<maxSteps {
            let d = await reconcile()
            if let s = status, await done(s) { return }
            now = now.addingTimeInterval(max(d.requeueAfter ?? 60, 0.001))
        }
    }

    /// A new revision of the target's pod template.
    func release(_ checksum: String) { cluster.targetChecksum = checksum }

    var phase: CanaryPhase? { status?.phase }
}

func metric(_ name: String, _ value: Double?, _ verdict: MetricCheckResult.Verdict, noData: Bool = false) -> MetricCheckResult {
    MetricCheckResult(name: name, query: "q(\(name))", value: value, threshold: "", verdict: verdict,
                      message: value.map { "value \($0)" } ?? "no data", noData: noData, checkedAt: "2027-01-15T08:00:00Z")
}

extension Simulator: DeliveryWorld {
    typealias Core = CanaryDecider

    func answer(_ queries: [CanaryQuery], into input: inout CanaryInput, now: Date) async {
        for q in queries {
            switch q {
            case .callWebhook(let h, _):
                calledHooks.append(h.name)
                input.world.webhookResults[h.name] = webhookScript(h)
            case .runMetricChecks:
                input.world.metricResults = metricScript(checksRun)
                checksRun += 1
            }
        }
    }

    func writeStatus(_ status: CanaryStatus, input: CanaryInput) async -> StatusWrite {
        self.status = status
        return .written
    }

    func record(_ decision: CanaryDecision, input: CanaryInput, now: Date) async {
        events += decision.events
        if let p = decision.newStatus.phase, phases.last != p { phases.append(p) }
    }

    func perform(_ effect: CanaryAction, input: CanaryInput) async throws { apply([effect]) }
}

/// Deterministic generator for property tests (SplitMix64).
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
