import Foundation
import KubeCore
import SerinAPI

/// Takes one measurement of an analysis metric (args already substituted): asks the provider,
/// turns the answer into `result` and applies the conditions. Never throws: failures are
/// Error measurements whose message names the cause (never a credential).
public struct AnalysisMeasurer: Sendable {
    /// The clients the providers use.
    public var clients: MetricClients
    /// The operator's `--metrics-server`, for metrics that name no address.
    public var defaultAddress: String?
    public var now: @Sendable () -> Date
    /// The operator's environment (AWS credentials for sigv4).
    public var environment: [String: String] = ProcessInfo.processInfo.environment

    public init(client: PrometheusClient, defaultAddress: String? = nil, now: @escaping @Sendable () -> Date = { Date() }) {
        self.init(clients: MetricClients(prometheus: client), defaultAddress: defaultAddress, now: now)
    }

    public init(clients: MetricClients, defaultAddress: String? = nil, now: @escaping @Sendable () -> Date = { Date() }) {
        self.clients = clients
        self.defaultAddress = defaultAddress
        self.now = now
    }

    /// `credentials`: resolved from `authentication.secretRef` by the controller; `context`
    /// says which run and measurement this is (the job provider names its Job from it).
    public func measure(_ metric: AnalysisMetric, credentials: MetricCredentials = .none,
                        context: AnalysisProviderContext? = nil) async -> AnalysisMeasurement {
        let started = now()
        var m: AnalysisMeasurement
        if let p = metric.provider.prometheus {
            m = await prometheus(metric, p, credentials: credentials)
        } else if let c = metric.provider.compare {
            m = await compare(c, credentials: credentials)
        } else if let (key, settings) = metric.provider.otherProviders.first, let type = MetricProviders.type(analysisKey: key) {
            var ctx = context ?? AnalysisProviderContext(run: AnalysisRunIdentity(), metricName: metric.name)
            ctx.credentials = credentials
            let provider = type.init(clients: clients)
            m = await Self.recorded(metric) { try await provider.measure(analysis: settings, context: ctx) }
        } else {
            m = AnalysisMeasurement(phase: .error, message: "metric \"\(metric.name)\" has no supported provider")
        }
        m.startedAt = KubeTime.format(started)
        m.finishedAt = m.phase == .running ? nil : KubeTime.format(now())
        if let msg = m.message { m.message = credentials.redact(msg) }
        return m
    }

    /// A provider's outcome as a measurement: an answer judged by the conditions, a running
    /// or finished measurement as the provider says, an error naming the cause.
    static func recorded(_ metric: AnalysisMetric, _ run: () async throws -> ProviderMeasurement) async -> AnalysisMeasurement {
        do {
            switch try await run() {
            case let .answer(answer, metadata):
                let (phase, message) = AnalysisRunEvaluator.judge(
                    value: answer.value, successCondition: metric.successCondition, failureCondition: metric.failureCondition)
                var md = metadata
                if !answer.warnings.isEmpty { md["warnings"] = answer.warnings.joined(separator: "; ") }
                return AnalysisMeasurement(phase: phase, message: message, value: text(answer.value),
                                           metadata: md.isEmpty ? nil : md)
            case .running(let metadata):
                return AnalysisMeasurement(phase: .running, metadata: metadata.isEmpty ? nil : metadata)
            case let .finished(phase, message, metadata):
                return AnalysisMeasurement(phase: phase, message: message, metadata: metadata.isEmpty ? nil : metadata)
            }
        } catch {
            return AnalysisMeasurement(phase: .error, message: "\(error)")
        }
    }

    /// The provider of an AnalysisRun metric's `provider.<name>` field, over the shared clients.
    func provider<P: MetricProvider>(_ type: P.Type) -> P { P(clients: clients) }

    func endpoint(address: String?, timeout: Int?, insecure: Bool?, headers: [AnalysisHeader]?,
                  authentication: PrometheusAuthentication?, credentials: MetricCredentials) throws -> MetricEndpoint {
        guard let address = address.flatMap({ $0.isEmpty ? nil : $0 }) ?? defaultAddress else {
            throw MetricSpecError("no Prometheus address: set provider.prometheus.address or --metrics-server")
        }
        var creds = credentials
        if let v = authentication?.sigv4, v != .null {
            creds.sigv4 = try Self.sigv4(v, secret: credentials.secretData, environment: environment)
        }
        if let basic = authentication?.basicAuth {
            guard let user = basic.username, !user.isEmpty else {
                throw MetricSpecError("authentication.basicAuth.username is required (with basicAuth.password)")
            }
            // Sent as the request's Basic credentials, kept out of every message.
            creds.username = user
            creds.password = basic.password ?? ""
        }
        for h in headers ?? [] { creds.headers[h.key] = h.value }
        if insecure == true { creds.insecureSkipVerify = true }
        return MetricEndpoint(address: address, credentials: creds, timeout: Double(timeout ?? 30))
    }

