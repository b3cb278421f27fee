import Foundation
import KubeCore
import SerinAPI

/// Where an analysis stands.
enum RolloutGate: Equatable {
    case passed
    case waiting
    case failed(String)
    case inconclusive(String)
}

extension RolloutRound {
    static let defaultRunHistoryLimit = 5

    /// `<rollout>-<hash>-<revision>-<step|pre|post>` (background: no suffix); `.N` after a retry.
    func runName(_ kind: RolloutAnalysisKind, step: Int? = nil) -> String {
        var n = "\(w.name)-\(podHash)-\(newRevision)"
        switch kind {
        case .step: n += "-\(step ?? 0)"
        case .prePromotion: n += "-pre"
        case .postPromotion: n += "-post"
        case .background: break
        }
        if let a = s.releaseAttempt, a > 0 { n += ".\(a)" }
        return n
    }

    func runStatus(_ kind: RolloutAnalysisKind) -> RolloutAnalysisRunStatus? {
        switch kind {
        case .step: return s.canary?.currentStepAnalysisRunStatus
        case .background: return s.canary?.currentBackgroundAnalysisRunStatus
        case .prePromotion: return s.blueGreen?.prePromotionAnalysisRunStatus
        case .postPromotion: return s.blueGreen?.postPromotionAnalysisRunStatus
        }
    }

    mutating func setRunStatus(_ kind: RolloutAnalysisKind, _ value: RolloutAnalysisRunStatus?) {
        switch kind {
        case .step, .background:
            var c = s.canary ?? RolloutCanaryStatus()
            if kind == .step { c.currentStepAnalysisRunStatus = value } else { c.currentBackgroundAnalysisRunStatus = value }
            s.canary = c
        case .prePromotion, .postPromotion:
            var b = s.blueGreen ?? RolloutBlueGreenStatus()
            if kind == .prePromotion { b.prePromotionAnalysisRunStatus = value } else { b.postPromotionAnalysisRunStatus = value }
            s.blueGreen = b
        }
    }

    static func label(_ kind: RolloutAnalysisKind) -> String {
        switch kind {
        case .step: return "step"
        case .background: return "background"
        case .prePromotion: return "pre-promotion"
        case .postPromotion: return "post-promotion"
        }
    }

    /// Runs (creating it when missing) the analysis of `kind` and says where it stands. The run's
    /// name is a function of the revision, the step and the attempt, so a restart finds it again.
    mutating func analysisGate(_ kind: RolloutAnalysisKind, _ analysis: RolloutAnalysis?, step: Int? = nil) -> RolloutGate {
        guard let analysis else { return .passed }
        let run = runName(kind, step: step)
        keepRuns.insert(run)
        let label = Self.label(kind)
        var phase: AnalysisPhase?
        var message: String?
        if let r = w.runs[run] {
            phase = r.phase ?? .pending
            message = r.message
        } else if let recorded = runStatus(kind), recorded.name == run {
            // Known from status (the run may be gone from the cache or deleted by history limits).
            phase = AnalysisPhase(rawValue: recorded.status)
            message = recorded.message
            if phase?.isCompleted != true {
                // Created but not seen yet: ask again (AlreadyExists is fine).
                actions.append(.createAnalysisRun(RolloutAnalysisRequest(
                    name: run, kind: kind, analysis: analysis, latestHash: podHash, stableHash: s.stableRS, stepIndex: step)))
                phase = .pending
            }
        } else {
            actions.append(.createAnalysisRun(RolloutAnalysisRequest(
                name: run, kind: kind, analysis: analysis, latestHash: podHash, stableHash: s.stableRS, stepIndex: step)))
            event(.normal, "AnalysisRunCreated", "Created \(label) AnalysisRun \(run) for revision \(newRevision)")
            phase = .pending
        }
        let p = phase ?? .pending
        setRunStatus(kind, RolloutAnalysisRunStatus(name: run, status: p.rawValue, message: message))
        let why = message.map { ": \($0)" } ?? ""
        switch p {
        case .successful: return .passed
        case .failed, .error: return .failed("\(label) analysis \(run) \(p.rawValue)\(why)")
        case .inconclusive: return .inconclusive("\(label) analysis \(run) Inconclusive\(why)")
        case .pending, .running:
            doing = "waiting for \(label) analysis \(run)"
            return .waiting
        }
    }

    /// Runs no longer wanted: terminated while measuring; completed ones beyond the history
    /// limits (newest kept) deleted.
    mutating func housekeepRuns() {
        let wanted = keepRuns.union([s.canary?.currentStepAnalysisRunStatus?.name, s.canary?.currentBackgroundAnalysisRunStatus?.name,
                                     s.blueGreen?.prePromotionAnalysisRunStatus?.name,
                                     s.blueGreen?.postPromotionAnalysisRunStatus?.name].compactMap { $0 })
        for r in w.runs.values.sorted(by: { $0.name < $1.name }) where !keepRuns.contains(r.name) {
            if r.phase?.isCompleted != true, !r.terminating {
                actions.append(.terminateAnalysisRun(name: r.name))
            }
        }
        let done = w.runs.values.filter { $0.phase?.isCompleted == true && !wanted.contains($0.name) }
            .sorted { ($0.created ?? "", $0.name) > ($1.created ?? "", $1.name) }
        let okLimit = spec.analysis?.successfulRunHistoryLimit ?? Self.defaultRunHistoryLimit
        let badLimit = spec.analysis?.unsuccessfulRunHistoryLimit ?? Self.defaultRunHistoryLimit
        let ok = done.filter { $0.phase == .successful }
        let bad = done.filter { $0.phase != .successful }
        for r in ok.dropFirst(okLimit) + bad.dropFirst(badLimit) {
            actions.append(.deleteAnalysisRun(name: r.name))
        }
    }
}
