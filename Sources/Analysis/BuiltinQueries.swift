import Foundation

/// Where the request metrics of a canary come from.
public enum MeshProvider: String, Sendable, Hashable, CaseIterable, Codable {
    case istio, linkerd, nginx, gatewayapi, envoy, kubernetes, osm

    /// Accepts Flagger's provider spellings (`gatewayapi:v1`, `gatewayapi:v1beta1`).
    public init?(flaggerName: String) {
        let base = flaggerName.split(separator: ":").first.map(String.init) ?? flaggerName
        self.init(rawValue: base.lowercased())
    }
}

/// The names the builtin queries use for one provider. Real applications differ (`status`
/// vs `status_code`, `service` vs `app`), so the operator fills these from a flag, e.g.
/// `--builtin-metric-labels=kubernetes:status=status_code,service=app`.
public struct BuiltinQueryOptions: Sendable, Hashable {
    /// Label with the HTTP status code.
    public var statusLabel: String
    /// Label selecting the workload; its value is the canary's target (or `<target>-primary`).
    public var workloadLabel: String
    /// Label with the namespace; nil when the series carry none.
    public var namespaceLabel: String?
    /// Counter of requests.
    public var requestsMetric: String
    /// Histogram name without `_bucket`.
    public var durationMetric: String
    /// Multiplier from the histogram's unit to milliseconds (1000 for seconds, 1 for ms).
    public var durationToMillis: Double
    /// Extra fixed matchers, e.g. `reporter="destination"`.
    public var extraMatchers: [String]
    /// Whether the workload label is matched as a regular expression pattern around the target.
    public var workloadPattern: String

    public init(statusLabel: String, workloadLabel: String, namespaceLabel: String?, requestsMetric: String,
                durationMetric: String, durationToMillis: Double, extraMatchers: [String] = [],
                workloadPattern: String = "{{ target }}") {
        self.statusLabel = statusLabel
        self.workloadLabel = workloadLabel
        self.namespaceLabel = namespaceLabel
        self.requestsMetric = requestsMetric
        self.durationMetric = durationMetric
        self.durationToMillis = durationToMillis
        self.extraMatchers = extraMatchers
        self.workloadPattern = workloadPattern
    }

    public static func defaults(for provider: MeshProvider) -> BuiltinQueryOptions {
        switch provider {
        case .istio:
            return BuiltinQueryOptions(
                statusLabel: "response_code", workloadLabel: "destination_workload",
                namespaceLabel: "destination_workload_namespace", requestsMetric: "istio_requests_total",
                durationMetric: "istio_request_duration_milliseconds", durationToMillis: 1,
                extraMatchers: ["reporter=\"destination\""])
        case .linkerd:
            return BuiltinQueryOptions(
                statusLabel: "status_code", workloadLabel: "deployment", namespaceLabel: "namespace",
                requestsMetric: "response_total", durationMetric: "response_latency_ms", durationToMillis: 1,
                extraMatchers: ["direction=\"inbound\""])
        case .nginx:
            return BuiltinQueryOptions(
                statusLabel: "status", workloadLabel: "ingress", namespaceLabel: "namespace",
                requestsMetric: "nginx_ingress_controller_requests",
                durationMetric: "nginx_ingress_controller_request_duration_seconds", durationToMillis: 1000,
                extraMatchers: ["canary!=\"\""])
        case .gatewayapi, .envoy:
            return BuiltinQueryOptions(
                statusLabel: "envoy_response_code", workloadLabel: "envoy_cluster_name", namespaceLabel: nil,
                requestsMetric: "envoy_cluster_upstream_rq", durationMetric: "envoy_cluster_upstream_rq_time",
                durationToMillis: 1, workloadPattern: ".*{{ namespace }}.{{ target }}.*")
        case .osm:
            // Flagger's OSM observer: OSM's Envoy sidecars report osm_request_* by destination.
            return BuiltinQueryOptions(
                statusLabel: "response_code", workloadLabel: "destination_name", namespaceLabel: "destination_namespace",
                requestsMetric: "osm_request_total", durationMetric: "osm_request_duration_ms", durationToMillis: 1,
                extraMatchers: ["destination_kind=\"Deployment\""])
        case .kubernetes:
            return BuiltinQueryOptions(
                statusLabel: "status", workloadLabel: "service", namespaceLabel: nil,
                requestsMetric: "http_requests_total", durationMetric: "http_request_duration_seconds",
                durationToMillis: 1000)
        }
    }

