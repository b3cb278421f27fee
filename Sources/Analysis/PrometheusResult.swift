import Foundation
import KubeCore

/// One series of an instant vector.
public struct PromSample: Sendable, Hashable {
    public var labels: [String: String]
    public var timestamp: Double
    public var value: Double
    public init(labels: [String: String], timestamp: Double, value: Double) {
        self.labels = labels
        self.timestamp = timestamp
        self.value = value
    }
}

/// One series of a range vector.
public struct PromSeries: Sendable, Hashable {
    public var labels: [String: String]
    public var points: [PromPoint]
    public init(labels: [String: String], points: [PromPoint]) {
        self.labels = labels
        self.points = points
    }
}

public struct PromPoint: Sendable, Hashable {
    public var timestamp: Double
    public var value: Double
    public init(timestamp: Double, value: Double) {
        self.timestamp = timestamp
        self.value = value
    }
}

/// The `data` of a successful Prometheus query answer.
public enum PromResult: Sendable, Hashable {
    case vector([PromSample])
    case scalar(timestamp: Double, value: Double)
    case matrix([PromSeries])
    case string(timestamp: Double, value: String)

    public var typeName: String {
        switch self {
        case .vector: return "vector"
        case .scalar: return "scalar"
        case .matrix: return "matrix"
        case .string: return "string"
        }
    }
}

/// A successful answer: the result and any warnings Prometheus attached.
public struct PromResponse: Sendable, Hashable {
    public var result: PromResult
    public var warnings: [String]
    public init(result: PromResult, warnings: [String] = []) {
        self.result = result
        self.warnings = warnings
    }
}

/// Everything that can go wrong asking Prometheus. Descriptions name the address (without
/// credentials) and quote at most a short excerpt of what came back.
public enum PrometheusError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Prometheus answered `status: error` (bad_data, execution, timeout, canceled, …).
    case queryFailed(errorType: String, error: String, httpStatus: Int)
    /// The answer is not a Prometheus API answer (HTML login page, proxy 502, garbage).
    case notPrometheus(httpStatus: Int, contentType: String?, excerpt: String)
    /// The API answer parsed but had an unexpected shape.
    case malformed(String)
    case timeout(address: String, seconds: Double)
    case connectionFailed(address: String, reason: String)
    case invalidAddress(String)
    /// Flagger's rule: a check needs exactly one value.
    case multipleSeries([[String: String]])
    /// A check needs an instant value; the query returned this type.
    case unexpectedResultType(String)

    public var description: String {
        switch self {
        case let .queryFailed(errorType, error, status):
            return "Prometheus query error (\(errorType), HTTP \(status)): \(error)"
        case let .notPrometheus(status, contentType, excerpt):
            let ct = contentType.map { ", \($0)" } ?? ""
            return "not a Prometheus API answer (HTTP \(status)\(ct)): \"\(excerpt)\""
        case let .malformed(why):
            return "malformed Prometheus answer: \(why)"
        case let .timeout(address, seconds):
            return "Prometheus at \(address) did not answer within \(PromFormat.number(seconds))s"
        case let .connectionFailed(address, reason):
            return "cannot reach Prometheus at \(address): \(reason)"
        case let .invalidAddress(a):
            return "invalid Prometheus address \"\(a)\""
        case let .multipleSeries(sets):
            let shown = sets.prefix(5).map(PromFormat.labelSet).joined(separator: ", ")
            let more = sets.count > 5 ? " and \(sets.count - 5) more" : ""
            return "query returned \(sets.count) series, expected exactly one: \(shown)\(more)"
        case let .unexpectedResultType(t):
            return "query returned a \(t), expected a single number (vector of one series or scalar)"
        }
    }
}

enum PromFormat {
    /// `{service="a", status="500"}`, keys sorted.
    static func labelSet(_ labels: [String: String]) -> String {
        "{" + labels.sorted { $0.key < $1.key }.map { "\($0.key)=\"\($0.value)\"" }.joined(separator: ", ") + "}"
    }

    /// Compact number for messages: `97.2`, `99`, `0.000123`, `NaN`, `+Inf`.
    static func number(_ v: Double) -> String {
        if v.isNaN { return "NaN" }
        if v.isInfinite { return v > 0 ? "+Inf" : "-Inf" }
        if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
        return String(format: "%.4g", v)
    }
}

/// Reads Prometheus HTTP API answers. Pure: status, content type and body in; result or error out.
public enum PrometheusResponseParser {
    /// Bytes of a body quoted in errors.
    static let excerptLimit = 120

