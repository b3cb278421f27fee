import Foundation
import KubeCore
import SerinAPI

/// Where and how a provider is asked: the base URL (per call, from a template or the operator's flag),
/// credentials and a timeout.
public struct MetricEndpoint: Sendable, Hashable, CustomStringConvertible {
    public var address: String
    public var credentials: MetricCredentials
    /// Seconds for the whole request.
    public var timeout: Double
    /// The metric's interval in seconds (Flagger's `interval`), for providers whose API asks
    /// for a time range rather than a query with a window in it (Datadog, CloudWatch).
    public var window: Double?
    /// Flagger's `provider.region` (CloudWatch).
    public var region: String?

    public init(address: String, credentials: MetricCredentials = .none, timeout: Double = 30, window: Double? = nil,
                region: String? = nil) {
        self.region = region
        self.address = address
        self.credentials = credentials
        self.timeout = timeout
        self.window = window
    }

    /// The address without any `user:password@`, for messages.
    public var displayAddress: String {
        guard var c = URLComponents(string: address) else { return "(invalid address)" }
        c.user = nil
        c.password = nil
        return c.string ?? "(invalid address)"
    }

    public var description: String { "MetricEndpoint(\(displayAddress), \(credentials), timeout \(timeout)s)" }
}

/// The former name of `MetricEndpoint`.
public typealias PrometheusEndpoint = MetricEndpoint

/// The answer of a metric provider to one query.
public struct MetricAnswer: Sendable {
    /// What the query returned as analysis conditions see it (`result`).
    public var value: ExprValue
    /// Notes the provider attached to the answer (Prometheus' `warnings`).
    public var warnings: [String]
    private let single: @Sendable () throws -> SingleValue

    /// `single` says what one value the answer is (or that there is no data), and throws when
    /// the answer is not one value (several series, a string…).
    public init(value: ExprValue, warnings: [String] = [], single: @escaping @Sendable () throws -> SingleValue) {
        self.value = value
        self.warnings = warnings
        self.single = single
    }

    /// One number, or no data when nil or NaN.
    public init(number: Double?, warnings: [String] = []) {
        self.init(value: number.map(ExprValue.number) ?? .null, warnings: warnings) {
            guard let number, !number.isNaN else { return .noData(reason: "the query returned no value") }
            return .value(number)
        }
    }

    /// The single value a threshold is applied to, or no data; throws when the answer is not one value.
    public func singleValue() throws -> SingleValue { try single() }
}

/// A metrics backend: one query (with its own address, credentials and timeout) becomes a
/// value, no data, or an error. Errors name the cause, never a credential.
///
/// A new provider is one file with a type conforming to this protocol, its entry in
/// `MetricProviders.all`, and its tests (see docs/plugins.md).
public protocol MetricProvider: Sendable {
    /// The provider names it answers to (lowercase): a MetricTemplate's `provider.type`, the key
    /// of an AnalysisRun metric's `provider`.
    static var names: [String] { get }

    /// The provider over the operator's long-lived clients.
    init(clients: MetricClients)

    /// One instant query.
    func query(_ query: String, endpoint: MetricEndpoint) async throws -> MetricAnswer

    /// The points of one series over [start, end] every `step` seconds (NaN left out), for the
    /// comparison judge.
    func samples(_ query: String, start: Date, end: Date, step: Double, endpoint: MetricEndpoint) async throws -> [Double]

    /// The address a MetricTemplate that names none is sent to (Datadog's public API); nil
    /// means the operator's `--metrics-server` (Prometheus).
    static var defaultAddress: String? { get }

    /// What a MetricTemplate without `provider.address` and without a `defaultAddress` means:
    /// the operator's `--metrics-server` (Prometheus), an error (Dynatrace, Splunk), or
    /// nothing to connect to because the provider reads the Kubernetes API (Keptn).
    static var unsetAddress: UnsetAddress { get }

    /// Why a rendered MetricTemplate query cannot be asked (a Keptn query not of the form
    /// `keptnmetric/NS/NAME`); nil when it can or the provider cannot tell before asking.
    static func queryProblem(_ query: String) -> String?

