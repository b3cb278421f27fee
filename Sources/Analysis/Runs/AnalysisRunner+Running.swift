import Foundation
import KubeCore
import SerinAPI

/// Measurements a provider leaves Running (the job provider's Jobs): looked at again at each
/// step, ended when the run terminates, and polled while any is running.
extension AnalysisRunner {
    /// Seconds between looks at a running measurement.
    public static let runningPollSeconds = 5.0

    /// The metric's credentials with every Secret-sourced arg value added as a secret to redact.
    static func credentials(_ metric: AnalysisMetric, spec: AnalysisRunSpec, args: [String: String],
                            credentials: (AnalysisMetric) -> MetricCredentials) -> MetricCredentials {
        var creds = credentials(metric)
        for a in spec.args ?? [] where a.valueFrom?.secretKeyRef != nil {
            if let v = args[a.name] { creds.extraSecrets.append(v) }
        }
        return creds
    }

    /// Argo's measurement number for a new measurement: completed ones + errors + 1.
    static func measurementIndex(_ metric: String, status: AnalysisRunStatus?) -> Int {
        let r = status?.metricResults?.first { $0.name == metric }
        return (r?.count ?? 0) + (r?.error ?? 0) + 1
    }

    func resumeRunning(spec: AnalysisRunSpec, status: AnalysisRunStatus?, now: Date,
                       secret: (AnalysisSecretKeyRef) -> String?,
                       credentials: (AnalysisMetric) -> MetricCredentials,
                       run: AnalysisRunIdentity) async -> AnalysisRunStatus? {
        guard var st = status, st.phase?.isCompleted != true,
              let results = st.metricResults, results.contains(where: { $0.measurements?.last?.phase == .running })
        else { return status }
        // Argo ends running measurements when the run is terminated or another metric has failed.
        let assessed = AnalysisRunEvaluator.evaluate(spec: spec, status: st, now: now).status
        let terminating = spec.terminate == true || (assessed.metricResults ?? []).contains {
            $0.dryRun != true && [.failed, .error, .inconclusive].contains($0.phase)
        }
        let args = (try? AnalysisArguments.resolve(spec.args ?? [], secret: secret)) ?? [:]
        for r in results {
            guard let last = r.measurements?.last, last.phase == .running,
                  let raw = spec.metrics.first(where: { $0.name == r.name }) else { continue }
            let metric = (try? AnalysisArguments.substitute(raw, args: args)) ?? raw
            let creds = Self.credentials(metric, spec: spec, args: args, credentials: credentials)
            var m: AnalysisMeasurement
            if let (key, settings) = metric.provider.otherProviders.first, let type = MetricProviders.type(analysisKey: key) {
                let provider = type.init(clients: measurer.clients)
                let context = AnalysisProviderContext(
                    run: run, metricName: r.name, measurementIndex: Self.measurementIndex(r.name, status: st), credentials: creds,
                    retention: max(1, AnalysisRunEvaluator.retention(r.name, spec)))
                m = await AnalysisMeasurer.recorded(metric) {
                    terminating
                        ? try await provider.terminate(analysis: settings, measurement: last, context: context)
                        : try await provider.resume(analysis: settings, measurement: last, context: context)
                }
            } else {
                m = AnalysisMeasurement(phase: .error, message: "metric \"\(r.name)\" has a running measurement but no provider to resume it")
            }
            if m.phase == .running { continue }
            m.startedAt = last.startedAt
            m.finishedAt = KubeTime.format(measurer.now())
            if m.metadata == nil { m.metadata = last.metadata }
            if let msg = m.message { m.message = creds.redact(msg) }
            st = AnalysisRunEvaluator.replacingRunning(m, metric: r.name, spec: spec, status: st)
        }
        return st
    }

    /// Whether a metric's last measurement is Running (and the run not finished).
    public static func hasRunning(_ status: AnalysisRunStatus) -> Bool {
        status.phase?.isCompleted != true
            && (status.metricResults ?? []).contains { $0.measurements?.last?.phase == .running }
    }

    /// The decision, due again in `runningPollSeconds` while a measurement is running.
    public static func pollingRunning(_ d: AnalysisRunDecision, now: Date) -> AnalysisRunDecision {
        guard d.status.phase?.isCompleted != true,
              (d.status.metricResults ?? []).contains(where: { $0.measurements?.last?.phase == .running }) else { return d }
        var out = d
        let poll = now.addingTimeInterval(runningPollSeconds)
        out.nextMeasurementAt = min(d.nextMeasurementAt ?? poll, poll)
        return out
    }
}

extension AnalysisRunEvaluator {
    /// The metric's last (running) measurement replaced by its outcome, counted as `record` counts.
    public static func replacingRunning(_ m: AnalysisMeasurement, metric name: String, spec: AnalysisRunSpec,
                                        status: AnalysisRunStatus) -> AnalysisRunStatus {
        var st = status
        if let i = st.metricResults?.firstIndex(where: { $0.name == name }),
           st.metricResults![i].measurements?.last?.phase == .running {
            st.metricResults![i].measurements!.removeLast()
        }
        return record(m, metric: name, spec: spec, status: st)
    }
}
