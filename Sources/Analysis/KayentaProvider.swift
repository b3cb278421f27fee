import Foundation
import KubeCore
import SerinAPI

/// Kayenta, the canary judge, Argo's `provider.kayenta`. A measurement finds the canary
/// config's id by name (`GET /canaryConfig?application=…`), starts a judgement
/// (`POST /canary/<id>?application=…&metricsAccountName=…&configurationAccountName=…&storageAccountName=…`
/// with the scopes and thresholds) and stays Running with its `canaryExecutionId`; each look
/// after that polls `GET /canary/<executionId>` until `complete`, then the score decides:
/// at least `pass` Successful, at least `marginal` Inconclusive, below Failed.
public struct KayentaProvider: MetricProvider {
    public static var names: [String] { ["kayenta"] }
    public static var analysisKey: String? { "kayenta" }
    public static var answersQueries: Bool { false }
    /// Argo's HTTP timeout.
    static let timeout = 15.0

    let http: MetricHTTPClient

    public init(clients: MetricClients) { http = clients.http }

    public func query(_ query: String, endpoint: MetricEndpoint) async throws -> MetricAnswer {
        throw MetricSpecError("the kayenta provider measures AnalysisRun metrics only (provider.kayenta with address, application and canaryConfigName)")
    }

    public static func problems(analysis settings: JSONValue) -> [String] { KayentaMetricSettings.problems(in: settings) }

    public func measure(analysis settings: JSONValue, context: AnalysisProviderContext) async throws -> ProviderMeasurement {
        let s = try KayentaMetricSettings.checked(settings, key: "kayenta")
        let base = try Self.base(s.address ?? "")
        // Argo looks the config up in the storage account (its configurationAccountName parameter).
        let lookup = base + "/canaryConfig?" + PrometheusClient.formEncode([
            ("application", s.application ?? ""), ("configurationAccountName", s.storageAccountName ?? ""),
        ])
        let configs = try Self.json(try await http.sendExpectingSuccess(
            MetricHTTPRequest(url: lookup, headers: [("Accept", "application/json")], timeout: Self.timeout), service: "Kayenta").body)
        guard let id = (configs.arrayValue ?? []).first(where: { $0["name"].stringValue == s.canaryConfigName })?["id"].stringValue else {
            throw MetricSpecError("Kayenta has no canary config named \(s.canaryConfigName ?? "") for application \(s.application ?? "")")
        }
        let start = base + "/canary/\(id)?" + PrometheusClient.formEncode([
            ("application", s.application ?? ""), ("metricsAccountName", s.metricsAccountName ?? ""),
            ("configurationAccountName", s.configurationAccountName ?? ""), ("storageAccountName", s.storageAccountName ?? ""),
        ])
        let answer = try Self.json(try await http.sendExpectingSuccess(
            MetricHTTPRequest(method: "POST", url: start, headers: [("Content-Type", "application/json"), ("Accept", "application/json")],
                              body: Self.executionRequest(settings).serializedBytes(), timeout: Self.timeout),
            service: "Kayenta").body)
        guard let execution = answer["canaryExecutionId"].stringValue, !execution.isEmpty else {
            throw MetricSpecError("Kayenta's answer has no canaryExecutionId: \(String(answer.serialized().prefix(200)))")
        }
        return .running(metadata: ["canaryExecutionId": execution])
    }

    public func resume(analysis settings: JSONValue, measurement: AnalysisMeasurement,
                       context: AnalysisProviderContext) async throws -> ProviderMeasurement {
        let s = try KayentaMetricSettings.checked(settings, key: "kayenta")
        let metadata = measurement.metadata ?? [:]
        guard let execution = metadata["canaryExecutionId"], !execution.isEmpty else {
            throw MetricSpecError("the running Kayenta measurement has no canaryExecutionId")
        }
        let url = try Self.base(s.address ?? "") + "/canary/" + execution
        let body = try await http.sendExpectingSuccess(
            MetricHTTPRequest(url: url, headers: [("Accept", "application/json")], timeout: Self.timeout), service: "Kayenta").body
        return try Self.judged(Self.json(body), pass: s.limits?.pass ?? 0, marginal: s.limits?.marginal ?? 0,
                               metadata: metadata)
    }

