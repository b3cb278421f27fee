import Foundation
import KubeCore
import SerinAPI

/// The Kubernetes external metrics API (`external.metrics.k8s.io/v1beta1`), as Flagger's
/// `type: externalmetrics` MetricTemplates use it. The query is
/// `<namespace>/<metricName>?labelSelector=<url-encoded selector>` (namespace default
/// `default`); the value is the first item's `value` (a quantity such as `250m`); no item is
/// no data.
///
/// Without `provider.address` the metric is read through the operator's own Kubernetes API
/// connection (the aggregated API the metrics adapter registers). With an address (a metrics
/// adapter's Service), `GET <address>/apis/external.metrics.k8s.io/v1beta1/namespaces/<ns>/<metric>`
/// is sent with the Secret's `token` as a bearer token and `insecureSkipVerify` from the
/// template; a custom CA for that address is not supported (Serin trusts the system roots).
public struct ExternalMetricsProvider: MetricProvider {
    public static var names: [String] { ["externalmetrics"] }
    public static var unsetAddress: UnsetAddress { .kubernetesAPI }

    public static func queryProblem(_ query: String) -> String? {
        do { _ = try Query(query) } catch { return "\(error)" }
        return nil
    }

    let http: MetricHTTPClient
    let kube: (any KubeAPI)?

    public init(clients: MetricClients) {
        http = clients.http
        kube = clients.kube
    }

    struct Query: Equatable {
        var namespace: String
        var metric: String
        var labelSelector: String?

        static let shape = "<namespace>/<metricName>?labelSelector=<url-encoded selector>"

        init(namespace: String, metric: String, labelSelector: String?) {
            self.namespace = namespace
            self.metric = metric
            self.labelSelector = labelSelector
        }

        init(_ text: String) throws {
            let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
            guard let c = URLComponents(string: "dummy:///" + trimmed) else {
                throw MetricSpecError("externalmetrics query \"\(text)\" is not \(Self.shape)")
            }
            let parts = c.path.drop { $0 == "/" }.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
            guard parts.count <= 2 else { throw MetricSpecError("externalmetrics query \"\(text)\" has too many slashes: write \(Self.shape)") }
            namespace = parts.count == 2 && !parts[0].isEmpty ? parts[0] : "default"
            metric = parts.last ?? ""
            guard !metric.isEmpty else { throw MetricSpecError("externalmetrics query \"\(text)\" names no metric: write \(Self.shape)") }
            labelSelector = c.queryItems?.first { $0.name == "labelSelector" }?.value.flatMap { $0.isEmpty ? nil : $0 }
        }
    }

    static func resource(_ metric: String) -> ResourceType {
        ResourceType(group: "external.metrics.k8s.io", version: "v1beta1", plural: metric, kind: "ExternalMetricValue")
    }

    public func query(_ query: String, endpoint: MetricEndpoint) async throws -> MetricAnswer {
        let q = try Query(query)
        let creds = endpoint.credentials
        let items: [JSONValue]
        if endpoint.address.isEmpty {
            guard let kube else { throw MetricSpecError("the externalmetrics provider needs the Kubernetes API (or the template's provider.address)") }
            do {
                items = try await kube.list(Self.resource(q.metric), namespace: q.namespace,
                                            options: ListOptions(labelSelector: q.labelSelector)).items
            } catch let e as KubeAPIError where e.isNotFound {
                throw MetricSpecError("external metric \(q.namespace)/\(q.metric) not found: is a metrics adapter serving external.metrics.k8s.io/v1beta1 with that metric?")
            }
        } else {
            do {
                let response = try await http.sendExpectingSuccess(try Self.request(q, endpoint: endpoint), service: "the external metrics API")
                let json = try JSONValue(parsing: response.body)
                guard let list = json["items"].arrayValue ?? (json["items"] == .null ? [] : nil) else {
                    throw MetricSpecError("the external metrics API's answer has no items: \(DatadogProvider.excerpt(json))")
                }
                items = list
            } catch let e as MetricHTTPError {
                throw MetricSpecError(creds.redact(Self.explain(e)))
            } catch let e as MetricSpecError {
                throw MetricSpecError(creds.redact(e.message))
            } catch {
                throw MetricSpecError(creds.redact("the external metrics API's answer is not JSON: \(error)"))
            }
        }
        guard let first = items.first else { return MetricAnswer(number: nil) }
        guard let text = first["value"].stringValue ?? first["value"].doubleValue.map({ PromFormat.number($0) }),
              let value = Quantity.value(text) else {
            throw MetricSpecError("the value \(first["value"].serialized()) of external metric \(q.metric) is not a quantity")
        }
        return MetricAnswer(number: value)
    }

    static func request(_ q: Query, endpoint: MetricEndpoint) throws -> MetricHTTPRequest {
        var c = try DatadogProvider.url(endpoint.address, resource(q.metric).collectionPath(namespace: q.namespace))
        if let s = q.labelSelector { c.percentEncodedQuery = PrometheusClient.formEncode([("labelSelector", s)]) }
        var headers = [("Accept", "application/json")]
        if let t = endpoint.credentials.bearerToken { headers.append(("Authorization", "Bearer \(t)")) }
        return MetricHTTPRequest(url: c.string ?? "", headers: headers, timeout: endpoint.timeout,
                                 insecureSkipVerify: endpoint.credentials.insecureSkipVerify)
    }

    /// A Kubernetes Status answer's `message` is what a user needs.
    static func explain(_ e: MetricHTTPError) -> String {
        guard case let .status(service, code, excerpt) = e, let json = try? JSONValue(parsing: Array(excerpt.utf8)),
              json["kind"] == "Status", let m = json["message"].stringValue else { return e.vendorDescription }
        return "\(service) answered HTTP \(code): \(m)"
    }
}

/// A Kubernetes quantity (`250m`, `1.5k`, `2Gi`, `1e3`) as a number.
enum Quantity {
    /// Powers of ten; negative ones divide so that `250m` is exactly 0.25.
    static let decimal: [String: Int] = ["n": -9, "u": -6, "m": -3, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18]
    static let binary: [String: Double] = ["Ki": 1024, "Mi": 1_048_576, "Gi": 1_073_741_824, "Ti": 1_099_511_627_776,
                                           "Pi": 1_125_899_906_842_624, "Ei": 1_152_921_504_606_846_976]

    static func value(_ text: String) -> Double? {
        let s = text.trimmingCharacters(in: .whitespaces)
        guard !s.isEmpty else { return nil }
        if let d = Double(s), s.allSatisfy({ "+-.0123456789eE".contains($0) }) { return d }
        for (suffix, factor) in binary where s.hasSuffix(suffix) {
            return Double(s.dropLast(suffix.count)).map { $0 * factor }
        }
        if let last = s.last, let exponent = decimal[String(last)], let d = Double(s.dropLast()) {
            let scale = pow(10, Double(abs(exponent)))
            return exponent < 0 ? d / scale : d * scale
        }
        return nil
    }
}
