import Foundation
import KubeCore
import SerinAPI

/// What a Canary metric's queries are about.
public struct CanaryMetricContext: Sendable, Hashable {
    /// The Canary's name and namespace.
    public var name: String
    public var namespace: String
    /// `spec.targetRef.name` (the canary workload).
    public var target: String
    /// The Service name (`spec.service.name`, defaults to the target).
    public var service: String
    /// Default window when the metric sets none (Flagger: `1m`).
    public var interval: String
    public var provider: MeshProvider
    /// The primary workload the comparison judge reads (`<target>-primary`).
    public var primaryTarget: String
    /// Flagger's `{{ ingress }}` (`spec.ingressRef.name`) and `{{ route }}` (`spec.routeRef.name`),
    /// the target's name when the Canary names none.
    public var ingress: String
    public var route: String

    public init(name: String, namespace: String, target: String, service: String? = nil, interval: String = "1m",
                provider: MeshProvider = .kubernetes, primaryTarget: String? = nil, ingress: String? = nil,
                route: String? = nil) {
        self.ingress = ingress ?? target
        self.route = route ?? target
        self.name = name
        self.namespace = namespace
        self.target = target
        self.service = service ?? target
        self.interval = interval
        self.provider = provider
        self.primaryTarget = primaryTarget ?? "\(target)-primary"
    }
}