    public struct FlagError: Error, Sendable, Hashable, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    /// Parses `provider:key=value,key=value;provider:…` where key is one of `status`,
    /// `service` (or `workload`), `namespace` (empty to drop), `requests`, `duration`.
    public static func parseFlag(_ text: String) throws(FlagError) -> [MeshProvider: BuiltinQueryOptions] {
        var out: [MeshProvider: BuiltinQueryOptions] = [:]
        for entry in text.split(separator: ";") where !entry.trimmingCharacters(in: .whitespaces).isEmpty {
            let parts = entry.split(separator: ":", maxSplits: 1)
            let name = parts[0].trimmingCharacters(in: .whitespaces)
            guard let provider = MeshProvider(rawValue: name) else {
                throw FlagError(message: "unknown provider \"\(name)\" (one of \(MeshProvider.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            var opts = out[provider] ?? defaults(for: provider)
            for pair in parts.count > 1 ? parts[1].split(separator: ",") : [] {
                let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                guard kv.count == 2 else { throw FlagError(message: "expected key=value, got \"\(pair)\"") }
                let key = kv[0].trimmingCharacters(in: .whitespaces), value = kv[1].trimmingCharacters(in: .whitespaces)
                guard value.isEmpty || value.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == ":" }) else {
                    throw FlagError(message: "\"\(value)\" is not a valid Prometheus name")
                }
                switch key {
                case "status": opts.statusLabel = value
                case "service", "workload": opts.workloadLabel = value
                case "namespace": opts.namespaceLabel = value.isEmpty ? nil : value
                case "requests": opts.requestsMetric = value
                case "duration": opts.durationMetric = value
                default: throw FlagError(message: "unknown key \"\(key)\" (status, service, namespace, requests, duration)")
                }
            }
            out[provider] = opts
        }
        return out
    }
}

/// The builtin checks every provider offers.
public enum BuiltinMetric: String, Sendable, Hashable, CaseIterable {
    case requestSuccessRate = "request-success-rate"
    case requestDuration = "request-duration"
    case errorRate = "error-rate"

    /// Whether a lower value is the worse one (for the comparison judge).
    public var lowerIsWorse: Bool { self == .requestSuccessRate }

    /// A query template (with `{{ namespace }}`, `{{ target }}`, `{{ interval }}` left for
    /// rendering). Ratios put `or on() vector(0)` on the numerator so that a service with no
    /// errors gives 0, not "no data"; a service with no traffic still gives no data.
    public func queryTemplate(options o: BuiltinQueryOptions, percentile: Double = 0.99) -> String {
        var matchers = o.extraMatchers
        if let ns = o.namespaceLabel { matchers.append("\(ns)=\"{{ namespace }}\"") }
        let exact = o.workloadPattern == "{{ target }}"
        matchers.append("\(o.workloadLabel)\(exact ? "=" : "=~")\"\(o.workloadPattern)\"")
        let all = matchers.joined(separator: ",")
        let requests = "\(o.requestsMetric){\(all)}"
        let ok = "\(o.requestsMetric){\(all),\(o.statusLabel)!~\"5..\"}"
        let bad = "\(o.requestsMetric){\(all),\(o.statusLabel)=~\"5..\"}"
        switch self {
        case .requestSuccessRate:
            return "(sum(rate(\(ok)[{{ interval }}])) or on() vector(0))\n/\nsum(rate(\(requests)[{{ interval }}]))\n* 100"
        case .errorRate:
            return "(sum(rate(\(bad)[{{ interval }}])) or on() vector(0))\n/\nsum(rate(\(requests)[{{ interval }}]))\n* 100"
        case .requestDuration:
            let q = PromFormat.number(percentile)
            let scale = o.durationToMillis == 1 ? "" : "\n* \(PromFormat.number(o.durationToMillis))"
            return "histogram_quantile(\(q),\n  sum(rate(\(o.durationMetric)_bucket{\(all)}[{{ interval }}])) by (le)\n)\(scale)"
        }
    }
}
