import Delivery
import Foundation
import KubeCore
import SerinAPI
import Traffic

/// Plays a Canary release through the operator's own decision core (CanaryDecider) in a
/// simulated cluster on a simulated clock, so the schedule shown is the one the operator
/// follows. Webhook gates open at once; metric checks all pass or all fail by scenario.
struct CanarySimulation {
    enum Scenario: Sendable {
        /// Every check passes: the path to promotion.
        case healthy
        /// Every metric check and rollout webhook fails from the first analysis on.
        case failingChecks
        /// The new version's pods never become ready.
        case neverReady
    }

    /// One moment worth a line: the traffic and phase after a reconcile, and what happened.
    struct Row: Sendable, Hashable {
        var seconds: Double
        var phase: CanaryPhase
        var route: RouteWeights
        var note: String
    }

    struct Outcome: Sendable {
        var rows: [Row]
        var finalPhase: CanaryPhase?
        /// From the new revision to the end (Succeeded or Failed); nil when it never ended.
        var seconds: Double?
        /// Canary weights set on the router, in order (0 excluded).
        var weights: [Int]
        /// When the first check failed, for the failing scenario.
        var firstFailureSeconds: Double?
        var failedChecks: Int
    }

    let spec: CanarySpec
    let name: String
    let namespace: String
    let defaultProvider: String
    /// Seconds pods take to become ready after a scale-up or promotion.
    let readySeconds: Double
    var replicas = 2
    /// Simulated time the run may take before giving up (a canary that waits forever).
    var horizon: Double = 30 * 24 * 3600

    func run(_ scenario: Scenario) async -> Outcome {
        var world = SimWorld(replicas: replicas, readySeconds: readySeconds)
        let decider = CanaryDecider(defaultProvider: defaultProvider, pollSeconds: 5)
        var status: CanaryStatus?
        var now = Date(timeIntervalSince1970: 1_800_000_000)

        // Bring the canary to Initialized with the first revision, as the cluster would have it.
        for _ in 0..<200 {
            let d = await reconcile(decider, &world, &status, now, scenario: .healthy).decision
            if status?.phase == .initialized { break }
            now += max(d.requeueAfter ?? decider.pollSeconds, 0.001)
        }
        guard status?.phase == .initialized else {
            return Outcome(rows: [], finalPhase: status?.phase, seconds: nil, weights: [], firstFailureSeconds: nil,
                           failedChecks: 0)
        }

        world.release(now: now, ready: scenario != .neverReady)
        let start = now
        var rows: [Row] = []
        var weights: [Int] = []
        var firstFailure: Double?
        var idle = 0
        var sameInstant = 0
        while now.timeIntervalSince(start) <= horizon {
            let before = world.workloads(at: now)
            let (d, ranChecks) = await reconcile(decider, &world, &status, now, scenario: scenario)
            let t = now.timeIntervalSince(start)
            if ranChecks, scenario == .failingChecks, firstFailure == nil { firstFailure = t }
            for a in d.actions { if case .setRoutes(let w) = a, w.canary > 0 { weights.append(w.canary) } }
            let route = world.routes ?? .primaryOnly
            let phase = status?.phase ?? .initializing
            let notes = d.events.map(\.message)
            if !notes.isEmpty || rows.last?.route != route || rows.last?.phase != phase {
                if notes.isEmpty {
                    rows.append(Row(seconds: t, phase: phase, route: route, note: ""))
                } else {
                    rows += notes.map { Row(seconds: t, phase: phase, route: route, note: $0) }
                }
            }
            if phase == .succeeded || phase == .failed {
                return Outcome(rows: rows, finalPhase: phase, seconds: t, weights: weights,
                               firstFailureSeconds: firstFailure, failedChecks: status?.failedChecks ?? 0)
            }
            // The controller watches the Deployments: a change it caused wakes it at once.
            if world.workloads(at: now) != before, sameInstant < 20 {
                sameInstant += 1
                continue
            }
            sameInstant = 0
            // No requeue means waiting for a watch event that a simulation never sends.
            if d.requeueAfter == nil { idle += 1 } else { idle = 0 }
            if idle > 3 { break }
            var next = now + max(d.requeueAfter ?? analysisInterval, 0.001)
            if let ready = world.nextReadiness(after: now), ready < next { next = ready }
            now = next
        }
        return Outcome(rows: rows, finalPhase: status?.phase, seconds: nil, weights: weights,
                       firstFailureSeconds: firstFailure, failedChecks: status?.failedChecks ?? 0)
    }

    var analysisInterval: Double { spec.effectiveAnalysis.intervalSeconds }

    /// One reconcile by the operator's own driver over the simulated cluster.
    private func reconcile(_ decider: CanaryDecider, _ world: inout SimWorld, _ status: inout CanaryStatus?, _ now: Date,
                           scenario: Scenario) async -> (decision: CanaryDecision, ranChecks: Bool) {
        var pass = SimPass(world: world, status: status, scenario: scenario, now: now)
        let input = CanaryInput(spec: spec, status: status, world: world.observed(self, now: now))
        let (decision, _) = await DeliveryDriver(decider).run(input, now: now, in: &pass)
        world = pass.world
        status = pass.status
        // An undecided pass changes nothing (the operator logs it and retries).
        return (decision ?? CanaryDecision(newStatus: status ?? CanaryStatus(), requeueAfter: decider.pollSeconds), pass.ranChecks)
    }

    /// Gates open; a `rollback` hook says no (2xx would mean "roll back"); rollout hooks fail
    /// only in the failing scenario.
    static func answer(_ hook: CanaryWebhook, scenario: Scenario) -> WebhookResult {
        switch hook.effectiveType {
        case .rollback: return WebhookResult(passed: false, statusCode: 403, message: "simulated: no rollback asked")
        case .rollout where scenario == .failingChecks:
            return WebhookResult(passed: false, statusCode: 500, message: "simulated failure")
        default: return WebhookResult(passed: true, statusCode: 200)
        }
    }

