import Foundation
import KubeCore

/// Argo Rollouts' `AnalysisTemplate` (namespaced) and `ClusterAnalysisTemplate` (cluster-scoped):
/// the same spec, a list of metrics measured by a provider and judged by condition expressions.
public struct AnalysisTemplate: Codable, Sendable, Hashable {
    public var apiVersion: String
    public var kind: String
    public var metadata: JSONValue
    public var spec: AnalysisTemplateSpec

    public init(name: String, namespace: String? = nil, spec: AnalysisTemplateSpec, clusterScoped: Bool = false) {
        apiVersion = "serin.dev/v1alpha1"
        kind = clusterScoped ? "ClusterAnalysisTemplate" : "AnalysisTemplate"
        var meta: JSONValue = ["name": .string(name)]
        if let namespace, !clusterScoped { meta["namespace"] = .string(namespace) }
        metadata = meta
        self.spec = spec
    }

    public static let resourceType = ResourceType(
        group: "serin.dev", version: "v1alpha1", plural: "analysistemplates", kind: "AnalysisTemplate", namespaced: true)
    public static let clusterResourceType = ResourceType(
        group: "serin.dev", version: "v1alpha1", plural: "clusteranalysistemplates", kind: "ClusterAnalysisTemplate",
        namespaced: false)
}

/// The cluster-scoped template has the same shape.
public typealias ClusterAnalysisTemplate = AnalysisTemplate

public struct AnalysisTemplateSpec: Codable, Sendable, Hashable {
    /// Empty when the manifest has none (Argo makes `metrics` optional beside `templates`).
    public var metrics: [AnalysisMetric]
    public var args: [AnalysisArgument]?
    public var dryRun: [AnalysisDryRun]?
    public var measurementRetention: [AnalysisMeasurementRetention]?
    /// Argo's composition: other templates whose metrics, args, dryRun and measurementRetention
    /// join this one's when a run is made (resolved by the controller, recursively).
    public var templates: [AnalysisTemplateInclude]?

    public init(metrics: [AnalysisMetric], args: [AnalysisArgument]? = nil, dryRun: [AnalysisDryRun]? = nil,
                measurementRetention: [AnalysisMeasurementRetention]? = nil,
                templates: [AnalysisTemplateInclude]? = nil) {
        self.metrics = metrics
        self.args = args
        self.dryRun = dryRun
        self.measurementRetention = measurementRetention
        self.templates = templates
    }

    enum CodingKeys: String, CodingKey {
        case metrics, args, dryRun, measurementRetention, templates
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        metrics = try c.decodeIfPresent([AnalysisMetric].self, forKey: .metrics) ?? []
        args = try c.decodeIfPresent([AnalysisArgument].self, forKey: .args)
        dryRun = try c.decodeIfPresent([AnalysisDryRun].self, forKey: .dryRun)
        measurementRetention = try c.decodeIfPresent([AnalysisMeasurementRetention].self, forKey: .measurementRetention)
        templates = try c.decodeIfPresent([AnalysisTemplateInclude].self, forKey: .templates)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        if !metrics.isEmpty { try c.encode(metrics, forKey: .metrics) }
        try c.encodeIfPresent(args, forKey: .args)
        try c.encodeIfPresent(dryRun, forKey: .dryRun)
        try c.encodeIfPresent(measurementRetention, forKey: .measurementRetention)
        try c.encodeIfPresent(templates, forKey: .templates)
    }

    /// What is wrong with the `templates` list, each naming the field and the fix.
    public var includeProblems: [String] {
        var out: [String] = []
        for (i, t) in (templates ?? []).enumerated() where (t.templateName ?? "").isEmpty {
            out.append("spec.templates[\(i)].templateName is empty; name the AnalysisTemplate to include (or a ClusterAnalysisTemplate with clusterScope: true)")
        }
        return out
    }
}

/// One entry of Argo's `spec.templates` (a template included in another).
public struct AnalysisTemplateInclude: Codable, Sendable, Hashable {
    public var templateName: String?
    public var clusterScope: Bool?
    public init(templateName: String? = nil, clusterScope: Bool? = nil) {
        self.templateName = templateName
        self.clusterScope = clusterScope
    }
}

public struct AnalysisArgument: Codable, Sendable, Hashable {
    public var name: String
    public var value: String?
    public var valueFrom: AnalysisArgumentValueFrom?

    public init(name: String, value: String? = nil, valueFrom: AnalysisArgumentValueFrom? = nil) {
        self.name = name
        self.value = value
        self.valueFrom = valueFrom
    }
}

public struct AnalysisArgumentValueFrom: Codable, Sendable, Hashable {
    public var secretKeyRef: AnalysisSecretKeyRef?
    public var fieldRef: AnalysisFieldRef?
    public init(secretKeyRef: AnalysisSecretKeyRef? = nil, fieldRef: AnalysisFieldRef? = nil) {
        self.secretKeyRef = secretKeyRef
        self.fieldRef = fieldRef
    }
}

