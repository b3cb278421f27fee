import Foundation
import KubeCore
import SerinAPI
import Testing
@testable import Delivery

/// Random histories of promotes, aborts, retries, analysis outcomes, new templates, scale
/// changes, broken pods and clock jumps; after every decision the simulator checks that the
/// active Service only ever switches to a fully available ReplicaSet and that weights stay in
/// range, and after every abort that things end with the stable serving everything.
@Suite struct RolloutPropertyTests {
    enum Move: CaseIterable {
        case tick, longTick, promote, promoteFull, abort, retry, newImage, finishRunsOK, finishRunsFailed,
            finishRunsInconclusive, scale, breakPods, pauseToggle
    }

    static func randomMove(_ rng: inout SeededGenerator) -> Move {
        let weights: [(Move, Int)] = [(.tick, 30), (.longTick, 6), (.promote, 8), (.promoteFull, 2), (.abort, 4),
                                      (.retry, 4), (.newImage, 4), (.finishRunsOK, 8), (.finishRunsFailed, 3),
                                      (.finishRunsInconclusive, 2), (.scale, 3), (.breakPods, 2), (.pauseToggle, 2)]
        var pick = Int.random(in: 0..<weights.reduce(0) { $0 + $1.1 }, using: &rng)
        for (m, w) in weights {
            if pick < w { return m }
            pick -= w
        }
        return .tick
    }

    static func play(_ sim: inout RolloutSim, seed: UInt64, moves: Int) async {
        var rng = SeededGenerator(seed: seed)
        var image = 2
        var counter = 0
        for _ in 0..<moves {
            counter += 1
            switch randomMove(&rng) {
            case .tick: await sim.run(1, dt: Double(Int.random(in: 1...5, using: &rng)))
            case .longTick: await sim.run(1, dt: 45)
            case .promote: sim.annotate(ManualControlAnnotations.promote, "\(counter)")
            case .promoteFull: sim.annotate(ManualControlAnnotations.promoteFull, "\(counter)")
            case .abort: sim.annotate(ManualControlAnnotations.abort, "\(counter)")
            case .retry: sim.annotate(ManualControlAnnotations.retry, "\(counter)")
            case .newImage:
                image += 1
                sim.setImage("web:\(image)")
            case .finishRunsOK:
                sim.runOutcome = { _ in .successful }
                sim.finishRuns()
            case .finishRunsFailed:
                sim.runOutcome = { _ in .failed }
                sim.finishRuns()
            case .finishRunsInconclusive:
                sim.runOutcome = { _ in .inconclusive }
                sim.finishRuns()
            case .scale:
                sim.spec.replicas = Int.random(in: 1...8, using: &rng)
                sim.generation += 1
            case .breakPods:
                if let h = sim.status.currentPodHash { sim.neverReady.insert(h) }
            case .pauseToggle:
                let on = sim.annotations[ManualControlAnnotations.paused] == "true"
                sim.annotate(ManualControlAnnotations.paused, on ? "false" : "true")
            }
            await sim.step()
            sim.settle()
        }
    }

    /// After an abort with nothing else going on, the stable ends up serving everything.
    static func settleAbort(_ sim: inout RolloutSim) async -> [String] {
        sim.annotations[ManualControlAnnotations.paused] = nil
        sim.neverReady.removeAll()
        sim.annotate(ManualControlAnnotations.abort, "final")
        await sim.run(60, dt: 2)
        var problems: [String] = []
        guard sim.status.abort == true, let stable = sim.stableHash, let current = sim.status.currentPodHash,
              stable != current else { return [] }  // nothing was in progress
        let r = sim.spec.effectiveReplicas
        if sim.replicas(stable) != r { problems.append("stable has \(sim.replicas(stable)) of \(r) pods") }
        if sim.replicas(current) != 0 { problems.append("the aborted ReplicaSet still has \(sim.replicas(current)) pods") }
        if let b = sim.spec.strategy.blueGreen, sim.selector(b.activeService) != stable {
            problems.append("active Service selects \(sim.selector(b.activeService) ?? "nothing"), not the stable \(stable)")
        }
        if let c = sim.spec.strategy.canary {
            if let svc = c.stableService, sim.selector(svc) != stable { problems.append("stableService not on the stable") }
            if c.trafficRouting != nil, sim.weight != 0 { problems.append("canary weight \(sim.weight ?? -1) after abort") }
            if c.trafficRouting == nil, sim.status.canary?.weights?.canary.weight != 0 {
                problems.append("canary share \(sim.status.canary?.weights?.canary.weight ?? -1) after abort")
            }
        }
        return problems
    }

    @Test(arguments: 0..<40)
    func blueGreenHistories(seed: Int) async {
        var sim = await RolloutBlueGreenTests.deployed(RolloutSim.blueGreen(
            replicas: 3, auto: seed % 2 == 0, previewReplicaCount: seed % 3 == 0 ? 1 : nil))
        await Self.play(&sim, seed: UInt64(seed) &+ 1000, moves: 120)
        #expect(sim.violations.isEmpty, "seed \(seed): \(sim.violations)")
        let abort = await Self.settleAbort(&sim)
        #expect(abort.isEmpty, "seed \(seed): \(abort)")
        #expect(sim.violations.isEmpty, "seed \(seed): \(sim.violations)")
    }

    @Test(arguments: 0..<40)
    func canaryHistories(seed: Int) async {
        let steps: [RolloutCanaryStep] = [.weight(20), .pause(.int(30)), .analysis(.template("rate")), .weight(60), .pause()]
        var sim = await RolloutCanaryTests.deployed(RolloutSim.canary(replicas: 5, steps: steps, routed: seed % 2 == 0))
        await Self.play(&sim, seed: UInt64(seed) &+ 5000, moves: 120)
        #expect(sim.violations.isEmpty, "seed \(seed): \(sim.violations)")
        let abort = await Self.settleAbort(&sim)
        #expect(abort.isEmpty, "seed \(seed): \(abort)")
    }

    @Test(arguments: 0..<20)
    func completedUpdatesEndHealthy(seed: Int) async {
        // Whatever happened, a good version promoted fully ends Healthy on one ReplicaSet.
        var sim = await RolloutBlueGreenTests.deployed(RolloutSim.blueGreen(replicas: 3, auto: seed % 2 == 0))
        await Self.play(&sim, seed: UInt64(seed) &+ 9000, moves: 60)
        sim.annotations[ManualControlAnnotations.paused] = nil
        sim.neverReady.removeAll()
        sim.setImage("web:final-\(seed)")
        await sim.run(2)
        sim.annotate(ManualControlAnnotations.promoteFull, "final")
        await sim.run(60, dt: 2)
        #expect(sim.phase == .healthy, "seed \(seed): \(sim.status.message ?? "")")
        #expect(sim.stableHash == sim.status.currentPodHash)
        let active = sim.selector("web-active")
        #expect(active == sim.stableHash)
        let running = sim.replicaSets.values.filter { $0.replicas > 0 }.map(\.podHash)
        #expect(running == [sim.stableHash!], "seed \(seed)")
        #expect(sim.violations.isEmpty)
    }
}
