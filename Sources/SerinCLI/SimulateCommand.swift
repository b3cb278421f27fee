import ArgumentParser
import Foundation
import KubeCore
import SerinAPI

/// `serin simulate FILE`: the schedule a Canary, Rollout or Experiment will follow, offline.
struct SimulateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Show the schedule a Canary or Rollout will follow: weights over time, the shortest time to promotion and to rollback.",
        discussion: """
            Canaries and Rollouts are played through the operator's own decision cores on a simulated clock: \
            once with every check or analysis passing, once with every one failing (and, for a Canary, once with \
            pods that never become ready). Webhook gates open at once; a pause that waits for a person is promoted \
            at once. Analyses take the time their templates (read from the same file) say.
            """)

    @Argument(help: "A manifest file with Canaries and/or Rollouts (and the AnalysisTemplates they use).") var file: String
    @Option(help: "The operator's --provider, for Canaries that name none.") var provider = "istio"
    @Option(help: "Seconds new pods take to become ready.") var readySeconds: Double = 0

    func validate() throws {
        guard readySeconds >= 0 else { throw ValidationError("--ready-seconds must not be negative") }
    }

    func run() async throws {
        let sources = try LintCommand.read([file])
        let text = try await Self.render(sources, provider: provider, readySeconds: readySeconds)
        CLIOutput.current.write(text)
    }

    static func render(_ sources: [(file: String, text: String)], provider: String, readySeconds: Double) async throws -> String {
        var docs: [JSONValue] = []
        for s in sources {
            let parsed = ManifestDocuments(s.text)
            if let error = parsed.error { throw CLIError("\(s.file): not valid YAML: \(error) (serin lint explains)") }
            docs += parsed.documents.filter { !$0.isNull }
        }
        var templates: [String: AnalysisTemplateSpec] = [:]
        for d in docs where ["AnalysisTemplate", "ClusterAnalysisTemplate"].contains(d["kind"].stringValue ?? "") {
            guard let name = d["metadata"]["name"].stringValue, let spec = try? d["spec"].decode(as: AnalysisTemplateSpec.self) else { continue }
            templates[d["kind"].stringValue == "ClusterAnalysisTemplate" ? "cluster/\(name)" : name] = spec
        }
        var parts: [String] = []
        for d in docs {
            switch d["kind"].stringValue {
            case "Canary":
                let canary: Canary
                do {
                    canary = try Canary(json: d)
                } catch {
                    throw CLIError("\(d["metadata"]["name"].stringValue ?? "Canary"): \(error) (serin lint explains)")
                }
                let problems = canary.spec.validate(defaultProvider: provider)
                if !problems.isEmpty {
                    throw CLIError("Canary \(canary.name) is invalid, the operator would not run it:\n  "
                        + problems.map(\.description).joined(separator: "\n  "))
                }
                parts.append(await SimulationReport.canary(canary, provider: provider, readySeconds: readySeconds))
            case "Rollout":
                let problems = Rollout.problems(in: d)
                guard problems.isEmpty, let rollout = try? Rollout(json: d) else {
                    throw CLIError("Rollout \(d["metadata"]["name"].stringValue ?? "") is invalid, the operator would not run it:\n  "
                        + problems.map(\.description).joined(separator: "\n  "))
                }
                parts.append(await SimulationReport.rollout(rollout, templates: templates, readySeconds: readySeconds))
            case "Experiment":
                let problems = Experiment.problems(in: d)
                guard problems.isEmpty, let experiment = try? Experiment(json: d) else {
                    throw CLIError("Experiment \(d["metadata"]["name"].stringValue ?? "") is invalid, the operator would not run it:\n  "
                        + problems.map(\.description).joined(separator: "\n  "))
                }
                parts.append(await SimulationReport.experiment(experiment, templates: templates, readySeconds: readySeconds))
            default:
                continue
            }
        }
        guard !parts.isEmpty else { throw CLIError("no Canary, Rollout or Experiment in \(sources.map(\.file).joined(separator: ", "))") }
        return parts.joined(separator: "\n")
    }
}

/// Text of a simulation.
enum SimulationReport {
    static func canary(_ canary: Canary, provider: String, readySeconds: Double) async -> String {
        let sim = CanarySimulation(spec: canary.spec, name: canary.name, namespace: canary.namespace.isEmpty ? "default" : canary.namespace,
                                   defaultProvider: provider, readySeconds: readySeconds)
        let a = canary.spec.effectiveAnalysis
        var out = "Canary \(canary.namespace.isEmpty ? "" : canary.namespace + "/")\(canary.name) (provider \(canary.spec.provider ?? provider))\n"
        out += "Plan: \(CanaryView.plan(a))\n"
        out += "Assumes: new pods ready \(HumanDuration.offset(readySeconds)) after scaling (--ready-seconds); webhook gates open at once.\n"

        let healthy = await sim.run(.healthy)
        out += "\nWhen every check passes:\n" + table(healthy.rows)
        if !healthy.weights.isEmpty {
            out += "Canary weights: \(healthy.weights.map(String.init).joined(separator: ", "))\n"
        }
        if healthy.finalPhase == .succeeded, let t = healthy.seconds {
            out += "Shortest time to promotion: \(HumanDuration.offset(t))\n"
        } else {
            out += "It does not reach Succeeded on its own (ends \(healthy.finalPhase?.rawValue ?? "unknown")).\n"
        }

        if !(a.metrics ?? []).isEmpty || !a.webhooks(of: .rollout).isEmpty, canary.spec.skipAnalysis != true {
            let failing = await sim.run(.failingChecks)
            out += "\nWhen every check fails:\n" + table(failing.rows)
            if failing.finalPhase == .failed, let t = failing.seconds {
                var line = "Shortest time to rollback: \(HumanDuration.offset(t))"
                if let first = failing.firstFailureSeconds {
                    line += " (the first check fails at \(HumanDuration.offset(first)); failed check \(failing.failedChecks) of"
                        + " threshold \(a.effectiveThreshold), one per \(GoDuration.format(a.intervalSeconds)),"
                        + " rolls it back \(HumanDuration.offset(t - first)) later)"
                }
                out += line + "\n"
            } else {
                out += "It is not rolled back on its own (ends \(failing.finalPhase?.rawValue ?? "unknown")).\n"
            }
        } else {
            out += "\nNo metric or rollout webhook can fail a check: only the progress deadline, a rollback webhook or `serin abort` roll it back.\n"
        }

        let stuck = await sim.run(.neverReady)
        if stuck.finalPhase == .failed, let t = stuck.seconds {
            out += "\nWhen the new pods never become ready: rolled back after \(HumanDuration.offset(t)) "
                + "(progressDeadlineSeconds \(canary.spec.effectiveProgressDeadlineSeconds)).\n"
        }
        return out
    }

