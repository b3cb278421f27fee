import Foundation
import KubeCore
import SerinAPI

/// The manual-control verbs, written as annotations (ManualControlAnnotations) with a JSON
/// merge patch, so the CLI never edits a spec and a GitOps user can do the same by hand.
enum ControlVerb: String, Sendable, CaseIterable {
    case promote, promoteFull = "promote --full", abort, retry, pause, resume, undo, restart

    /// Nil when the verb applies to the kind; otherwise why not and what to do instead.
    func refusal(for kind: ResourceKind) -> String? {
        guard kind == .canary else { return nil }
        switch self {
        case .promoteFull:
            return "promote --full applies to Rollouts; `serin promote` already skips the rest of a Canary's analysis"
        case .undo:
            return "undo applies to Rollouts; to roll a Canary back use `serin abort`, "
                + "or revert the target Deployment's pod template to start a release of the old version"
        case .restart:
            return "restart applies to Rollouts; a Canary's pods belong to its Deployment "
                + "(`kubectl rollout restart deployment/<target>` starts a release)"
        default:
            return nil
        }
    }

    /// The annotation written, and its value (nil removes it).
    func annotation(now: Date, revision: Int?) -> (key: String, value: String?) {
        let trigger = KubeTime.format(now, micro: true)  // a fresh value acts once
        switch self {
        case .promote: return (ManualControlAnnotations.promote, trigger)
        case .promoteFull: return (ManualControlAnnotations.promoteFull, trigger)
        case .abort: return (ManualControlAnnotations.abort, trigger)
        case .retry: return (ManualControlAnnotations.retry, trigger)
        case .restart: return (ManualControlAnnotations.restart, trigger)
        case .pause: return (ManualControlAnnotations.paused, "true")
        case .resume: return (ManualControlAnnotations.paused, nil)
        case .undo: return (ManualControlAnnotations.undo, (revision.map(String.init) ?? "previous") + "@" + trigger)
        }
    }

    static func patch(key: String, value: String?) -> JSONValue {
        ["metadata": ["annotations": .object([key: value.map(JSONValue.string) ?? .null])]]
    }

    /// What the operator will do, in one line.
    func outcome(kind: ResourceKind, revision: Int?) -> String {
        switch (self, kind) {
        case (.promote, .canary): return "promote requested: the rest of the analysis is skipped and the canary promoted"
        case (.promote, .rollout): return "promote requested: the rollout leaves its current pause or step"
        case (.promoteFull, _): return "full promotion requested: every remaining step and analysis is skipped"
        case (.abort, _): return "abort requested: traffic goes back to the \(kind == .canary ? "primary" : "stable version") and the new version is scaled down"
        case (.retry, _): return "retry requested: the release starts again from its first step"
        case (.pause, _): return "paused: the operator takes no action and traffic stays as it is"
        case (.resume, _): return "resumed"
        case (.undo, _): return "undo requested: roll back to " + (revision.map { "revision \($0)" } ?? "the previous revision")
        case (.restart, _): return "restart requested: every pod is replaced"
        }
    }
}

enum ManualControl {
    /// When the request comes at a moment the operator will not act on it (it records the
    /// value as handled all the same), say so.
    static func phaseNote(_ verb: ControlVerb, _ target: ResolvedObject) -> String? {
        let phase = target.object["status"]["phase"].stringValue ?? ""
        switch target.kind {
        case .canary:
            let active = CanaryPhase(rawValue: phase)?.isActive ?? false
            switch verb {
            case .promote where !active, .abort where !active:
                return "the Canary is \(phase.isEmpty ? "not reconciled yet" : phase): \(verb.rawValue) acts only while a release is under way"
            case .retry where phase != CanaryPhase.failed.rawValue:
                return "the Canary is \(phase.isEmpty ? "not reconciled yet" : phase): retry acts only on a Failed release"
            default: return nil
            }
        case .rollout:
            let updating = target.object["status"]["currentPodHash"].stringValue != target.object["status"]["stableRS"].stringValue
            switch verb {
            case .promote, .promoteFull, .abort:
                return updating ? nil : "the Rollout runs its stable revision: \(verb.rawValue) acts only during an update"
            case .retry where target.object["status"]["abort"].boolValue != true:
                return "the Rollout is not aborted: retry acts only on an aborted update"
            default: return nil
            }
        }
    }

    /// Resolves NAME, checks the verb applies, patches the annotation; returns what to print.
    static func run(_ verb: ControlVerb, argument: String, kind: ResourceKind?, revision: Int? = nil,
                    session: ClusterSession, now: Date = Date()) async throws -> String {
        let target = try await ObjectResolver.resolve(argument, kind: kind, session: session)
        if let refusal = verb.refusal(for: target.kind) {
            throw CLIError("\(target.title): \(refusal)")
        }
        let annotations = target.object["metadata"]["annotations"]
        var notes: [String] = []
        switch verb {
        case .pause where annotations[ManualControlAnnotations.paused].stringValue == "true":
            notes.append("it was already paused")
        case .resume where annotations[ManualControlAnnotations.paused].stringValue != "true":
            notes.append("it was not paused by \(ManualControlAnnotations.paused)")
        default: break
        }
        if verb == .resume {
            if target.kind == .canary, target.object["spec"]["suspend"].boolValue == true {
                notes.append("spec.suspend is true: it stays suspended until the spec says otherwise")
            }
            if target.kind == .rollout, target.object["spec"]["paused"].boolValue == true {
                notes.append("spec.paused is true: it stays paused until the spec says otherwise")
            }
        }
        if let note = Self.phaseNote(verb, target) { notes.append(note) }
        let (key, value) = verb.annotation(now: now, revision: revision)
        _ = try await session.api.patch(target.kind.resource, namespace: target.namespace, name: target.name,
                                        type: .merge, ControlVerb.patch(key: key, value: value))
        var text = "\(target.title): \(verb.outcome(kind: target.kind, revision: revision))"
        text += value.map { " (\(key)=\($0))" } ?? " (\(key) removed)"
        for n in notes { text += "\n  note: \(n)" }
        return text + "\n"
    }
}
