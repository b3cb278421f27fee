import Analysis
import Foundation
import KubeCore
import KubeRuntime
import Logging
import SerinAPI

/// One step of one AnalysisRun: read it from the cache, read the Secrets its args and
/// providers name (through the API, never logged), let `AnalysisRunner` assess and measure
/// what is due, write status through the status subresource when it changed, record an Event
/// when the phase changed, and requeue when the next measurement falls due.
public struct AnalysisRunReconciler: Reconciler {
    let api: any KubeAPI
    let runs: ObjectStore
    let clock: any RuntimeClock
    let events: EventRecorder
    let fence: @Sendable () throws -> Void
    let config: AnalysisRunControllerConfig
    let runner: AnalysisRunner

    var writer: ObjectWriter { ObjectWriter(api: api, fence: fence) }

    init(api: any KubeAPI, runs: ObjectStore, clock: any RuntimeClock, events: EventRecorder,
         fence: @escaping @Sendable () throws -> Void, config: AnalysisRunControllerConfig) {
        self.api = api
        self.runs = runs
        self.clock = clock
        self.events = events
        self.fence = fence
        self.config = config
        runner = AnalysisRunner(measurer: AnalysisMeasurer(
            clients: MetricClients(prometheus: SharedClients.prometheus, kube: api), defaultAddress: config.metricsServer,
            now: { [clock] in clock.now() }))
    }

    public func reconcile(_ key: ObjectKey) async -> ReconcileResult {
        var log = ReconcileContext.logger
        log[metadataKey: "kind"] = "AnalysisRun"
        return await ReconcileContext.$logger.withValue(log) { await reconcile(key, log: log) }
    }

    func reconcile(_ key: ObjectKey, log: Logger) async -> ReconcileResult {
        guard let json = runs.get(key) else { return .done }
        if let phase = json["status"]["phase"].stringValue.flatMap(AnalysisPhase.init(rawValue:)), phase.isCompleted {
            return .done  // finished runs are records
        }
        let name = json.name ?? key.name
        let namespace = json.namespace ?? key.namespace ?? ""
        let run: AnalysisRun
        do {
            run = try json.decode(as: AnalysisRun.self)
        } catch {
            let why = (error as? DecodingError)?.fieldMessage ?? "\(error)"
            return await finishUndecodable(json, message: "the AnalysisRun does not decode: \(why)", log: log)
        }
        let now = clock.now()
        let spec = run.spec

        // Secrets are read only when something is due: most steps only wait.
        let first = AnalysisRunEvaluator.evaluate(spec: spec, status: run.status, now: now)
        var base = first.status
        let due = first.due
        var argSecrets: [AnalysisSecretKeyRef: String] = [:]
        var credentials: [String: MetricCredentials] = [:]
        if !due.isEmpty {
            do {
                argSecrets = try await readArgSecrets(spec, namespace: namespace)
                let args = try? AnalysisArguments.resolve(spec.args ?? []) { argSecrets[$0] }
                for name in due {
                    guard let raw = spec.metrics.first(where: { $0.name == name }) else { continue }
                    let metric = args.flatMap { try? AnalysisArguments.substitute(raw, args: $0) } ?? raw
                    guard let secretName = Self.authenticationSecret(metric) else { continue }
                    switch try await readCredentials(metric, secretName: secretName, namespace: namespace) {
                    case .success(let c):
                        credentials[metric.name] = c
                    case .failure(let message):
                        // As a provider error would be: an Error measurement, retried later.
                        let t = KubeTime.format(now)
                        base = AnalysisRunEvaluator.record(
                            AnalysisMeasurement(phase: .error, message: message, startedAt: t, finishedAt: t),
                            metric: name, spec: spec, status: base)
                    }
                }
            } catch {
                log.warning("could not read the run's Secrets", metadata: ["error": "\(error)"])
                return .error(error)
            }
        }

        let secrets = argSecrets
        let creds = credentials
        let decision = await runner.reconcile(
            spec: spec, status: base, now: now, secret: { secrets[$0] }, credentials: { creds[$0.name] ?? .none },
            run: AnalysisRunIdentity(name: name, namespace: namespace, uid: json.uid ?? ""))
        // Values read from Secrets stay out of status (a query as sent may contain one).
        let newStatus = Self.redacted(decision.status, secrets: Array(secrets.values))

        if newStatus != run.status {
            do {
                try await writeStatus(json, newStatus)
            } catch let e as KubeAPIError where e.isConflict || e.isNotFound {
                log.debug("status write lost a race; stepping again", metadata: ["error": "\(e)"])
                return .requeue(after: .zero)
            } catch {
                log.warning("status write failed", metadata: ["error": "\(error)"])
                return .error(error)
            }
        }

        if let phase = newStatus.phase, phase != run.status?.phase {
            let message = AnalysisRunEventText.message(run: name, spec: spec, status: newStatus)
            let warning = [.failed, .error, .inconclusive].contains(phase)
            await events.record(json, type: warning ? .warning : .normal, reason: "AnalysisRun\(phase.rawValue)",
                                message: message)
            if warning { log.warning("\(message)") } else { log.info("\(message)") }
        }

        if newStatus.phase?.isCompleted == true { return .done }
        guard let next = decision.nextMeasurementAt else { return .done }
        let after = max(0, next.timeIntervalSince(clock.now()))
        return .requeue(afterSeconds: after)
    }