    /// Whether it answers a query string (MetricTemplates, Canary metrics); false for
    /// providers that only measure AnalysisRun metrics from their settings (web, job).
    static var answersQueries: Bool { get }

    /// The key of an AnalysisRun metric's `provider` this provider serves, as Argo spells it
    /// (`web`, `job`, `newRelic`); nil when only MetricTemplates use it.
    static var analysisKey: String? { get }

    /// Problems with an AnalysisRun metric's provider settings, each `field: why; fix`
    /// (`url: is required; …`). Strings holding a `{{args.X}}` placeholder are not judged.
    static func problems(analysis settings: JSONValue) -> [String]

    /// One measurement of an AnalysisRun metric from its provider settings (args substituted).
    func measure(analysis settings: JSONValue, context: AnalysisProviderContext) async throws -> ProviderMeasurement

    /// A measurement left Running (a Job) looked at again.
    func resume(analysis settings: JSONValue, measurement: AnalysisMeasurement,
                context: AnalysisProviderContext) async throws -> ProviderMeasurement

    /// A measurement left Running ended because the run is terminating.
    func terminate(analysis settings: JSONValue, measurement: AnalysisMeasurement,
                   context: AnalysisProviderContext) async throws -> ProviderMeasurement
}

/// How a provider takes a MetricTemplate that names no address (see `MetricProvider.unsetAddress`).
public enum UnsetAddress: Sendable, Hashable {
    /// The operator's `--metrics-server`.
    case metricsServer
    /// The template must set one; `example` is shown in the error.
    case required(example: String)
    /// The provider reads the Kubernetes API; the endpoint's address is empty.
    case kubernetesAPI
}

/// Which AnalysisRun a measurement belongs to, and what the provider may need of it.
public struct AnalysisProviderContext: Sendable {
    public var run: AnalysisRunIdentity
    public var metricName: String
    /// Argo's measurement number: completed measurements + errors + 1 (the Job name's suffix).
    public var measurementIndex: Int
    /// From `authentication.secretRef` and Secret-sourced args (kept out of messages).
    public var credentials: MetricCredentials
    /// Measurements kept for the metric (`measurementRetention`, default 10): a provider that
    /// leaves objects behind (Jobs) keeps as many.
    public var retention: Int

    public init(run: AnalysisRunIdentity, metricName: String, measurementIndex: Int = 1,
                credentials: MetricCredentials = .none, retention: Int = AnalysisRunEvaluator.defaultRetention) {
        self.retention = retention
        self.run = run
        self.metricName = metricName
        self.measurementIndex = measurementIndex
        self.credentials = credentials
    }
}

/// The AnalysisRun object a measurement is for (a Job is owned by it).
public struct AnalysisRunIdentity: Sendable, Hashable {
    public var name: String
    public var namespace: String
    public var uid: String

    public init(name: String = "", namespace: String = "", uid: String = "") {
        self.name = name
        self.namespace = namespace
        self.uid = uid
    }
}

/// What a provider made of one AnalysisRun measurement.
public enum ProviderMeasurement: Sendable {
    /// A value, judged by the metric's success and failure conditions.
    case answer(MetricAnswer, metadata: [String: String])
    /// Still going (a Job running): looked at again with `resume`.
    case running(metadata: [String: String])
    /// The provider's own verdict (a Job succeeded or failed).
    case finished(AnalysisPhase, message: String?, metadata: [String: String])
}

extension MetricProvider {
    /// The name Serin gives the provider in messages (its first).
    public static var name: String { names.first ?? "" }

    public func samples(_ query: String, start: Date, end: Date, step: Double,
                        endpoint: MetricEndpoint) async throws -> [Double] {
        throw MetricSpecError("provider \(Self.name) does not answer range queries (the compare judge needs them)")
    }

    public static var analysisKey: String? { nil }
    public static var answersQueries: Bool { true }
    public static var defaultAddress: String? { nil }
    public static var unsetAddress: UnsetAddress { .metricsServer }
    public static func queryProblem(_ query: String) -> String? { nil }
    public static func problems(analysis settings: JSONValue) -> [String] { [] }