    /// Argo's `authentication.sigv4` (Amazon Managed Prometheus, service `aps`): `region`, else
    /// `AWS_REGION`; keys from the operator's AWS environment (or the secretRef Secret's
    /// `aws_access_key_id`, `aws_secret_access_key`). `roleArn` and `profile` are refused by name.
    static func sigv4(_ raw: JSONValue, secret: [String: String], environment: [String: String]) throws -> AWSSigning {
        for field in ["roleArn", "profile"] {
            if let v = raw[field].stringValue, !v.isEmpty {
                throw MetricSpecError("authentication.sigv4.\(field) is not supported by Serin yet; give the operator AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or a secretRef with aws_access_key_id and aws_secret_access_key)")
            }
        }
        guard let region = raw["region"].stringValue.flatMap({ $0.isEmpty ? nil : $0 })
            ?? environment["AWS_REGION"].flatMap({ $0.isEmpty ? nil : $0 }) else {
            throw MetricSpecError("authentication.sigv4.region is required (or AWS_REGION in the operator's environment)")
        }
        let keys = try AWSCredentials.resolve(secret: secret, environment: environment, provider: "prometheus sigv4")
        return AWSSigning(region: region, service: "aps", credentials: keys)
    }

    /// The endpoint with Argo's `authentication.oauth2` exchanged for a bearer token
    /// (client-credentials grant, a token per measurement as Argo gets one).
    func authorized(_ ep: MetricEndpoint, _ authentication: PrometheusAuthentication?) async throws -> MetricEndpoint {
        guard let raw = authentication?.oauth2, raw != .null else { return ep }
        let settings = try raw.decode(as: OAuth2Settings.self)
        for (field, value) in [("tokenUrl", settings.tokenUrl), ("clientId", settings.clientId), ("clientSecret", settings.clientSecret)]
        where (value ?? "").isEmpty {
            throw MetricSpecError("authentication.oauth2.\(field) is required")
        }
        var out = ep
        out.credentials.bearerToken = try await OAuth2ClientCredentials(settings: settings)
            .token(http: clients.http, timeout: ep.timeout, insecure: ep.credentials.insecureSkipVerify)
        return out
    }

    func prometheus(_ metric: AnalysisMetric, _ p: PrometheusProviderSpec, credentials: MetricCredentials) async -> AnalysisMeasurement {
        let meta = ["query": p.query]
        do {
            let ep = try await authorized(try endpoint(address: p.address, timeout: p.timeout, insecure: p.insecure,
                                                       headers: p.headers, authentication: p.authentication,
                                                       credentials: credentials), p.authentication)
            let answer: MetricAnswer
            if let r = p.rangeQuery {
                let (start, end, step) = try PrometheusRange.window(r, now: now())
                let response = try await clients.prometheus.queryRange(p.query, start: start, end: end, step: step, endpoint: ep)
                let values = PrometheusRange.values(response.result)
                answer = MetricAnswer(value: .array(values.map(ExprValue.number)), warnings: response.warnings) {
                    throw MetricSpecError("a range query answers a list of values; judge it with all(result, …) or result[0]")
                }
            } else {
                answer = try await provider(PrometheusProvider.self).query(p.query, endpoint: ep)
            }
            let value = answer.value
            let (phase, message) = AnalysisRunEvaluator.judge(
                value: value, successCondition: metric.successCondition, failureCondition: metric.failureCondition)
            var md = meta
            if !answer.warnings.isEmpty { md["warnings"] = answer.warnings.joined(separator: "; ") }
            return AnalysisMeasurement(phase: phase, message: message, value: Self.text(value), metadata: md)
        } catch {
            return AnalysisMeasurement(phase: .error, message: "\(error)", metadata: meta)
        }
    }