    /// `{"complete": true, "result": {"judgeResult": {"score": {"score": 95.0}}}}` by the thresholds.
    static func judged(_ json: JSONValue, pass: Int, marginal: Int, metadata: [String: String]) throws -> ProviderMeasurement {
        guard let complete = json["complete"].boolValue else { throw MetricSpecError("Kayenta's answer has no complete status") }
        if !complete { return .running(metadata: metadata) }
        guard let raw = json[path: ["result", "judgeResult", "score", "score"]].doubleValue else {
            throw MetricSpecError("Kayenta's completed judgement has no score (result.judgeResult.score.score)")
        }
        let score = Int(raw)
        var md = metadata
        md["score"] = "\(score)"
        let phase: AnalysisPhase = score >= pass ? .successful : score >= marginal ? .inconclusive : .failed
        return .finished(phase, message: "Kayenta score \(score) (pass \(pass), marginal \(marginal))", metadata: md)
    }

    /// `{"scopes": {<name>: {"controlScope": …, "experimentScope": …}}, "thresholds": {…}}`.
    static func executionRequest(_ settings: JSONValue) -> JSONValue {
        var scopes: [String: JSONValue] = [:]
        for s in settings["scopes"].arrayValue ?? [] {
            scopes[s["name"].stringValue ?? "default"] = ["controlScope": s["controlScope"], "experimentScope": s["experimentScope"]]
        }
        let limits = settings["threshold"] == .null ? settings["thresholds"] : settings["threshold"]
        return ["scopes": .object(scopes), "thresholds": ["pass": limits["pass"], "marginal": limits["marginal"]]]
    }

    static func base(_ address: String) throws -> String {
        let b = address.hasSuffix("/") ? String(address.dropLast()) : address
        guard URLComponents(string: b)?.host?.isEmpty == false else { throw MetricHTTPError.invalidURL(address) }
        return b
    }

    static func json(_ body: [UInt8]) throws -> JSONValue {
        do { return try JSONValue(parsing: body) } catch {
            throw MetricSpecError("Kayenta's answer is not JSON: \(String(decoding: body.prefix(200), as: UTF8.self))")
        }
    }
}

/// `provider.kayenta` as Argo writes it.
struct KayentaMetricSettings: ProviderSettings, Sendable {
    var address: String?
    var application: String?
    var canaryConfigName: String?
    var metricsAccountName: String?
    var configurationAccountName: String?
    var storageAccountName: String?
    /// Argo's field is `threshold`; its documentation writes `thresholds`: either is read.
    var threshold: Thresholds?
    var thresholds: Thresholds?
    var scopes: [Scope]?

    var limits: Thresholds? { threshold ?? thresholds }

    struct Thresholds: Decodable, Sendable {
        var pass: Int?
        var marginal: Int?
    }

    struct Scope: Decodable, Sendable {
        var name: String?
    }

    var problems: [String] {
        var out: [String] = []
        for (field, value) in [("address", address), ("application", application), ("canaryConfigName", canaryConfigName)]
        where (value ?? "").isEmpty {
            out.append("\(field): is required")
        }
        if let a = address, !a.isEmpty, !a.contains("{{"), !(a.hasPrefix("http://") || a.hasPrefix("https://")) {
            out.append("address: \"\(a)\" is not an http(s) URL; write the Kayenta address such as https://kayenta.example.com")
        }
        if limits?.pass == nil || limits?.marginal == nil {
            out.append("threshold: pass and marginal are required (scores, e.g. pass: 90, marginal: 75)")
        }
        if (scopes ?? []).isEmpty { out.append("scopes: at least one scope (controlScope and experimentScope) is required") }
        return out
    }
}
