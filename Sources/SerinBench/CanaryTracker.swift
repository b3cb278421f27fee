import Foundation
import KubeCore
import Synchronization

/// What the bench sees of one Canary's status, and when it saw it (wall clock, at the moment
/// the in-process watch delivered the change).
struct CanarySample: Sendable {
    var at: Date
    var phase: String?
    var weight: Int?
    var lastStepTime: String?
    var lastAppliedSpec: String?
}

/// Follows every Canary through an in-process watch. Keeps the latest status of each and,
/// while `recording`, every change of phase, weight, step time or release checksum.
final class CanaryTracker: Sendable {
    private struct State {
        var latest: [Int: CanarySample] = [:]
        var history: [Int: [CanarySample]] = [:]
        /// Analysis ticks seen while recording: changes of `lastStepTime` to a new value.
        var ticks: [Int: Int] = [:]
        var recording = false
        var watching = false
    }
    private let state = Mutex(State())

    /// Canary index from its name (`app-N`).
    static func index(_ name: String?) -> Int? {
        guard let name, name.hasPrefix("app-") else { return nil }
        return Int(name.dropFirst(4))
    }

    /// Lists, then watches from the list's resourceVersion; resumes when a stream ends.
    func follow(api: any KubeAPI) async {
        var rv: String?
        while !Task.isCancelled {
            do {
                if rv == nil {
                    let list = try await api.list(.canaries, namespace: BenchManifests.namespace)
                    for item in list.items { observe(item) }
                    rv = list.resourceVersion
                }
                let stream = try await api.watch(
                    .canaries, namespace: BenchManifests.namespace,
                    options: WatchOptions(resourceVersion: rv, allowWatchBookmarks: false))
                state.withLock { $0.watching = true }
                for try await event in stream {
                    switch event.type {
                    case .added, .modified:
                        observe(event.object)
                        rv = event.object.resourceVersion ?? rv
                    case .deleted:
                        if let i = Self.index(event.object.name) { state.withLock { _ = $0.latest.removeValue(forKey: i) } }
                    case .bookmark:
                        rv = event.object.resourceVersion ?? rv
                    case .error:
                        rv = nil
                    }
                }
            } catch {
                if Task.isCancelled { return }
                rv = nil
                try? await Task.sleep(for: .milliseconds(100))
            }
        }
    }

    private func observe(_ obj: JSONValue) {
        guard let i = Self.index(obj.name) else { return }
        let status = obj["status"]
        let sample = CanarySample(
            at: Date(), phase: status["phase"].stringValue, weight: status["canaryWeight"].intValue,
            lastStepTime: status["lastStepTime"].stringValue, lastAppliedSpec: status["lastAppliedSpec"].stringValue)
        state.withLock { s in
            let before = s.latest[i]
            s.latest[i] = sample
            guard s.recording else { return }
            if let t = sample.lastStepTime, t != before?.lastStepTime { s.ticks[i, default: 0] += 1 }
            if before == nil || before?.phase != sample.phase || before?.weight != sample.weight
                || before?.lastStepTime != sample.lastStepTime || before?.lastAppliedSpec != sample.lastAppliedSpec
            {
                s.history[i, default: []].append(sample)
            }
        }
    }

    var isWatching: Bool { state.withLock { $0.watching } }

    /// Starts (or restarts) recording changes; earlier history is dropped.
    func startRecording() {
        state.withLock {
            $0.history = [:]
            $0.ticks = [:]
            $0.recording = true
        }
    }

    func stopRecording() { state.withLock { $0.recording = false } }

    func latest(_ i: Int) -> CanarySample? { state.withLock { $0.latest[i] } }

    func history(_ i: Int) -> [CanarySample] { state.withLock { $0.history[i] ?? [] } }

    func allHistory() -> [Int: [CanarySample]] { state.withLock { $0.history } }

    /// How many canaries' latest status satisfies `predicate`.
    func count(where predicate: (CanarySample) -> Bool) -> Int {
        state.withLock { s in s.latest.values.reduce(0) { $0 + (predicate($1) ? 1 : 0) } }
    }

    /// How many canaries satisfy `predicate` (index, latest status).
    func count(indexed predicate: (Int, CanarySample) -> Bool) -> Int {
        state.withLock { s in s.latest.reduce(0) { $0 + (predicate($1.key, $1.value) ? 1 : 0) } }
    }

    /// How many canaries have at least `k` ticks recorded.
    func countTicks(atLeast k: Int) -> Int {
        state.withLock { s in s.ticks.values.reduce(0) { $0 + ($1 >= k ? 1 : 0) } }
    }

    /// Canaries in each phase (`Initialized 998, Progressing 2`).
    func phaseSummary() -> String {
        let counts = state.withLock { s -> [String: Int] in
            var c: [String: Int] = [:]
            for v in s.latest.values { c[v.phase ?? "none", default: 0] += 1 }
            return c
        }
        return counts.sorted { $0.value > $1.value }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
    }
}
