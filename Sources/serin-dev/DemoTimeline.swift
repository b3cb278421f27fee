import Foundation
import KubeCore
import SerinAPI
import Synchronization

/// Prints the demo's timeline: one line per thing that happened, with the time since the
/// demo started and where it came from (the canary's status, an event, HAProxy, the kubelet
/// stand-in, the load generator). Lines are written unbuffered so a pipe sees them live.
final class DemoTimeline: Sendable {
    private let start = ContinuousClock.now
    private let lines = Mutex<[String]>([])

    var elapsed: Double {
        let d = ContinuousClock.now - start
        return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }

    func line(_ source: String, _ text: String) {
        let stamp = String(format: "%6.1fs", elapsed)
        let padded = source.padding(toLength: 8, withPad: " ", startingAt: 0)
        let out = "\(stamp)  \(padded) \(text)"
        lines.withLock { $0.append(out) }
        Self.write(out + "\n")
    }

    /// Text outside the timeline (headings, the summary).
    func say(_ text: String) { Self.write(text + "\n") }

    var all: [String] { lines.withLock { $0 } }

    static func write(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    // MARK: - Canary status and events

    /// What a status line shows; a new line is printed when any of it changes.
    struct CanarySnapshot: Equatable {
        var phase: String
        var weight: Int
        var failedChecks: Int
        var checks: [String]
        /// When each check ran: a re-check with the same value is still news.
        var checkedAt: [String]
        var message: String
    }

    static func snapshot(_ canary: JSONValue, threshold: Int) -> CanarySnapshot {
        let status = (try? canary["status"].decode(as: CanaryStatus.self)) ?? CanaryStatus()
        let checks = (status.metricResults ?? []).map { r -> String in
            let value = r.value.map { String(format: "%.2f", $0) } ?? "no data"
            let mark = r.verdict == .pass ? "ok" : r.verdict.rawValue.uppercased()
            return "\(r.name) \(value) (\(r.threshold)) \(mark)"
        }
        return CanarySnapshot(
            phase: status.phase?.rawValue ?? "-", weight: status.canaryWeight ?? 0,
            failedChecks: status.failedChecks ?? 0, checks: checks,
            checkedAt: (status.metricResults ?? []).map(\.checkedAt), message: status.message ?? "")
    }

    static func describe(_ s: CanarySnapshot, threshold: Int) -> String {
        var text = "\(s.phase.padding(toLength: 12, withPad: " ", startingAt: 0)) weight \(String(format: "%3d", s.weight))"
            + "  failed \(s.failedChecks)/\(threshold)"
        if !s.checks.isEmpty { text += "  | " + s.checks.joined(separator: "  ") }
        return text
    }

    /// Prints a status line whenever the Canary's phase, weight, failed checks or metric
    /// results change.
    func followCanary(api: any KubeAPI, namespace: String, name: String, threshold: Int) async {
        let last = Mutex<CanarySnapshot?>(nil)
        await DemoWatch.follow(api: api, .canaries, namespace: namespace) { obj in
            guard obj.name == name else { return }
            let s = Self.snapshot(obj, threshold: threshold)
            // The message changes with every step; the rest says what a reader needs.
            var key = s
            key.message = ""
            let changed = last.withLock { prev in
                defer { prev = key }
                return prev != key
            }
            if changed { self.line("canary", Self.describe(s, threshold: threshold)) }
        }
    }

    /// Prints each new Event about the Canary (and repeats of an event, with their count).
    func followEvents(api: any KubeAPI, namespace: String, name: String) async {
        let seen = Mutex<[String: Int]>([:])
        await DemoWatch.follow(api: api, .events, namespace: namespace) { e in
            guard e[path: ["involvedObject", "kind"]] == "Canary",
                  e[path: ["involvedObject", "name"]].stringValue == name,
                  let id = e.name else { return }
            let count = e["count"].intValue ?? 1
            let isNew = seen.withLock { s in
                defer { s[id] = count }
                return (s[id] ?? 0) < count
            }
            guard isNew else { return }
            let reason = e["reason"].stringValue ?? ""
            let warn = e["type"] == "Warning" ? " (warning)" : ""
            // A repeat (count > 1) is the same event again, e.g. in the next release: shown as new.
            self.line("event", "\(reason)\(warn): \(e["message"].stringValue ?? "")")
        }
    }
}
