import Foundation

/// Prometheus (`/api/v1/query`, `/api/v1/query_range`) through `PrometheusClient`.
public struct PrometheusProvider: MetricProvider {
    public static var names: [String] { ["prometheus"] }

    public var client: PrometheusClient

    public init(client: PrometheusClient) { self.client = client }
    public init(clients: MetricClients) { self.init(client: clients.prometheus) }

    public func query(_ query: String, endpoint: MetricEndpoint) async throws -> MetricAnswer {
        let response = try await client.query(query, endpoint: endpoint)
        let result = response.result
        return MetricAnswer(value: ExprValue(result), warnings: response.warnings) { try SingleValue.from(result) }
    }

    public func samples(_ query: String, start: Date, end: Date, step: Double,
                        endpoint: MetricEndpoint) async throws -> [Double] {
        let response = try await client.queryRange(query, start: start, end: end, step: step, endpoint: endpoint)
        return try Self.samples(response.result)
    }

    /// The points of a range answer: one series (or none); several series are an error.
    static func samples(_ result: PromResult) throws -> [Double] {
        switch result {
        case .matrix(let series):
            if series.count > 1 { throw PrometheusError.multipleSeries(series.map(\.labels)) }
            return series.first?.points.map(\.value).filter { !$0.isNaN } ?? []
        case .vector(let v):
            if v.count > 1 { throw PrometheusError.multipleSeries(v.map(\.labels)) }
            return v.map(\.value).filter { !$0.isNaN }
        case .scalar(_, let v):
            return v.isNaN ? [] : [v]
        case .string:
            throw PrometheusError.unexpectedResultType("string")
        }
    }
}
