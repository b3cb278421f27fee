import Foundation
import KubeCore
import SerinAPI
import Traffic

struct GateOutcome {
    var passed: Bool
    /// Which hook said no, and how.
    var why: String
}

extension DecisionRound {
    /// The verdict of a gate's webhooks (no hooks: open), or nil after asking for them.
    mutating func gate(_ type: WebhookType) -> GateOutcome? {
        let hooks = analysis.webhooks(of: type)
        if hooks.isEmpty { return GateOutcome(passed: true, why: "") }
        guard let results = need(hooks) else { return nil }
        for h in hooks {
            guard let r = results[h.name], r.passed else {
                return GateOutcome(passed: false, why: "\(type.rawValue) webhook \(h.name) \(describe(results[h.name]))")
            }
        }
        return GateOutcome(passed: true, why: "")
    }

    func describe(_ r: WebhookResult?) -> String {
        guard let r else { return "did not answer" }
        var parts: [String] = []
        if let code = r.statusCode { parts.append("answered HTTP \(code)") }
        if !r.message.isEmpty { parts.append(r.message) }
        return parts.isEmpty ? "failed" : parts.joined(separator: ": ")
    }

    /// One analysis interval: hooks and metric checks, then a step of the plan.
    mutating func analysisStep() {
        let rollbackResults = need(analysis.webhooks(of: .rollback))
        var failures: [String] = []
        var holds: [String] = []
        if s.preRolloutPassed != true {
            let preHooks = analysis.webhooks(of: .preRollout)
            let pre = need(preHooks)
            guard let rb = rollbackResults, let pre else { return }
            if rollbackRequested(rb) { return }
            for h in preHooks where pre[h.name]?.passed != true {
                failures.append("pre-rollout webhook \(h.name) \(describe(pre[h.name]))")
            }
            if failures.isEmpty {
                s.preRolloutPassed = true
                event(.normal, "Started", "Starting canary analysis for \(name)")
            }
        } else {
            let hooks = analysis.webhooks(of: .rollout)
            let hookResults = need(hooks)
            let metrics = needMetrics()
            guard let rb = rollbackResults, let hookResults, let metrics else { return }
            if rollbackRequested(rb) { return }
            for h in hooks where hookResults[h.name]?.passed != true {
                failures.append("rollout webhook \(h.name) \(describe(hookResults[h.name]))")
            }
            if !metrics.isEmpty { s.metricResults = metrics }
            for r in metrics {
                switch r.verdict {
                case .fail, .error: failures.append(describeFailure(r))
                case .hold: holds.append(describeHold(r))
                case .pass: break
                }
            }
        }
        if !failures.isEmpty {
            failedCheck(failures)
            return
        }
        if !holds.isEmpty {
            // Hold: neither advances nor counts; look again next interval.
            let text = holds.joined(separator: ", ")
            s.lastStepTime = nowText
            s.message = "Holding: \(text)"
            event(.normal, "Hold", "Hold \(name) advancement: \(text)")
            requeue = interval
            return
        }
        switch analysis.strategy {
        case .canary: advanceWeight()
        case .blueGreen, .abTesting: advanceIteration()
        }
    }

    mutating func rollbackRequested(_ results: [String: WebhookResult]) -> Bool {
        for h in analysis.webhooks(of: .rollback) where results[h.name]?.passed == true {
            rollback("rollback webhook \(h.name) answered \(results[h.name]?.statusCode.map { "HTTP \($0)" } ?? "2xx")")
            return true
        }
        return false
    }

    mutating func failedCheck(_ failures: [String]) {
        let count = (s.failedChecks ?? 0) + 1
        s.failedChecks = count
        s.lastStepTime = nowText
        let text = failures.joined(separator: ", ")
        s.message = "Halted after \(count) of \(threshold) failed checks: \(text)"
        event(.warning, "Halt", "Halt \(name) advancement: \(text)")
        if count >= threshold {
            rollback("failed checks threshold reached \(count): \(text)")
        } else {
            requeue = interval
        }
    }