public struct AnalysisSecretKeyRef: Codable, Sendable, Hashable {
    public var name: String
    public var key: String
    public init(name: String, key: String) {
        self.name = name
        self.key = key
    }
}

public struct AnalysisFieldRef: Codable, Sendable, Hashable {
    public var fieldPath: String
    public init(fieldPath: String) { self.fieldPath = fieldPath }
}

/// An integer field that may also be written as a string (Argo's `intstr`), e.g.
/// `count: "{{args.samples}}"`.
public enum AnalysisIntOrString: Codable, Sendable, Hashable, ExpressibleByIntegerLiteral {
    case int(Int)
    case string(String)

    public init(integerLiteral value: Int) { self = .int(value) }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let i = try? c.decode(Int.self) { self = .int(i); return }
        self = .string(try c.decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .int(let i): try c.encode(i)
        case .string(let s): try c.encode(s)
        }
    }

    /// The integer, when it is one or a string that reads as one.
    public var intValue: Int? {
        switch self {
        case .int(let i): return i
        case .string(let s): return Int(s.trimmingCharacters(in: .whitespaces))
        }
    }
}

public struct AnalysisMetric: Codable, Sendable, Hashable {
    public var name: String
    /// Duration string (`60s`, `1m`); time between measurements.
    public var interval: String?
    /// Duration to wait before the first measurement.
    public var initialDelay: String?
    /// Number of measurements; unset means measure until the run is terminated
    /// (or once, when no interval is set either).
    public var count: AnalysisIntOrString?
    public var successCondition: String?
    public var failureCondition: String?
    /// Failed measurements tolerated before the metric fails (default 0).
    public var failureLimit: AnalysisIntOrString?
    /// Inconclusive measurements tolerated before the metric is inconclusive (default 0).
    public var inconclusiveLimit: AnalysisIntOrString?
    /// Consecutive errors tolerated before the metric errors (default 4).
    public var consecutiveErrorLimit: AnalysisIntOrString?
    /// Argo's early success after N successes in a row: accepted, not supported yet (validation names it).
    public var consecutiveSuccessLimit: AnalysisIntOrString?
    public var provider: AnalysisMetricProvider

    public init(name: String, interval: String? = nil, initialDelay: String? = nil, count: AnalysisIntOrString? = nil,
                successCondition: String? = nil, failureCondition: String? = nil,
                failureLimit: AnalysisIntOrString? = nil, inconclusiveLimit: AnalysisIntOrString? = nil,
                consecutiveErrorLimit: AnalysisIntOrString? = nil, consecutiveSuccessLimit: AnalysisIntOrString? = nil,
                provider: AnalysisMetricProvider) {
        self.consecutiveSuccessLimit = consecutiveSuccessLimit
        self.name = name
        self.interval = interval
        self.initialDelay = initialDelay
        self.count = count
        self.successCondition = successCondition
        self.failureCondition = failureCondition
        self.failureLimit = failureLimit
        self.inconclusiveLimit = inconclusiveLimit
        self.consecutiveErrorLimit = consecutiveErrorLimit
        self.provider = provider
    }

    public static let defaultConsecutiveErrorLimit = 4
}

public struct AnalysisMetricProvider: Codable, Sendable, Hashable {
    public var prometheus: PrometheusProviderSpec?
    /// Serin's canary-versus-baseline Mann–Whitney judge.
    public var compare: CompareProviderSpec?
    // Argo's other providers, kept verbatim: the Analysis module's registry says which it
    // measures (`MetricProviders.type(analysisKey:)`); validation names the others.
    public var web: JSONValue?
    public var job: JSONValue?
    public var datadog: JSONValue?
    public var newRelic: JSONValue?
    public var cloudWatch: JSONValue?
    public var kayenta: JSONValue?
    public var graphite: JSONValue?
    public var influxdb: JSONValue?
    public var skywalking: JSONValue?
    public var wavefront: JSONValue?
    public var plugin: JSONValue?

    public init(prometheus: PrometheusProviderSpec? = nil, compare: CompareProviderSpec? = nil) {
        self.prometheus = prometheus
        self.compare = compare
    }

    /// Argo's provider keys besides prometheus (and Serin's compare), in the CRD's order.
    public static let otherProviderKeys = ["web", "job", "datadog", "newRelic", "cloudWatch", "kayenta", "graphite",
                                           "influxdb", "skywalking", "wavefront", "plugin"]

    /// The other providers this metric sets, with their settings.
    public var otherProviders: [(key: String, settings: JSONValue)] {
        let set: [JSONValue?] = [web, job, datadog, newRelic, cloudWatch, kayenta, graphite, influxdb, skywalking,
                                 wavefront, plugin]
        return zip(Self.otherProviderKeys, set).compactMap { key, value in value.map { (key, $0) } }
    }
}