/// Errors in a metric's definition, before any query is sent.
public struct MetricSpecError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Turns a Canary metric into a `MetricCheckResult`: builds the query (builtin, inline or from
/// a `MetricTemplate`), asks the template's provider (Prometheus for builtins and inline
/// queries, see `MetricProviders`), applies `thresholdRange` or the comparison judge, and
/// the `onNoData` policy. Never throws: every failure is a result with verdict Error.
public struct CanaryMetricEvaluator: Sendable {
    /// The clients the providers use.
    public var clients: MetricClients
    /// The operator's `--metrics-server`, used when a template names no address and for builtins.
    public var defaultAddress: String?
    /// Per-provider label names from the operator's flag; defaults otherwise.
    public var builtinOptions: [MeshProvider: BuiltinQueryOptions]
    public var timeout: Double
    /// Stamps `checkedAt` and ends comparison windows. Instant queries leave the time to
    /// Prometheus, so a test clock never asks about a moment Prometheus has no data for.
    public var now: @Sendable () -> Date

    public init(client: PrometheusClient, http: MetricHTTPClient = .shared, defaultAddress: String?,
                builtinOptions: [MeshProvider: BuiltinQueryOptions] = [:],
                timeout: Double = 30, now: @escaping @Sendable () -> Date = { Date() }) {
        self.clients = MetricClients(prometheus: client, http: http)
        self.defaultAddress = defaultAddress
        self.builtinOptions = builtinOptions
        self.timeout = timeout
        self.now = now
    }

    // MARK: - Pure parts

    /// The query as it will be sent, for the canary (or for the primary when `primary`).
    public static func query(for metric: CanaryMetric, context: CanaryMetricContext, template: MetricTemplate?,
                             options: [MeshProvider: BuiltinQueryOptions] = [:], primary: Bool = false) throws -> String {
        let interval = metric.interval ?? context.interval
        _ = try DurationString.seconds(interval)
        var values: [String: String] = [
            "name": context.name, "namespace": context.namespace,
            "target": primary ? context.primaryTarget : context.target,
            "service": primary ? "\(context.service)-primary" : context.service,
            "interval": interval, "ingress": context.ingress, "route": context.route,
        ]
        for (k, v) in metric.templateVariables ?? [:] { values["variables.\(k)"] = v }
        let text: String
        if let ref = metric.templateRef {
            guard let template else { throw MetricSpecError("MetricTemplate \(ref.name) not found") }
            guard MetricProviders.type(named: template.spec.provider.type) != nil else {
                throw MetricSpecError("MetricTemplate \(ref.name): provider type \"\(template.spec.provider.type)\" is not supported (\(MetricProviders.names.joined(separator: ", ")))")
            }
            text = template.spec.query
        } else if let q = metric.query, !q.isEmpty {
            text = q
        } else if let builtin = BuiltinMetric(rawValue: metric.name) {
            let opts = options[context.provider] ?? .defaults(for: context.provider)
            if let p = metric.percentile, !(p > 0 && p < 1) {
                throw MetricSpecError("percentile \(PromFormat.number(p)) must be between 0 and 1 (e.g. 0.95)")
            }
            text = builtin.queryTemplate(options: opts, percentile: metric.percentile ?? 0.99)
        } else {
            throw MetricSpecError("\"\(metric.name)\" is not a builtin metric (\(BuiltinMetric.allCases.map(\.rawValue).joined(separator: ", "))) and has no templateRef or query")
        }
        do {
            return try QueryTemplate.render(text, values: values)
        } catch {
            throw MetricSpecError(error.description)
        }
    }

    /// `>= 99`, `<= 500`, `>= 1 and <= 5`, or `any value`.
    public static func thresholdDescription(_ r: ThresholdRange?) -> String {
        switch (r?.min, r?.max) {
        case let (min?, max?): return ">= \(PromFormat.number(min)) and <= \(PromFormat.number(max))"
        case let (min?, nil): return ">= \(PromFormat.number(min))"
        case let (nil, max?): return "<= \(PromFormat.number(max))"
        default: return "any value"
        }
    }

    /// Applies the threshold range and the no-data policy to a single-value outcome.
    public static func verdict(metric: CanaryMetric, query: String, outcome: SingleValue, checkedAt: String) -> MetricCheckResult {
        let threshold = thresholdDescription(metric.bounds)
        switch outcome {
        case .noData(let reason):
            return noData(metric: metric, query: query, threshold: threshold, reason: reason, checkedAt: checkedAt)
        case .value(let v):
            let shown = PromFormat.number(v)
            if let min = metric.bounds?.min, !(v >= min) {
                return MetricCheckResult(name: metric.name, query: query, value: v, threshold: threshold, verdict: .fail,
                                         message: "\(shown) < \(PromFormat.number(min))", checkedAt: checkedAt)
            }
            if let max = metric.bounds?.max, !(v <= max) {
                return MetricCheckResult(name: metric.name, query: query, value: v, threshold: threshold, verdict: .fail,
                                         message: "\(shown) > \(PromFormat.number(max))", checkedAt: checkedAt)
            }
            let why = metric.bounds == nil ? "\(shown) (no threshold)" : "\(shown) \(threshold)"
            return MetricCheckResult(name: metric.name, query: query, value: v, threshold: threshold, verdict: .pass,
                                     message: why, checkedAt: checkedAt)
        }
    }

    static func noData(metric: CanaryMetric, query: String, threshold: String, reason: String,
                       checkedAt: String) -> MetricCheckResult {
        let policy = metric.onNoData ?? .fail
        let verdict: MetricCheckResult.Verdict = switch policy {
        case .fail: .fail
        case .hold: .hold
        case .pass: .pass
        }
        return MetricCheckResult(name: metric.name, query: query, value: nil, threshold: threshold, verdict: verdict,
                                 message: "no data (\(reason)), onNoData=\(policy.rawValue)", noData: true,
                                 checkedAt: checkedAt)
    }

    static func errorResult(_ metric: CanaryMetric, query: String, threshold: String, message: String,
                            checkedAt: String) -> MetricCheckResult {
        MetricCheckResult(name: metric.name, query: query, value: nil, threshold: threshold, verdict: .error,
                          message: message, checkedAt: checkedAt)
    }

    /// Whether lower values are the worse ones for the comparison judge: success rates, and
    /// metrics with only a minimum.
    static func lowerIsWorse(_ metric: CanaryMetric) -> Bool {
        if let b = BuiltinMetric(rawValue: metric.name), metric.templateRef == nil, metric.query == nil { return b.lowerIsWorse }
        return metric.bounds?.min != nil && metric.bounds?.max == nil
    }

    // MARK: - Evaluation

    /// Runs one check. `template` is the resolved `templateRef` (nil when none or not found);
    /// `credentials` come from the template's secretRef, resolved by the caller.
    public func evaluate(_ metric: CanaryMetric, context: CanaryMetricContext, template: MetricTemplate? = nil,
                         credentials: MetricCredentials = .none) async -> MetricCheckResult {
        let checkedAt = KubeTime.format(now())
        let threshold = metric.judge == .compare ? judge(metric).thresholdDescription
            : Self.thresholdDescription(metric.bounds)
        let query: String
        do {
            query = try Self.query(for: metric, context: context, template: template, options: builtinOptions)
        } catch {
            return Self.errorResult(metric, query: "", threshold: threshold, message: "\(error)", checkedAt: checkedAt)
        }
        // Builtins and inline queries go to Prometheus; a template's type was checked above.
        let providerName = template?.spec.provider.type ?? PrometheusProvider.name
        guard let providerType = MetricProviders.type(named: providerName) else {
            return Self.errorResult(metric, query: query, threshold: threshold,
                                    message: "provider type \"\(providerName)\" is not supported (\(MetricProviders.names.joined(separator: ", ")))",
                                    checkedAt: checkedAt)
        }
        let provider = providerType.init(clients: clients)
        // The operator's --metrics-server is a Prometheus; SaaS providers have their own default.
        let given = template?.spec.provider.address.flatMap({ $0.isEmpty ? nil : $0 }) ?? providerType.defaultAddress
        let address: String
        switch (given, providerType.unsetAddress) {
        case (let a?, _): address = a
        case (nil, .kubernetesAPI): address = ""
        case (nil, .required(let example)):
            return Self.errorResult(metric, query: query, threshold: threshold,
                                    message: "the \(providerType.name) provider needs the template's provider.address, e.g. \(example)",
                                    checkedAt: checkedAt)
        case (nil, .metricsServer):
            guard let d = defaultAddress, !d.isEmpty else {
                return Self.errorResult(metric, query: query, threshold: threshold,
                                        message: "no \(providerType.name.prefix(1).uppercased() + providerType.name.dropFirst()) address: set the template's provider.address or --metrics-server",
                                        checkedAt: checkedAt)
            }
            address = d
        }
        var creds = credentials
        if let h = template?.spec.provider.headerFields { creds.headers.merge(h) { cur, _ in cur } }
        if template?.spec.provider.insecureSkipVerify == true { creds.insecureSkipVerify = true }
        let window = try? DurationString.seconds(metric.interval ?? context.interval)
        let endpoint = MetricEndpoint(address: address, credentials: creds, timeout: timeout, window: window,
                                      region: template?.spec.provider.region)

        if metric.judge == .compare {
            return await compare(metric, context: context, template: template, query: query, provider: provider,
                                 endpoint: endpoint, threshold: threshold, checkedAt: checkedAt)
        }
        do {
            let answer = try await provider.query(query, endpoint: endpoint)
            let outcome = try answer.singleValue()
            return Self.verdict(metric: metric, query: query, outcome: outcome, checkedAt: checkedAt)
        } catch {
            return Self.errorResult(metric, query: query, threshold: threshold, message: "\(error)", checkedAt: checkedAt)
        }
    }

    func judge(_ metric: CanaryMetric) -> CompareJudge {
        CompareJudge(confidence: metric.confidence ?? 0.95, allowedIncrease: metric.allowedIncrease ?? 0.1,
                     lowerIsWorse: Self.lowerIsWorse(metric))
    }

    func compare(_ metric: CanaryMetric, context: CanaryMetricContext, template: MetricTemplate?, query: String,
                 provider: any MetricProvider, endpoint: MetricEndpoint, threshold: String,
                 checkedAt: String) async -> MetricCheckResult {
        let primaryQuery: String
        let window: Double
        do {
            primaryQuery = try Self.query(for: metric, context: context, template: template, options: builtinOptions,
                                          primary: true)
            window = try DurationString.seconds(metric.interval ?? context.interval)
        } catch {
            return Self.errorResult(metric, query: query, threshold: threshold, message: "\(error)", checkedAt: checkedAt)
        }
        let end = now()
        let start = end.addingTimeInterval(-window)
        let step = max(1, window / 60)
        let shownQuery = "canary: \(query)\nprimary: \(primaryQuery)"
        do {
            async let c = provider.samples(query, start: start, end: end, step: step, endpoint: endpoint)
            async let p = provider.samples(primaryQuery, start: start, end: end, step: step, endpoint: endpoint)
            let canary = try await c, primary = try await p
            switch judge(metric).judge(canary: canary, baseline: primary) {
            case .noData(let why):
                return Self.noData(metric: metric, query: shownQuery, threshold: threshold, reason: why, checkedAt: checkedAt)
            case .judged(let o):
                return MetricCheckResult(name: metric.name, query: shownQuery, value: o.canaryMedian, threshold: threshold,
                                         verdict: o.worse ? .fail : .pass, message: o.message, checkedAt: checkedAt,
                                         pValue: o.pValue, effectSize: o.effectSize)
            }
        } catch {
            return Self.errorResult(metric, query: shownQuery, threshold: threshold, message: "\(error)", checkedAt: checkedAt)
        }
    }
}

extension MetricCheckResult {
    /// One phrase for Events and conditions: `request-success-rate 97.2 < 99`,
    /// `error-rate no data (…), onNoData=Hold`, `request-duration error: …`.
    public var summary: String {
        switch verdict {
        case .error: return "\(name) error: \(message)"
        default: return "\(name) \(message)"
        }
    }
}