    mutating func advanceWeight() {
        let w = s.canaryWeight ?? 0
        if analysis.isMirroring, w == 0, s.mirroring != true {
            // Flagger's order: one interval of mirrored traffic before any live traffic.
            s.mirroring = true
            routeTo(desiredRoute())
            s.lastStepTime = nowText
            s.message = "Mirroring \(analysis.mirrorWeight ?? 100)% of traffic to the canary"
            event(.normal, "Mirroring", "Start traffic mirroring to \(name): \(analysis.mirrorWeight ?? 100)% of requests")
            requeue = interval
            return
        }
        guard let next = analysis.nextWeight(after: w) else {
            confirmAndPromote(switchToCanary: false)
            return
        }
        guard let ok = gate(.confirmTrafficIncrease) else { return }
        guard ok.passed else {
            wait("confirm-traffic-increase", "Halt advancement of \(name), waiting for traffic increase approval: \(ok.why)")
            s.lastStepTime = nowText
            requeue = interval
            return
        }
        clearWait("confirm-traffic-increase")
        s.mirroring = false
        s.canaryWeight = next
        routeTo(desiredRoute())
        s.lastStepTime = nowText
        s.message = "Canary weight \(next)%"
        event(.normal, "Advance", "Advance \(name) canary weight \(w) → \(next)")
        requeue = interval
    }

    mutating func advanceIteration() {
        let n = analysis.effectiveIterations
        let i = s.iterations ?? 0
        guard i >= n else {
            if i == 0, analysis.strategy == .blueGreen, analysis.isMirroring { s.mirroring = true }
            s.iterations = i + 1
            routeTo(desiredRoute())
            s.lastStepTime = nowText
            s.message = "Iteration \(i + 1) of \(n)"
            event(.normal, "Advance", "Advance \(name) canary iteration \(i + 1)/\(n)")
            requeue = interval
            return
        }
        confirmAndPromote(switchToCanary: analysis.strategy == .blueGreen)
    }

    mutating func confirmAndPromote(switchToCanary: Bool) {
        guard let ok = gate(.confirmPromotion) else { return }
        guard ok.passed else {
            transition(.waitingPromotion)
            wait("confirm-promotion", "Halt advancement of \(name), waiting for promotion approval: \(ok.why)")
            s.lastStepTime = nowText
            requeue = interval
            return
        }
        if switchToCanary {
            // Blue/green: the analysed canary takes all traffic while the primary is updated.
            s.canaryWeight = 100
            s.mirroring = false
            event(.normal, "SwitchTraffic", "Routing all traffic to canary \(name)")
        }
        beginPromotion()
        routeTo(desiredRoute())
    }

    // MARK: - Messages with numbers

    func describeFailure(_ r: MetricCheckResult) -> String {
        if r.verdict == .error { return "\(r.name) error: \(r.message)" }
        if r.noData { return "\(r.name) returned no data" }
        let range = analysis.metrics?.first { $0.name == r.name }?.bounds
        if let v = r.value {
            if let lo = range?.min, v < lo { return "\(r.name) \(Self.fixed2(v)) < \(Self.plain(lo))" }
            if let hi = range?.max, v > hi { return "\(r.name) \(Self.fixed2(v)) > \(Self.plain(hi))" }
            return "\(r.name) \(Self.fixed2(v)) outside \(r.threshold)"
        }
        return r.message.isEmpty ? "\(r.name) failed" : "\(r.name): \(r.message)"
    }

    func describeHold(_ r: MetricCheckResult) -> String {
        r.message.isEmpty ? "\(r.name) returned no data (onNoData=Hold)" : "\(r.name) \(r.message)"
    }

    static func fixed2(_ v: Double) -> String { String(format: "%.2f", v) }

    static func plain(_ v: Double) -> String {
        if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
        return String(v)
    }
}