    // MARK: - Secrets

    /// Values of the args' `valueFrom.secretKeyRef`, from the run's namespace. A missing
    /// Secret or key is left out (the runner then ends the run in Error naming the arg); any
    /// other failure is thrown so the step is retried.
    func readArgSecrets(_ spec: AnalysisRunSpec, namespace: String) async throws -> [AnalysisSecretKeyRef: String] {
        var out: [AnalysisSecretKeyRef: String] = [:]
        var read: [String: [String: String]?] = [:]
        for a in spec.args ?? [] {
            guard let ref = a.valueFrom?.secretKeyRef, a.value == nil else { continue }
            if read[ref.name] == nil {
                read[ref.name] = try await secretData(namespace: namespace, name: ref.name)
            }
            if let data = read[ref.name] ?? nil, let v = data[ref.key] { out[ref] = v }
        }
        return out
    }

    enum CredentialsResult {
        case success(MetricCredentials)
        case failure(String)
    }

    /// The credentials from `authentication.secretRef` (token, or username and password, and
    /// ca.crt). A Secret that is missing is the measurement's error; the message names the
    /// Secret, never its content.
    func readCredentials(_ metric: AnalysisMetric, secretName: String, namespace: String) async throws -> CredentialsResult {
        guard let data = try await secretData(namespace: namespace, name: secretName) else {
            return .failure("Secret \(namespace)/\(secretName) named by metric \"\(metric.name)\" authentication.secretRef not found")
        }
        return .success(MetricCredentials(secretData: data))
    }

    /// A Secret's decoded data, or nil when it does not exist.
    func secretData(namespace: String, name: String) async throws -> [String: String]? {
        do {
            let secret = try await api.get(.secrets, namespace: namespace, name: name)
            return CanaryMetricRunner.decodedData(secret)
        } catch let e as KubeAPIError where e.isNotFound {
            return nil
        }
    }

    /// `status` with every Secret-sourced value in measurement messages and metadata masked.
    static func redacted(_ status: AnalysisRunStatus, secrets: [String]) -> AnalysisRunStatus {
        let values = secrets.filter { $0.count >= 3 }.sorted { $0.count > $1.count }
        guard !values.isEmpty else { return status }
        func mask(_ text: String) -> String {
            values.reduce(text) { $0.replacingOccurrences(of: $1, with: "*****") }
        }
        var st = status
        st.message = st.message.map(mask)
        for i in (st.metricResults ?? []).indices {
            st.metricResults![i].message = st.metricResults![i].message.map(mask)
            for j in (st.metricResults![i].measurements ?? []).indices {
                var m = st.metricResults![i].measurements![j]
                m.message = m.message.map(mask)
                m.metadata = m.metadata?.mapValues(mask)
                st.metricResults![i].measurements![j] = m
            }
        }
        return st
    }

    static func authenticationSecret(_ metric: AnalysisMetric) -> String? {
        let auth = metric.provider.prometheus?.authentication ?? metric.provider.compare?.authentication
        return auth?.secretRef?.name
    }

    // MARK: - Status

    func writeStatus(_ json: JSONValue, _ status: AnalysisRunStatus) async throws {
        try await writer.writeStatus(
            .analysisRuns, json, status: JSONValue(encoding: status), cache: runs, catchUp: config.cacheCatchUp)
    }

    /// A run whose JSON does not decode cannot be measured: it ends in Error with the reason.
    func finishUndecodable(_ json: JSONValue, message: String, log: Logger) async -> ReconcileResult {
        var status = json["status"].objectValue.map(JSONValue.object) ?? [:]
        status["phase"] = .string(AnalysisPhase.error.rawValue)
        status["message"] = .string(message)
        if status["startedAt"] == .null { status["startedAt"] = .string(KubeTime.format(clock.now())) }
        do {
            try await writer.writeStatus(.analysisRuns, json, status: status, cache: runs, catchUp: config.cacheCatchUp)
        } catch let e as KubeAPIError where e.isConflict || e.isNotFound {
            return .requeue(after: .zero)
        } catch {
            log.warning("status write failed", metadata: ["error": "\(error)"])
            return .error(error)
        }
        let text = "AnalysisRun \(json.name ?? "") Error: \(message)"
        await events.record(json, type: .warning, reason: "AnalysisRunError", message: text)
        log.warning("\(text)")
        return .done
    }
}