    static func check(_ m: CanaryMetric, scenario: Scenario, now: Date) -> MetricCheckResult {
        let pass = scenario != .failingChecks
        let r = m.bounds
        let value: Double = pass ? (r?.min ?? r?.max ?? 0) : (r?.min.map { $0 - 1 } ?? r?.max.map { $0 + 1 } ?? 0)
        return MetricCheckResult(name: m.name, query: "simulated", value: value, threshold: "", verdict: pass ? .pass : .fail,
                                 message: pass ? "simulated pass" : "simulated failure", checkedAt: KubeTime.format(now))
    }
}

/// One pass of the driver over the simulated cluster: queries answered by the scenario,
/// status kept, effects applied to `world`.
struct SimPass: DeliveryWorld {
    typealias Core = CanaryDecider

    var world: SimWorld
    var status: CanaryStatus?
    let scenario: CanarySimulation.Scenario
    /// The simulated time of this pass.
    let now: Date
    var ranChecks = false

    mutating func answer(_ queries: [CanaryQuery], into input: inout CanaryInput, now: Date) async {
        for q in queries {
            switch q {
            case .callWebhook(let hook, _):
                input.world.webhookResults[hook.name] = CanarySimulation.answer(hook, scenario: scenario)
                // Rollout hooks are checks too: in the failing scenario they fail first.
                if hook.effectiveType == .rollout, scenario == .failingChecks { ranChecks = true }
            case .runMetricChecks(let list):
                input.world.metricResults = list.map { CanarySimulation.check($0, scenario: scenario, now: now) }
                ranChecks = true
            }
        }
    }

    mutating func writeStatus(_ status: CanaryStatus, input: CanaryInput) async -> StatusWrite {
        self.status = status
        return .written
    }

    func record(_ decision: CanaryDecision, input: CanaryInput, now: Date) async {}

    mutating func perform(_ effect: CanaryAction, input: CanaryInput) async throws { world.apply([effect], now: now) }
}

/// The cluster as the decision core sees it: target, primary, routes, readiness over time.
struct SimWorld {
    let replicas: Int
    let readySeconds: Double
    var checksum = "rev-1"
    var targetDesired: Int
    var targetReadyAt: Date? = .distantPast
    var targetBecomesReady = true
    var primary: (desired: Int, readyAt: Date?)?
    var primaryChecksum: String?
    var routes: RouteWeights?
    var hasFinalizer = false

    init(replicas: Int, readySeconds: Double) {
        self.replicas = replicas
        self.readySeconds = readySeconds
        targetDesired = replicas
    }

    /// What the controller's Deployment watch sees: desired and ready replicas, the primary's revision.
    func workloads(at now: Date) -> String {
        let o = observed(nil, now: now)
        return "\(o.target?.desiredReplicas ?? -1)/\(o.target?.readyReplicas ?? -1) \(o.primary?.desiredReplicas ?? -1)/\(o.primary?.readyReplicas ?? -1) \(primaryChecksum ?? "")"
    }

    /// When pods scaled up earlier become ready next (a Deployment status change).
    func nextReadiness(after now: Date) -> Date? {
        [targetReadyAt, primary?.readyAt].compactMap { $0 }.filter { $0 > now }.min()
    }

    mutating func release(now: Date, ready: Bool) {
        checksum = "rev-2"
        targetBecomesReady = ready
    }

    func observed(_ sim: CanarySimulation?, now: Date, webhooks: [String: WebhookResult] = [:],
                  metrics: [MetricCheckResult]? = nil) -> ObservedWorld {
        func ready(_ desired: Int, _ at: Date?) -> Int { at.map { $0 <= now } == true ? desired : 0 }
        return ObservedWorld(
            name: sim?.name ?? "", namespace: sim?.namespace ?? "", generation: 1, annotations: [:], deleting: false,
            hasFinalizer: hasFinalizer,
            target: WorkloadState(desiredReplicas: targetDesired, readyReplicas: ready(targetDesired, targetReadyAt)),
            primary: primary.map { WorkloadState(desiredReplicas: $0.desired, readyReplicas: ready($0.desired, $0.readyAt)) },
            releaseChecksum: checksum, primaryChecksum: primaryChecksum, routes: routes,
            webhookResults: webhooks, metricResults: metrics)
    }

    mutating func apply(_ actions: [CanaryAction], now: Date) {
        for a in actions {
            switch a {
            case .initializePrimary:
                if primary == nil {
                    primary = (replicas, now)
                    primaryChecksum = checksum
                }
            case .reconcileRouting:
                if routes == nil { routes = .primaryOnly }
            case .scaleTargetUp:
                if targetDesired == 0 || targetReadyAt == nil {
                    targetDesired = replicas
                    targetReadyAt = targetBecomesReady ? now.addingTimeInterval(readySeconds) : nil
                }
            case .scaleTargetToZero:
                targetDesired = 0
                targetReadyAt = nil
            case .promote(let sum):
                primaryChecksum = sum
                primary = (replicas, now.addingTimeInterval(readySeconds))
            case .setRoutes(let w):
                routes = w
            case .holdPrimaryCapacity(let n):
                if let p = primary, p.desired < n { primary = (n, now.addingTimeInterval(readySeconds)) }
            case .releasePrimaryCapacity:
                break  // the autoscaler's minimum goes back; the replicas stay until it scales
            case .revertTarget:
                targetDesired = replicas
                targetReadyAt = now
            case .addFinalizer: hasFinalizer = true
            case .removeFinalizer: hasFinalizer = false
            case .notifyWebhook: break
            }
        }
    }
}
