import Foundation
import Testing
import KubeCore
import SerinAPI
import Traffic
@testable import Delivery

/// Random specs and random worlds, seeded so a failure names the seed that reproduces it.
@Suite struct CanaryPropertyTests {
    static func randomSpec(_ rng: inout SeededGenerator) -> CanarySpec {
        var a = CanaryAnalysis(interval: ["10s", "30s", "1m", "2m"].randomElement(using: &rng)!,
                               threshold: Int.random(in: 1...5, using: &rng))
        switch Int.random(in: 0..<5, using: &rng) {
        case 0, 1:
            let max = Int.random(in: 5...100, using: &rng)
            a.maxWeight = max
            a.stepWeight = Int.random(in: 1...max, using: &rng)
        case 2:
            var w = 0
            var steps: [Int] = []
            for _ in 0..<Int.random(in: 1...5, using: &rng) where w < 100 {
                w = min(100, w + Int.random(in: 1...40, using: &rng))
                steps.append(w)
            }
            a.stepWeights = steps
        case 3:
            a.iterations = Int.random(in: 1...5, using: &rng)
        default:
            a.iterations = Int.random(in: 1...4, using: &rng)
            a.match = [["headers": ["x-canary": ["exact": "insider"]]]]
        }
        if a.strategy != .abTesting, Bool.random(using: &rng) {
            a.mirror = true
            a.mirrorWeight = Int.random(in: 1...100, using: &rng)
        }
        if a.strategy == .canary, Int.random(in: 0..<3, using: &rng) == 0 {
            a.stepWeightPromotion = Int.random(in: 1...50, using: &rng)
        }
        a.metrics = [CanaryMetric(name: "request-success-rate", thresholdRange: ThresholdRange(min: 99))]
        var hooks: [CanaryWebhook] = []
        for type in [WebhookType.confirmRollout, .preRollout, .rollout, .confirmTrafficIncrease, .confirmPromotion, .rollback, .postRollout]
        where Int.random(in: 0..<4, using: &rng) == 0 {
            hooks.append(CanaryWebhook(name: "hook-\(type.rawValue)", type: type, url: "http://hooks/\(type.rawValue)"))
        }
        a.webhooks = hooks
        var spec = CanarySpec(provider: "istio", targetRef: CrossNamespaceRef(name: "podinfo"),
                              service: CanaryService(port: 80), progressDeadlineSeconds: [60, 120, 600].randomElement(using: &rng)!,
                              analysis: a)
        if Int.random(in: 0..<15, using: &rng) == 0 { spec.skipAnalysis = true }
        return spec
    }

    struct Violation: Error, CustomStringConvertible {
        var description: String
    }

    /// Drives one random history and checks the invariants after every reconcile.
    struct Coverage {
        var succeeded = 0, failed = 0, advances = 0, promotions = 0, restarts = 0
    }

