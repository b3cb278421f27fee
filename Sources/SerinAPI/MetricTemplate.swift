import KubeCore

/// Flagger's `MetricTemplate`: a metric provider plus a query template, referenced from a
/// Canary metric's `templateRef`. Variables in the query: `{{ name }}`, `{{ namespace }}`,
/// `{{ target }}`, `{{ service }}`, `{{ interval }}`, `{{ variables.X }}`.
public struct MetricTemplate: Codable, Sendable, Hashable {
    public var apiVersion: String
    public var kind: String
    /// Carried verbatim so that no field is lost.
    public var metadata: JSONValue
    public var spec: MetricTemplateSpec

    public init(name: String, namespace: String? = nil, spec: MetricTemplateSpec) {
        apiVersion = "serin.dev/v1alpha1"
        kind = "MetricTemplate"
        var meta: JSONValue = ["name": .string(name)]
        if let namespace { meta["namespace"] = .string(namespace) }
        metadata = meta
        self.spec = spec
    }

    public static let resourceType = ResourceType(
        group: "serin.dev", version: "v1alpha1", plural: "metrictemplates", kind: "MetricTemplate", namespaced: true)
}

public struct MetricTemplateSpec: Codable, Sendable, Hashable {
    public var provider: MetricTemplateProvider
    public var query: String

    public init(provider: MetricTemplateProvider, query: String) {
        self.provider = provider
        self.query = query
    }
}

public struct MetricTemplateProvider: Codable, Sendable, Hashable {
    /// `prometheus` (the only type Serin runs today); Flagger's other types are accepted by the CRD
    /// and refused when a Canary metric uses the template.
    public var type: String
    /// Base URL; when absent the operator's `--metrics-server` applies.
    public var address: String?
    /// A Secret in the template's namespace with `token`, or `username` and `password`,
    /// and optionally `ca.crt` (keys as Flagger reads them).
    public var secretRef: MetricProviderSecretRef?
    /// Extra HTTP headers sent with each query, Flagger's `http.Header` shape (a list of values per name).
    public var headers: [String: [String]]?
    public var insecureSkipVerify: Bool?
    /// Flagger's region of CloudWatch and Stackdriver; Prometheus ignores it (as in Flagger).
    public var region: String?

    public init(type: String = "prometheus", address: String? = nil, secretRef: MetricProviderSecretRef? = nil,
                headers: [String: [String]]? = nil, insecureSkipVerify: Bool? = nil, region: String? = nil) {
        self.region = region
        self.type = type
        self.address = address
        self.secretRef = secretRef
        self.headers = headers
        self.insecureSkipVerify = insecureSkipVerify
    }

    enum CodingKeys: String, CodingKey {
        case type, address, secretRef, headers, insecureSkipVerify, region
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        type = try c.decode(String.self, forKey: .type)
        address = try c.decodeIfPresent(String.self, forKey: .address)
        secretRef = try c.decodeIfPresent(MetricProviderSecretRef.self, forKey: .secretRef)
        // Objects stored before the CRD took Flagger's list shape have one string per header.
        if let lists = try? c.decodeIfPresent([String: [String]].self, forKey: .headers) {
            headers = lists
        } else {
            headers = try c.decodeIfPresent([String: String].self, forKey: .headers)?.mapValues { [$0] }
        }
        insecureSkipVerify = try c.decodeIfPresent(Bool.self, forKey: .insecureSkipVerify)
        region = try c.decodeIfPresent(String.self, forKey: .region)
    }
}

public struct MetricProviderSecretRef: Codable, Sendable, Hashable {
    public var name: String
    public init(name: String) { self.name = name }
}

extension MetricTemplateProvider {
    /// The headers as sent: several values of one header joined by ", " (RFC 9110 list syntax).
    public var headerFields: [String: String] {
        (headers ?? [:]).mapValues { $0.joined(separator: ", ") }
    }
}