    public static func parse(httpStatus: Int, contentType: String?, body: [UInt8]) throws -> PromResponse {
        let json: JSONValue
        do {
            json = try JSONValue(parsing: body)
        } catch {
            throw PrometheusError.notPrometheus(httpStatus: httpStatus, contentType: contentType, excerpt: excerpt(body))
        }
        guard let status = json["status"].stringValue else {
            throw PrometheusError.notPrometheus(httpStatus: httpStatus, contentType: contentType, excerpt: excerpt(body))
        }
        let warnings = (json["warnings"].arrayValue ?? []).compactMap(\.stringValue)
        if status == "error" {
            throw PrometheusError.queryFailed(
                errorType: json["errorType"].stringValue ?? "unknown", error: json["error"].stringValue ?? "",
                httpStatus: httpStatus)
        }
        guard status == "success" else { throw PrometheusError.malformed("status \"\(status)\"") }
        guard (200..<300).contains(httpStatus) else {
            throw PrometheusError.notPrometheus(httpStatus: httpStatus, contentType: contentType, excerpt: excerpt(body))
        }
        let data = json["data"]
        guard let type = data["resultType"].stringValue else { throw PrometheusError.malformed("no data.resultType") }
        let raw = data["result"]
        switch type {
        case "vector":
            guard let items = raw.arrayValue else { throw PrometheusError.malformed("vector result is not an array") }
            let samples = try items.map { item -> PromSample in
                let (t, v) = try point(item["value"])
                return PromSample(labels: labels(item["metric"]), timestamp: t, value: v)
            }
            return PromResponse(result: .vector(samples), warnings: warnings)
        case "matrix":
            guard let items = raw.arrayValue else { throw PrometheusError.malformed("matrix result is not an array") }
            let series = try items.map { item -> PromSeries in
                let pts = try (item["values"].arrayValue ?? []).map { p -> PromPoint in
                    let (t, v) = try point(p)
                    return PromPoint(timestamp: t, value: v)
                }
                return PromSeries(labels: labels(item["metric"]), points: pts)
            }
            return PromResponse(result: .matrix(series), warnings: warnings)
        case "scalar":
            let (t, v) = try point(raw)
            return PromResponse(result: .scalar(timestamp: t, value: v), warnings: warnings)
        case "string":
            guard let arr = raw.arrayValue, arr.count == 2, let t = arr[0].doubleValue, let s = arr[1].stringValue else {
                throw PrometheusError.malformed("string result is not [time, \"text\"]")
            }
            return PromResponse(result: .string(timestamp: t, value: s), warnings: warnings)
        default:
            throw PrometheusError.malformed("unknown resultType \"\(type)\"")
        }
    }

    /// `[1700000000.123, "0.97"]`; values are strings so that NaN and ±Inf survive JSON.
    static func point(_ v: JSONValue) throws -> (Double, Double) {
        guard let arr = v.arrayValue, arr.count == 2, let t = arr[0].doubleValue else {
            throw PrometheusError.malformed("sample is not [time, \"value\"]")
        }
        guard let s = arr[1].stringValue, let value = sampleValue(s) else {
            throw PrometheusError.malformed("sample value \(arr[1].serialized()) is not a number")
        }
        return (t, value)
    }

    /// Prometheus spells special values `NaN`, `+Inf`, `-Inf`.
    static func sampleValue(_ s: String) -> Double? {
        switch s {
        case "NaN": return .nan
        case "+Inf", "Inf": return .infinity
        case "-Inf": return -.infinity
        default: return Double(s)
        }
    }

    static func labels(_ v: JSONValue) -> [String: String] {
        var out: [String: String] = [:]
        for (k, val) in v.objectValue ?? [:] { if let s = val.stringValue { out[k] = s } }
        return out
    }

    /// A short printable excerpt of a body: whitespace collapsed, cut at `excerptLimit`.
    static func excerpt(_ body: [UInt8]) -> String {
        let text = String(decoding: body.prefix(excerptLimit * 4), as: UTF8.self)
        let collapsed = text.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
        let printable = String(collapsed.unicodeScalars.map { $0.value < 32 ? "?" : Character($0) })
        if printable.count > excerptLimit { return String(printable.prefix(excerptLimit)) + "…" }
        return printable.isEmpty ? "(empty body)" : printable
    }
}

/// Flagger's rule for a check: exactly one value. Empty and NaN are "no data".
public enum SingleValue: Sendable, Hashable {
    case value(Double)
    case noData(reason: String)

    public static func from(_ result: PromResult) throws -> SingleValue {
        switch result {
        case .scalar(_, let v):
            return v.isNaN ? .noData(reason: "the query returned NaN") : .value(v)
        case .vector(let samples):
            if samples.isEmpty { return .noData(reason: "the query returned no series") }
            if samples.count > 1 { throw PrometheusError.multipleSeries(samples.map(\.labels)) }
            let v = samples[0].value
            return v.isNaN ? .noData(reason: "the query returned NaN") : .value(v)
        case .matrix(let series):
            throw series.isEmpty ? PrometheusError.unexpectedResultType("matrix (empty)") : .unexpectedResultType("matrix")
        case .string:
            throw PrometheusError.unexpectedResultType("string")
        }
    }
}