    @discardableResult
    static func check(seed: UInt64) async throws -> Coverage {
        var rng = SeededGenerator(seed: seed)
        let spec = randomSpec(&rng)
        #expect(spec.validate(defaultProvider: "istio").isEmpty, "seed \(seed): generated an invalid spec")
        let a = spec.effectiveAnalysis
        let sim = Simulator(spec: spec)
        let failRate = [0, 10, 30, 60].randomElement(using: &rng)!
        let holdRate = Int.random(in: 0...15, using: &rng)
        let noRate = [0, 20, 50].randomElement(using: &rng)!
        var checkRNG = SeededGenerator(seed: seed &+ 1)
        sim.metricScript = { _ in
            let roll = Int.random(in: 0..<100, using: &checkRNG)
            if roll < failRate { return [metric("request-success-rate", 90, .fail)] }
            if roll < failRate + holdRate { return [metric("request-success-rate", nil, .hold, noData: true)] }
            return [metric("request-success-rate", 99.5, .pass)]
        }
        var hookRNG = SeededGenerator(seed: seed &+ 2)
        sim.webhookScript = { hook in
            let roll = Int.random(in: 0..<100, using: &hookRNG)
            // A rollback hook that answers 2xx asks for a rollback, so it mostly says no.
            if hook.effectiveType == .rollback { return WebhookResult(passed: roll < 3, statusCode: roll < 3 ? 200 : 404) }
            return roll < noRate ? WebhookResult(passed: false, statusCode: 403) : WebhookResult(passed: true, statusCode: 200)
        }
        sim.cluster.becomesReady = Int.random(in: 0..<10, using: &rng) != 0
        await sim.run(maxSteps: 20) { $0.phase == .initialized }
        guard sim.phase == .initialized else { throw Violation(description: "seed \(seed): never initialized") }

        var release = 1
        var lastCanary = 0
        for _ in 0..<Int.random(in: 40...160, using: &rng) {
            // Random world events between reconciles.
            let roll = Int.random(in: 0..<100, using: &rng)
            if roll < 6 {
                release += 1
                sim.release("rev-\(release + 1)")
            } else if roll < 8 {
                sim.cluster.annotations[CanaryAnnotations.abort] = "a\(roll)-\(release)"
            } else if roll < 10 {
                sim.cluster.annotations[CanaryAnnotations.retry] = "r\(roll)-\(release)"
            } else if roll < 11 {
                sim.cluster.annotations[CanaryAnnotations.promote] = "p\(release)"
            } else if roll < 14 {
                sim.cluster.becomesReady.toggle()
            }
            let before = sim.status ?? CanaryStatus()
            let actionsBefore = sim.actions.count
            let d = await sim.reconcile()
            let after = sim.status ?? CanaryStatus()
            let newActions = Array(sim.actions[actionsBefore...])

            // 1. No promotion with failed checks at the threshold.
            if newActions.contains(where: { if case .promote = $0 { return true } else { return false } }),
               (before.failedChecks ?? 0) >= a.effectiveThreshold || (after.failedChecks ?? 0) >= a.effectiveThreshold {
                throw Violation(description: "seed \(seed): promoted with \(after.failedChecks ?? 0) failed checks")
            }
            if (after.failedChecks ?? 0) > a.effectiveThreshold {
                throw Violation(description: "seed \(seed): failedChecks \(after.failedChecks ?? 0) beyond threshold")
            }
            // 2. Weights stay within the plan and only move by it.
            for case .setRoutes(let w) in newActions {
                if w.primary + w.canary != 100 { throw Violation(description: "seed \(seed): weights \(w) do not add up") }
                switch a.strategy {
                case .canary:
                    if w.canary > a.effectiveMaxWeight {
                        throw Violation(description: "seed \(seed): canary weight \(w.canary) above maxWeight \(a.effectiveMaxWeight)")
                    }
                    if w.canary > lastCanary, w.canary != a.nextWeight(after: lastCanary) {
                        throw Violation(description: "seed \(seed): weight jumped \(lastCanary) → \(w.canary), plan \(a.weightPlan)")
                    }
                    if w.canary < lastCanary, w.canary != 0, after.phase != .promoting {
                        throw Violation(description: "seed \(seed): weight fell \(lastCanary) → \(w.canary) in \(String(describing: after.phase))")
                    }
                case .blueGreen:
                    if w.canary != 0 && w.canary != 100 { throw Violation(description: "seed \(seed): blue/green split \(w)") }
                case .abTesting:
                    if w.canary != 0 { throw Violation(description: "seed \(seed): A/B weighted \(w)") }
                }
                if w.mirror != nil, a.mirror != true { throw Violation(description: "seed \(seed): mirrored without mirror") }
                lastCanary = w.canary
            }
            // 3. A failure ends with the primary serving everything and the target at zero.
            if after.phase == .failed {
                if sim.cluster.routes != .primaryOnly || sim.cluster.targetDesired != 0 || after.canaryWeight != 0 {
                    throw Violation(description: "seed \(seed): failed with routes \(String(describing: sim.cluster.routes)), target \(sim.cluster.targetDesired)")
                }
            }
            // 4. Status weight agrees with the routes once actions are carried out.
            if let routes = sim.cluster.routes, [.progressing, .waitingPromotion].contains(after.phase), after.waitingFor != "canary-ready",
               routes.canary != (after.canaryWeight ?? 0) {
                throw Violation(description: "seed \(seed): status weight \(after.canaryWeight ?? 0) but routes \(routes)")
            }
            sim.now = sim.now.addingTimeInterval(max(d.requeueAfter ?? a.intervalSeconds, 0.001))
        }
        var c = Coverage()
        c.succeeded = sim.events.filter { $0.reason == "Succeeded" }.count
        c.failed = sim.events.filter { $0.reason == "Failed" }.count
        c.advances = sim.events.filter { $0.reason == "Advance" }.count
        c.promotions = sim.actions.filter { if case .promote = $0 { return true } else { return false } }.count
        c.restarts = sim.events.filter { $0.message.hasPrefix("New revision detected! Restarting") }.count
        return c
    }

