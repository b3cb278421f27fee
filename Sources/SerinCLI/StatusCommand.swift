import ArgumentParser
import Foundation
import KubeCore
import SerinAPI

/// `serin status NAME [--watch]`.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show a Canary's or Rollout's phase, traffic weight, step, checks and recent events.",
        discussion: """
            NAME is looked up as a Canary and as a Rollout (use --kind or canary/NAME, rollout/NAME to choose). \
            With --watch the status is printed again whenever it changes; when a release that was in progress \
            ends, the command exits (status 0 when promoted, 1 when rolled back or degraded).
            """)

    @OptionGroup var cluster: ClusterOptions
    @Argument(help: "Name of the Canary or Rollout.") var name: String
    @Option(help: "canary or rollout, when both kinds have an object of that name.") var kind: ResourceKind?
    @Flag(name: [.short, .long], help: "Print the status again on every change.") var watch = false
    @Option(help: "With --watch: seconds between polls.") var interval: Double = 2
    @Option(help: "With --watch: give up after this many seconds (0: no limit).") var timeout: Double = 0
    @Option(help: "How many recent events to show.") var events: Int = 10

    func validate() throws {
        guard interval >= 0.05 else { throw ValidationError("--interval must be at least 0.05 seconds") }
        guard timeout >= 0 else { throw ValidationError("--timeout must not be negative") }
        guard events >= 0 else { throw ValidationError("--events must not be negative") }
    }

    func run() async throws {
        let out = CLIOutput.current
        let outcome: StatusWatcher.Outcome = try await cluster.withSession { session in
            let target = try await ObjectResolver.resolve(name, kind: kind, session: session)
            let watcher = StatusWatcher(session: session, kind: target.kind, name: target.name, eventLimit: events)
            if !watch {
                out.write(try await watcher.snapshot(first: target.object).text)
                return .shown
            }
            return try await watcher.watch(first: target.object, interval: interval, timeout: timeout, out: out)
        }
        switch outcome {
        case .shown, .succeeded: return
        case .failed(let why):
            out.errorLine(why)
            throw ExitCode(1)
        case .timedOut:
            out.errorLine("still in progress after \(HumanDuration.offset(timeout)) (--timeout)")
            throw ExitCode(2)
        }
    }
}

/// Renders one object's status with its events, and watches it by polling.
struct StatusWatcher: Sendable {
    let session: ClusterSession
    let kind: ResourceKind
    let name: String
    let eventLimit: Int

    enum Outcome: Sendable, Equatable {
        case shown, succeeded, failed(String), timedOut
    }

    struct Snapshot: Sendable {
        var text: String
        /// Changes exactly when the object or its events change (not with the passing of time).
        var fingerprint: String
        var activity: Activity
    }

    enum Activity: Sendable, Equatable {
        case active, idle, succeeded, failed(String)
    }

    func snapshot(first: JSONValue? = nil) async throws -> Snapshot {
        let object: JSONValue
        if let first {
            object = first
        } else {
            object = try await session.api.get(kind.resource, namespace: session.namespace, name: name)
        }
        let now = Date()
        let events = try await EventsView.fetch(session: session, kind: kind.kindName, name: name, namespace: session.namespace)
        var text: String
        var runs: [JSONValue] = []
        switch kind {
        case .canary:
            text = CanaryView.render(object, now: now)
        case .rollout:
            runs = try await analysisRuns(of: object)
            text = RolloutView.render(object, runs: runs, now: now)
        }
        text += "\n" + EventsView.render(events, limit: eventLimit, now: now)
        let fingerprint = ([object["metadata"]["resourceVersion"].stringValue ?? ""]
            + runs.map { $0["metadata"]["resourceVersion"].stringValue ?? "" }
            + events.map { "\($0.resourceVersion):\($0.count)" }).joined(separator: ",")
        return Snapshot(text: text, fingerprint: fingerprint, activity: Self.activity(kind: kind, object))
    }

    static func activity(kind: ResourceKind, _ o: JSONValue) -> Activity {
        let phase = o["status"]["phase"].stringValue ?? ""
        switch kind {
        case .canary:
            switch CanaryPhase(rawValue: phase) {
            case .succeeded?: return .succeeded
            case .failed?: return .failed("rolled back: \(o["status"]["message"].stringValue ?? "the release failed")")
            case let p? where p.isActive: return .active
            default: return .idle
            }
        case .rollout:
            switch phase {
            case "Progressing", "Paused": return .active
            case "Healthy": return .succeeded
            case "Degraded": return .failed("degraded: \(o["status"]["message"].stringValue ?? "the rollout failed")")
            default: return .idle
            }
        }
    }

    /// AnalysisRuns owned by the Rollout (none when the CRD is absent).
    func analysisRuns(of rollout: JSONValue) async throws -> [JSONValue] {
        let uid = rollout["metadata"]["uid"].stringValue
        do {
            let list = try await session.api.list(.analysisRuns, namespace: session.namespace)
            return list.items.filter { run in
                (run["metadata"]["ownerReferences"].arrayValue ?? []).contains { ref in
                    (uid != nil && ref["uid"].stringValue == uid)
                        || (ref["kind"].stringValue == "Rollout" && ref["name"].stringValue == name)
                }
            }
        } catch let e as KubeAPIError where e.isNotFound || e.code == 403 {
            return []
        }
    }

    /// Prints the status at once and after every change, until a release seen in progress
    /// ends, the timeout passes, or the task is cancelled (Ctrl-C).
    func watch(first: JSONValue, interval: Double, timeout: Double, out: CLIOutput) async throws -> Outcome {
        let start = ContinuousClock.now
        var last = ""
        var sawActive = false
        var object: JSONValue? = first
        while true {
            let snap = try await snapshot(first: object)
            object = nil
            if snap.fingerprint != last {
                last = snap.fingerprint
                if out.isTerminal {
                    out.write("\u{1B}[H\u{1B}[2J")  // redraw in place
                } else {
                    out.line("--- \(KubeTime.format(Date()))")
                }
                out.write(snap.text)
            }
            switch snap.activity {
            case .active: sawActive = true
            case .succeeded where sawActive: return .succeeded
            case .failed(let why) where sawActive: return .failed(why)
            default: break
            }
            if timeout > 0, ContinuousClock.now - start >= .seconds(timeout) { return .timedOut }
            try await Task.sleep(for: .seconds(interval))
        }
    }
}