public struct PrometheusProviderSpec: Codable, Sendable, Hashable {
    public var address: String?
    public var query: String
    /// Seconds (Argo's field is an integer number of seconds).
    public var timeout: Int?
    /// Skip TLS verification.
    public var insecure: Bool?
    public var headers: [AnalysisHeader]?
    public var authentication: PrometheusAuthentication?
    /// Argo's range query: accepted, not supported yet (validation names it).
    public var rangeQuery: PrometheusRangeQuery?

    public init(address: String? = nil, query: String, timeout: Int? = nil, insecure: Bool? = nil,
                headers: [AnalysisHeader]? = nil, authentication: PrometheusAuthentication? = nil,
                rangeQuery: PrometheusRangeQuery? = nil) {
        self.rangeQuery = rangeQuery
        self.address = address
        self.query = query
        self.timeout = timeout
        self.insecure = insecure
        self.headers = headers
        self.authentication = authentication
    }
}

/// Argo's `prometheus.rangeQuery` (start, end, step as Argo writes them).
public struct PrometheusRangeQuery: Codable, Sendable, Hashable {
    public var start: String?
    public var end: String?
    public var step: String?
    public init(start: String? = nil, end: String? = nil, step: String? = nil) {
        self.start = start
        self.end = end
        self.step = step
    }
}

public struct AnalysisHeader: Codable, Sendable, Hashable {
    public var key: String
    public var value: String
    public init(key: String, value: String) {
        self.key = key
        self.value = value
    }
}

/// Argo's `authentication` (sigv4, oauth2) plus Serin's `secretRef`: a Secret with `token`,
/// or `username` and `password`, and optionally `ca.crt`, resolved by the controller.
public struct PrometheusAuthentication: Codable, Sendable, Hashable {
    public var secretRef: MetricProviderSecretRef?
    public var oauth2: JSONValue?
    public var sigv4: JSONValue?
    /// Argo's `basicAuth`: username and password, usually `{{ args.X }}` read from a Secret.
    public var basicAuth: PrometheusBasicAuth?
    public init(secretRef: MetricProviderSecretRef? = nil, oauth2: JSONValue? = nil, sigv4: JSONValue? = nil,
                basicAuth: PrometheusBasicAuth? = nil) {
        self.secretRef = secretRef
        self.oauth2 = oauth2
        self.sigv4 = sigv4
        self.basicAuth = basicAuth
    }
}

/// HTTP basic authentication of a Prometheus metric (Argo's `authentication.basicAuth`).
public struct PrometheusBasicAuth: Codable, Sendable, Hashable {
    public var username: String?
    public var password: String?
    public init(username: String? = nil, password: String? = nil) {
        self.username = username
        self.password = password
    }
}

/// The comparison judge as an analysis provider: the same query for canary and baseline over
/// a window, judged by a Mann–Whitney U test. The measurement value is the canary/baseline
/// median ratio; the verdict is the judge's.
public struct CompareProviderSpec: Codable, Sendable, Hashable {
    public var address: String?
    public var canaryQuery: String
    public var baselineQuery: String
    /// Duration string; the window sampled by range queries (default `5m`).
    public var window: String?
    /// Duration string; range query resolution (default 15s or window/60, whichever is larger).
    public var step: String?
    /// Default 0.95.
    public var confidence: Double?
    /// Allowed relative increase of the canary over the baseline (default 0.1).
    public var allowedIncrease: Double?
    /// `increase` (default: higher is worse, e.g. latency, errors) or `decrease` (lower is worse).
    public var direction: String?
    public var timeout: Int?
    public var insecure: Bool?
    public var headers: [AnalysisHeader]?
    public var authentication: PrometheusAuthentication?

    public init(address: String? = nil, canaryQuery: String, baselineQuery: String, window: String? = nil,
                step: String? = nil, confidence: Double? = nil, allowedIncrease: Double? = nil,
                direction: String? = nil, timeout: Int? = nil, insecure: Bool? = nil,
                headers: [AnalysisHeader]? = nil, authentication: PrometheusAuthentication? = nil) {
        self.address = address
        self.canaryQuery = canaryQuery
        self.baselineQuery = baselineQuery
        self.window = window
        self.step = step
        self.confidence = confidence
        self.allowedIncrease = allowedIncrease
        self.direction = direction
        self.timeout = timeout
        self.insecure = insecure
        self.headers = headers
        self.authentication = authentication
    }
}

public struct AnalysisDryRun: Codable, Sendable, Hashable {
    /// A metric name, or `.*` style regular expression as Argo allows.
    public var metricName: String
    public init(metricName: String) { self.metricName = metricName }
}

public struct AnalysisMeasurementRetention: Codable, Sendable, Hashable {
    public var metricName: String
    public var limit: Int
    public init(metricName: String, limit: Int) {
        self.metricName = metricName
        self.limit = limit
    }
}