    /// Consecutive rows that only repeat (the same halt every interval) fold into one with a
    /// time range and a count.
    static func table(_ rows: [CanarySimulation.Row]) -> String {
        var folded: [(row: CanarySimulation.Row, until: Double, times: Int)] = []
        for r in rows {
            if let last = folded.last, last.row.note == r.note, last.row.route == r.route, last.row.phase == r.phase, !r.note.isEmpty {
                folded[folded.count - 1].until = r.seconds
                folded[folded.count - 1].times += 1
            } else {
                folded.append((r, r.seconds, 1))
            }
        }
        var t = TextTable(["TIME", "PHASE", "CANARY", "PRIMARY", "WHAT HAPPENS"])
        for (r, until, times) in folded {
            let time = times > 1 ? "\(HumanDuration.offset(r.seconds))-\(HumanDuration.offset(until))" : HumanDuration.offset(r.seconds)
            let note = times > 1 ? "\(r.note) (\(times) times)" : r.note
            var canary = "\(r.route.canary)%"
            if r.route.abMatch { canary = "matching requests" }
            if let m = r.route.mirror { canary += " (+\(m)% mirrored)" }
            t.add([time, r.phase.rawValue, canary, "\(r.route.primary)%", note])
        }
        return t.render(indent: "  ")
    }

    static func rollout(_ rollout: Rollout, templates: [String: AnalysisTemplateSpec], readySeconds: Double) async -> String {
        let sim = RolloutSimulation(rollout: rollout, templates: templates, readySeconds: readySeconds)
        let kind = rollout.spec.strategy.blueGreen != nil ? "blue-green" : "canary"
        let ns = rollout.namespace.isEmpty ? "" : rollout.namespace + "/"
        var out = "Rollout \(ns)\(rollout.name) (\(kind))\n"
        out += "Assumes: new pods ready \(HumanDuration.offset(readySeconds)) after scaling (--ready-seconds); "
            + "analyses take the time their templates say; a pause that waits for a person is promoted at once.\n"
        let missing = sim.missingTemplates()
        if !missing.isEmpty {
            out += "note: analysis template\(missing.count == 1 ? "" : "s") \(missing.joined(separator: ", ")) not in the file: taken to pass at once\n"
        }

        let healthy = await sim.run(.healthy)
        out += "\nWhen every analysis passes:\n" + rolloutTable(healthy.rows)
        if let t = healthy.seconds, !healthy.aborted {
            out += "Shortest time to promotion: \(HumanDuration.offset(t))"
            let m = healthy.manualPromotions
            out += m > 0 ? " (with \(m) manual promotion\(m == 1 ? "" : "s") counted as at once)\n" : "\n"
        } else {
            out += "It is not promoted on its own: \(healthy.stuck ?? "it never becomes stable")\n"
        }

        let s = rollout.spec.strategy
        let analysed = !(s.canary?.steps ?? []).allSatisfy { $0.analysis == nil && ($0.experiment?.analyses ?? []).isEmpty }
            || s.canary?.analysis != nil
            || s.blueGreen?.prePromotionAnalysis != nil || s.blueGreen?.postPromotionAnalysis != nil
        guard analysed else {
            return out + "\nNothing rolls it back automatically: no analysis (use `serin abort`).\n"
        }
        let failing = await sim.run(.failingAnalysis)
        out += "\nWhen every analysis fails at its first chance:\n" + rolloutTable(failing.rows)
        if failing.aborted, let t = failing.seconds {
            out += "Shortest time to rollback: \(HumanDuration.offset(t))\n"
        } else {
            out += "It is not rolled back on its own: \(failing.stuck ?? "no analysis fails it")\n"
        }
        return out
    }

    static func rolloutTable(_ rows: [RolloutSimulation.Row]) -> String {
        var t = TextTable(["TIME", "PHASE", "STEP", "TRAFFIC", "WHAT HAPPENS"])
        for r in rows { t.add([HumanDuration.offset(r.seconds), r.phase, r.step, r.traffic, r.note]) }
        return t.render(indent: "  ")
    }
}