    func compare(_ c: CompareProviderSpec, credentials: MetricCredentials) async -> AnalysisMeasurement {
        let meta = ["canaryQuery": c.canaryQuery, "baselineQuery": c.baselineQuery]
        do {
            let ep = try await authorized(try endpoint(address: c.address, timeout: c.timeout, insecure: c.insecure,
                                                       headers: c.headers, authentication: c.authentication,
                                                       credentials: credentials), c.authentication)
            let window = try DurationString.seconds(c.window ?? "5m")
            let step = try c.step.map { try DurationString.seconds($0) } ?? max(15, window / 60)
            let end = now(), start = end.addingTimeInterval(-window)
            // The comparison judge runs its two range queries through Prometheus.
            let prometheus = provider(PrometheusProvider.self)
            async let canary = prometheus.samples(c.canaryQuery, start: start, end: end, step: step, endpoint: ep)
            async let baseline = prometheus.samples(c.baselineQuery, start: start, end: end, step: step, endpoint: ep)
            let cs = try await canary
            let bs = try await baseline
            let judge = CompareJudge(confidence: c.confidence ?? 0.95, allowedIncrease: c.allowedIncrease ?? 0.1,
                                     lowerIsWorse: c.direction == "decrease")
            switch judge.judge(canary: cs, baseline: bs) {
            case .noData(let why):
                return AnalysisMeasurement(phase: .inconclusive, message: "no data: \(why)", metadata: meta)
            case .judged(let o):
                var md = meta
                md["pValue"] = CompareJudge.pString(o.pValue)
                md["effectSize"] = PromFormat.number(o.effectSize)
                md["canaryMedian"] = PromFormat.number(o.canaryMedian)
                md["baselineMedian"] = PromFormat.number(o.baselineMedian)
                return AnalysisMeasurement(phase: o.worse ? .failed : .successful, message: o.message,
                                           value: PromFormat.number(o.effectSize), metadata: md)
            }
        } catch {
            return AnalysisMeasurement(phase: .error, message: "\(error)", metadata: meta)
        }
    }

    /// `0.99` for a number, `[0.99,0.98]` for a vector (Argo's value text).
    static func text(_ v: ExprValue) -> String {
        switch v {
        case .number(let d): return PromFormat.number(d)
        case .array(let a): return "[" + a.map(text).joined(separator: ",") + "]"
        case .string(let s): return s
        case .bool(let b): return b ? "true" : "false"
        case .null: return "null"
        case .object(let o):
            return "{" + o.keys.sorted().map { "\"\($0)\":" + text(o[$0]!) }.joined(separator: ",") + "}"
        }
    }
}

/// One reconcile of an AnalysisRun without the Kubernetes part: assess, take the measurements
/// that are due, record them, assess again. The caller writes the status and requeues at
/// `nextMeasurementAt`.
public struct AnalysisRunner: Sendable {
    public var measurer: AnalysisMeasurer

    public init(measurer: AnalysisMeasurer) { self.measurer = measurer }

    /// `secret` resolves args' `valueFrom.secretKeyRef`; `credentials` gives each metric's
    /// credentials; `run` is the AnalysisRun object (its Jobs are named after its uid).
    public func reconcile(spec: AnalysisRunSpec, status: AnalysisRunStatus?, now: Date,
                          secret: (AnalysisSecretKeyRef) -> String? = { _ in nil },
                          credentials: (AnalysisMetric) -> MetricCredentials = { _ in .none },
                          run: AnalysisRunIdentity = AnalysisRunIdentity()) async -> AnalysisRunDecision {
        let resumed = await resumeRunning(spec: spec, status: status, now: now, secret: secret, credentials: credentials, run: run)
        let decision = await measureDue(spec: spec, status: resumed, now: now, secret: secret, credentials: credentials, run: run)
        return Self.pollingRunning(decision, now: now)
    }

    func measureDue(spec: AnalysisRunSpec, status: AnalysisRunStatus?, now: Date,
                    secret: (AnalysisSecretKeyRef) -> String?,
                    credentials: (AnalysisMetric) -> MetricCredentials,
                    run: AnalysisRunIdentity) async -> AnalysisRunDecision {
        let first = AnalysisRunEvaluator.evaluate(spec: spec, status: status, now: now)
        guard !first.due.isEmpty else { return first }
        let args: [String: String]
        do {
            args = try AnalysisArguments.resolve(spec.args ?? [], secret: secret)
        } catch {
            var st = first.status
            st.phase = .error
            st.message = error.message
            return AnalysisRunDecision(status: st, due: [], nextMeasurementAt: nil)
        }
        var st = first.status
        for name in first.due {
            guard let raw = spec.metrics.first(where: { $0.name == name }) else { continue }
            let m: AnalysisMeasurement
            do {
                let metric = try AnalysisArguments.substitute(raw, args: args)
                let creds = Self.credentials(metric, spec: spec, args: args, credentials: credentials)
                let context = AnalysisProviderContext(
                    run: run, metricName: name, measurementIndex: Self.measurementIndex(name, status: st), credentials: creds)
                m = await measurer.measure(metric, credentials: creds, context: context)
            } catch {
                let t = KubeTime.format(now)
                m = AnalysisMeasurement(phase: .error, message: error.message, startedAt: t, finishedAt: t)
            }
            st = AnalysisRunEvaluator.record(m, metric: name, spec: spec, status: st)
        }
        return AnalysisRunEvaluator.evaluate(spec: spec, status: st, now: now)
    }
}