    @Test func invariantsHoldOverRandomHistories() async throws {
        var total = Coverage()
        for seed in UInt64(1)...400 {
            let c = try await Self.check(seed: seed)
            total.succeeded += c.succeeded
            total.failed += c.failed
            total.advances += c.advances
            total.promotions += c.promotions
            total.restarts += c.restarts
        }
        // The histories must reach every outcome, or the invariants were never exercised.
        #expect(total.succeeded > 50)
        #expect(total.failed > 50)
        #expect(total.advances > 500)
        #expect(total.restarts > 10)
    }

    @Test func sameInputsSameDecision() async {
        var rng = SeededGenerator(seed: 99)
        for seed in UInt64(1)...60 {
            let spec = Self.randomSpec(&rng)
            let sim = Simulator(spec: spec)
            sim.metricScript = { i in [metric("request-success-rate", i % 3 == 0 ? 90 : 99.5, i % 3 == 0 ? .fail : .pass)] }
            await sim.run(maxSteps: 20) { $0.phase == .initialized }
            sim.release("rev-2")
            for _ in 0..<30 {
                let obs = sim.observed()
                let a = sim.decider.decide(spec: spec, status: sim.status, observed: obs, now: sim.now)
                let b = sim.decider.decide(spec: spec, status: sim.status, observed: obs, now: sim.now)
                #expect(a == b, "seed \(seed)")
                let d = await sim.reconcile()
                sim.now = sim.now.addingTimeInterval(max(d.requeueAfter ?? 60, 0.001))
            }
        }
    }

    /// A restart at any moment: a second, fresh decider fed the stored status continues the
    /// same way, and a repeated reconcile at the same instant does not repeat a step.
    @Test func aRestartNeitherRepeatsNorSkipsSteps() async throws {
        let spec = try seedCanary().spec
        let reference = Simulator(spec: spec)
        reference.metricScript = { _ in [metric("request-success-rate", 99.9, .pass)] }
        await reference.run { $0.phase == .initialized }
        reference.release("rev-2")
        await reference.run { $0.phase == .succeeded }

        for restartAt in stride(from: 1, to: 30, by: 1) {
            let sim = Simulator(spec: spec)
            sim.metricScript = { _ in [metric("request-success-rate", 99.9, .pass)] }
            await sim.run { $0.phase == .initialized }
            sim.release("rev-2")
            var step = 0
            await sim.run { _ in
                step += 1
                if step == restartAt {
                    // The "new process": a new decider; the reconcile is repeated at the same instant.
                    sim.decider = CanaryDecider(defaultProvider: "istio", pollSeconds: 5)
                    await sim.reconcile()
                }
                return sim.phase == .succeeded
            }
            let condition1 = sim.weights.filter { $0 > 0 } == reference.weights.filter { $0 > 0 }
            #expect(condition1, "restart at step \(restartAt)")
            let condition2 = sim.events.filter { $0.reason == "Advance" }.count == 10
            #expect(condition2, "restart at step \(restartAt)")
            #expect(sim.checksRun == reference.checksRun, "restart at step \(restartAt)")
        }
    }
}
