import Analysis
import Delivery
import Foundation
import KubeCore
import KubeRuntime
import Logging
import SerinAPI

/// One step of one AnalysisRun on the delivery driver: `AnalysisRunCore` assesses the run and
/// asks for the measurements that are due; the cluster world reads the Secrets its args and
/// providers name (through the API, never logged) and measures; then the status is written
/// when it changed, an Event recorded when the phase changed, and the run requeued when the
/// next measurement falls due.
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
            clients: MetricClients(prometheus: config.clients.prometheus, http: config.clients.metricHTTP, kube: api), defaultAddress: config.metricsServer,
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
        var input = AnalysisRunCore.Input(name: name, spec: run.spec, status: run.status)
        input.generation = json.generation
        var world = AnalysisRunClusterWorld(reconciler: self, json: json, namespace: namespace, log: log)
        let (_, outcome) = await DeliveryDriver(AnalysisRunCore()).run(input, now: now, in: &world)
        return ReconcileResult(outcome, decidedAt: now, clock: clock, log: log)
    }

    /// The measurements `metrics` asks for on top of `base`: the Secrets its args and
    /// providers name are read only now, as most passes only wait. A Secret missing for a
    /// metric's authentication is that measurement's Error (retried later); values read from
    /// Secrets stay out of the result (a query as sent may contain one).
    func measure(_ metrics: [String], base: AnalysisRunStatus, spec: AnalysisRunSpec, namespace: String,
                 now: Date, run: AnalysisRunIdentity = AnalysisRunIdentity()) async throws -> AnalysisRunStatus {
        var base = base
        let argSecrets = try await readArgSecrets(spec, namespace: namespace)
        var credentials: [String: MetricCredentials] = [:]
        let args = try? AnalysisArguments.resolve(spec.args ?? []) { argSecrets[$0] }
        for name in metrics {
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
        let creds = credentials
        let decision = await runner.reconcile(
            spec: spec, status: base, now: now, secret: { argSecrets[$0] }, credentials: { creds[$0.name] ?? .none },
            run: run)
        return Self.redacted(decision.status, secrets: Array(argSecrets.values))
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
        let report = StatusReport(writer: writer, events: events, resource: .analysisRuns, cache: runs,
                                  catchUp: config.cacheCatchUp)
        let now = clock.now()
        return await report.write(json, reason: "AnalysisRunError", message: "AnalysisRun \(json.name ?? "") Error: \(message)",
                                  log: log) { status in
            status["phase"] = .string(AnalysisPhase.error.rawValue)
            status["message"] = .string(message)
            if status["startedAt"] == .null { status["startedAt"] = .string(KubeTime.format(now)) }
            return true
        }
    }
}