    public func measure(analysis settings: JSONValue, context: AnalysisProviderContext) async throws -> ProviderMeasurement {
        throw MetricSpecError("provider \(Self.name) does not measure AnalysisRun metrics")
    }

    public func resume(analysis settings: JSONValue, measurement: AnalysisMeasurement,
                       context: AnalysisProviderContext) async throws -> ProviderMeasurement {
        throw MetricSpecError("provider \(Self.name) leaves no measurement running")
    }

    public func terminate(analysis settings: JSONValue, measurement: AnalysisMeasurement,
                          context: AnalysisProviderContext) async throws -> ProviderMeasurement {
        .finished(.successful, message: "run terminated", metadata: measurement.metadata ?? [:])
    }
}

/// The long-lived clients providers share (one per process: connection pools, TLS).
public struct MetricClients: Sendable {
    public var prometheus: PrometheusClient
    /// HTTP for the providers other than Prometheus.
    public var http: MetricHTTPClient
    /// The Kubernetes API, for providers that create objects (Jobs) or read Secrets; nil in
    /// pure tests and the CLI, where such providers say they need it.
    public var kube: (any KubeAPI)?

    public init(prometheus: PrometheusClient, http: MetricHTTPClient = .shared, kube: (any KubeAPI)? = nil) {
        self.prometheus = prometheus
        self.http = http
        self.kube = kube
    }
}

/// A provider's AnalysisRun settings (`provider.<key>`) as a type: decoding plus the checks
/// decoding cannot make, shared by validation and measurement.
protocol ProviderSettings: Decodable {
    /// Problems as `field: message; fix`, relative to `provider.<key>`.
    var problems: [String] { get }
    /// What to write, added to a message about settings that do not decode.
    static var shape: String { get }
}

extension ProviderSettings {
    static var shape: String { "" }

    /// The problems of `settings`, a decoding error first.
    static func problems(in settings: JSONValue) -> [String] {
        do { return try settings.decode(as: Self.self).problems } catch {
            let why = (error as? DecodingError)?.fieldMessage ?? "\(error)"
            return ["settings: \(why)" + (shape.isEmpty ? "" : "; \(shape)")]
        }
    }

    /// The settings, or an error naming the first problem under `provider.<key>`.
    static func checked(_ settings: JSONValue, key: String) throws -> Self {
        let s = try settings.decode(as: Self.self)
        if let first = s.problems.first { throw MetricSpecError("provider.\(key).\(first)") }
        return s
    }
}

/// The metric providers Serin implements: the only place that lists them.
public enum MetricProviders {
    public static var all: [any MetricProvider.Type] {
        [PrometheusProvider.self, WebProvider.self, JobProvider.self, DatadogProvider.self, NewRelicProvider.self]
            + [DynatraceProvider.self, SplunkProvider.self, StackdriverProvider.self, KeptnProvider.self,
               ExternalMetricsProvider.self]
            + [GraphiteProvider.self, InfluxDBProvider.self, CloudWatchProvider.self, WavefrontProvider.self,
               KayentaProvider.self, SkyWalkingProvider.self]
    }

    /// Every MetricTemplate provider type, for messages (`prometheus`).
    public static var names: [String] { all.filter { $0.answersQueries }.flatMap { $0.names } }

    /// The MetricTemplate provider type for a name (case-insensitive); nil when Serin has none.
    public static func type(named name: String) -> (any MetricProvider.Type)? {
        let n = name.lowercased()
        return all.first { $0.answersQueries && $0.names.contains(n) }
    }

    /// The provider for a name over `clients`; nil when Serin has none.
    public static func provider(named name: String, clients: MetricClients) -> (any MetricProvider)? {
        type(named: name).map { $0.init(clients: clients) }
    }

    /// The provider type serving an AnalysisRun metric's `provider.<key>` (exact key); nil when none.
    public static func type(analysisKey key: String) -> (any MetricProvider.Type)? {
        all.first { $0.analysisKey == key }
    }

    /// The `provider` keys of AnalysisRun metrics Serin measures, besides `prometheus` and `compare`.
    public static var analysisKeys: [String] { all.compactMap { $0.analysisKey } }
}
