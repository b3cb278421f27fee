import Foundation
import Synchronization
import SerinTestSupport

/// Runs `serin operator` again and again, each time killing it with SIGKILL after a random
/// lifetime, or soon after a canary enters a phase not yet hit by a kill (so kills land in
/// Initializing, Progressing and Promoting/Finalising, not only in the long waits).
final class Killer: Sendable {
    struct Kill: Sendable {
        var time: Double
        var uptime: Double
        /// Phase of every canary (from the status recorder) when the signal was sent.
        var phases: [String: String]
    }

    private struct State {
        var rng: SeededRandom
        var kills: [Kill] = []
        var endings: [String] = []
        var stop = false
        var targeted: Set<String> = []
        var current: OperatorChild?
        var spawnErrors: [String] = []
        /// Where the loop is, for a diagnosis when the test times out.
        var stage = "idle"
    }

    private let state: Mutex<State>
    private let task = Mutex<Task<Void, Never>?>(nil)

    init(seed: UInt64) { state = Mutex(State(rng: SeededRandom(seed: seed))) }

    var kills: [Kill] { state.withLock { $0.kills } }
    /// How each killed process ended (`signal 9` unless it died on its own).
    var endings: [String] { state.withLock { $0.endings } }
    /// Processes that could not be started (retried after a pause).
    var spawnErrors: [String] { state.withLock { $0.spawnErrors } }
    var stage: String { state.withLock { $0.stage } }

    /// `spawn` starts one operator process; `phases` reads the canaries' current phases.
    func start(lifetime: ClosedRange<Double>, targetPhases: Set<String>,
               spawn: @escaping @Sendable () throws -> OperatorChild,
               phases: @escaping @Sendable () -> [String: String]) {
        let t = Task {
            while !state.withLock({ $0.stop }) {
                let child: OperatorChild
                state.withLock { $0.stage = "spawning #\($0.kills.count + 1) at \(TestTime.now)" }
                do {
                    child = try spawn()
                } catch {
                    state.withLock { $0.spawnErrors.append("\(error)") }
                    try? await Task.sleep(for: .milliseconds(100))
                    continue
                }
                state.withLock {
                    $0.current = child
                    $0.stage = "running #\($0.kills.count + 1) pid \(child.pid) since \(TestTime.now)"
                }
                let life = state.withLock { s in Double.random(in: lifetime, using: &s.rng) }
                let born = ContinuousClock.now
                var seenAtStart = phases()
                while !state.withLock({ $0.stop }) {
                    let age = (ContinuousClock.now - born).seconds
                    if age >= life { break }
                    // A canary entered a phase no kill has hit yet: kill while it is there.
                    let now = phases()
                    let fresh = now.filter { k, v in
                        targetPhases.contains(v) && seenAtStart[k] != v && !state.withLock { $0.targeted.contains(v) }
                    }
                    if let hit = fresh.first, age > 0.3 {
                        let delay = state.withLock { s in Double.random(in: 0.05...0.3, using: &s.rng) }
                        try? await Task.sleep(for: .seconds(delay))
                        state.withLock { _ = $0.targeted.insert(hit.value) }
                        break
                    }
                    seenAtStart = seenAtStart.merging(now) { old, _ in old }
                    try? await Task.sleep(for: .milliseconds(25))
                }
                let stopping = state.withLock { $0.stop }
                if stopping, !child.isRunning { break }
                let snapshot = phases()
                child.kill9()
                state.withLock { $0.stage = "killed pid \(child.pid) at \(TestTime.now), waiting for its exit" }
                let kill = Kill(time: TestTime.now, uptime: (ContinuousClock.now - born).seconds, phases: snapshot)
                _ = await child.waitForExit(timeout: .seconds(5))
                state.withLock { s in
                    s.kills.append(kill)
                    s.endings.append(child.ending)
                    s.current = nil
                }
            }
        }
        task.withLock { $0 = t }
    }

    /// Stops after the current process has been killed.
    func stop() async {
        state.withLock { $0.stop = true }
        let t = task.withLock { $0 }
        await t?.value
    }
}
