import Foundation

/// Where and how a provider is asked: the base URL (per call, from a template or the operator's flag),
/// credentials and a timeout.
public struct MetricEndpoint: Sendable, Hashable, CustomStringConvertible {
    public var address: String
    public var credentials: MetricCredentials
    /// Seconds for the whole request.
    public var timeout: Double

    public init(address: String, credentials: MetricCredentials = .none, timeout: Double = 30) {
        self.address = address
        self.credentials = credentials
        self.timeout = timeout
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
}

extension MetricProvider {
    /// The name Serin gives the provider in messages (its first).
    public static var name: String { names.first ?? "" }

    public func samples(_ query: String, start: Date, end: Date, step: Double,
                        endpoint: MetricEndpoint) async throws -> [Double] {
        throw MetricSpecError("provider \(Self.name) does not answer range queries (the compare judge needs them)")
    }
}

/// The long-lived clients providers share (one per process: connection pools, TLS).
public struct MetricClients: Sendable {
    public var prometheus: PrometheusClient
    public init(prometheus: PrometheusClient) { self.prometheus = prometheus }
}

/// The metric providers Serin implements: the only place that lists them.
public enum MetricProviders {
    public static var all: [any MetricProvider.Type] { [PrometheusProvider.self] }

    /// Every provider name, for messages (`prometheus`).
    public static var names: [String] { all.flatMap { $0.names } }

    /// The provider type for a name (case-insensitive); nil when Serin has none.
    public static func type(named name: String) -> (any MetricProvider.Type)? {
        let n = name.lowercased()
        return all.first { $0.names.contains(n) }
    }

    /// The provider for a name over `clients`; nil when Serin has none.
    public static func provider(named name: String, clients: MetricClients) -> (any MetricProvider)? {
        type(named: name).map { $0.init(clients: clients) }
    }
}
