import KubeCore

/// `serin.dev/v1alpha1` Canary: Flagger's `flagger.app/v1beta1` Canary shape, so an existing
/// manifest works with only its apiVersion changed.
public struct Canary: Codable, Sendable, Hashable {
    public static let group = "serin.dev"
    public static let version = "v1alpha1"
    public static let apiVersionString = "serin.dev/v1alpha1"
    public static let kindName = "Canary"
    public static let resource = ResourceType(group: group, version: version, plural: "canaries", kind: kindName)

    public var apiVersion: String?
    public var kind: String?
    /// Kept verbatim (labels, annotations, uid, generation …).
    public var metadata: JSONValue?
    public var spec: CanarySpec
    public var status: CanaryStatus?

    public init(apiVersion: String? = Canary.apiVersionString, kind: String? = Canary.kindName,
                metadata: JSONValue? = nil, spec: CanarySpec, status: CanaryStatus? = nil) {
        self.apiVersion = apiVersion
        self.kind = kind
        self.metadata = metadata
        self.spec = spec
        self.status = status
    }

    // `metadata` is the metadata object itself, so read its members directly.
    public var name: String { metadata?["name"].stringValue ?? "" }
    public var namespace: String { metadata?["namespace"].stringValue ?? "" }
    public var generation: Int? { metadata?["generation"].intValue }
    public var annotations: [String: String] {
        (metadata?["annotations"].objectValue ?? [:]).compactMapValues(\.stringValue)
    }
}

public struct CanarySpec: Codable, Sendable, Hashable {
    /// Router: `kubernetes`, `gatewayapi` (or `gatewayapi:v1`), `istio`. Absent: the operator's `--provider`.
    public var provider: String?
    public var targetRef: CrossNamespaceRef
    public var autoscalerRef: CanaryAutoscalerRef?
    public var ingressRef: CrossNamespaceRef?
    /// Prometheus URL for builtin and inline-query metrics; overrides the operator's `--metrics-server`.
    public var metricsServer: String?
    /// Flagger's APISIX route: the ApisixRoute provider apisix copies.
    public var routeRef: CanaryRouteRef?
    /// Flagger's Gloo Upstream: provider gloo copies its spec into the Upstreams it creates.
    public var upstreamRef: CanaryUpstreamRef?
    public var service: CanaryService
    /// Seconds the canary (or primary) may take to become ready; default 600.
    public var progressDeadlineSeconds: Int?
    public var skipAnalysis: Bool?
    public var revertOnDeletion: Bool?
    public var suspend: Bool?
    public var analysis: CanaryAnalysis?

    public init(provider: String? = nil, targetRef: CrossNamespaceRef, autoscalerRef: CanaryAutoscalerRef? = nil,
                ingressRef: CrossNamespaceRef? = nil, service: CanaryService, progressDeadlineSeconds: Int? = nil,
                skipAnalysis: Bool? = nil, revertOnDeletion: Bool? = nil, suspend: Bool? = nil,
                analysis: CanaryAnalysis? = nil, metricsServer: String? = nil) {
        self.metricsServer = metricsServer
        self.provider = provider
        self.targetRef = targetRef
        self.autoscalerRef = autoscalerRef
        self.ingressRef = ingressRef
        self.service = service
        self.progressDeadlineSeconds = progressDeadlineSeconds
        self.skipAnalysis = skipAnalysis
        self.revertOnDeletion = revertOnDeletion
        self.suspend = suspend
        self.analysis = analysis
    }

    public static let defaultProgressDeadlineSeconds = 600
    public var effectiveProgressDeadlineSeconds: Int { progressDeadlineSeconds ?? Self.defaultProgressDeadlineSeconds }
    public var effectiveAnalysis: CanaryAnalysis { analysis ?? CanaryAnalysis() }
}

/// `{apiVersion, kind, name}` reference to the target Deployment or HPA.
public struct CrossNamespaceRef: Codable, Sendable, Hashable {
    public var apiVersion: String?
    public var kind: String?
    public var name: String
    public var namespace: String?

    public init(apiVersion: String? = nil, kind: String? = nil, name: String, namespace: String? = nil) {
        self.apiVersion = apiVersion
        self.kind = kind
        self.name = name
        self.namespace = namespace
    }
}

/// `spec.autoscalerRef`: the HorizontalPodAutoscaler or KEDA ScaledObject copied to
/// `<name>-primary`, with Flagger's `primaryScalerReplicas` bounds for the copy and, for a
/// ScaledObject, `primaryScalerQueries` (the primary's trigger queries by trigger name).
public struct CanaryAutoscalerRef: Codable, Sendable, Hashable {
    public var apiVersion: String?
    public var kind: String?
    public var name: String
    public var namespace: String?
    public var primaryScalerQueries: [String: String]?
    public var primaryScalerReplicas: CanaryPrimaryScalerReplicas?

    public init(apiVersion: String? = nil, kind: String? = nil, name: String, namespace: String? = nil,
                primaryScalerQueries: [String: String]? = nil, primaryScalerReplicas: CanaryPrimaryScalerReplicas? = nil) {
        self.apiVersion = apiVersion
        self.kind = kind
        self.name = name
        self.namespace = namespace
        self.primaryScalerQueries = primaryScalerQueries
        self.primaryScalerReplicas = primaryScalerReplicas
    }

    public static let scaledObjectKind = "ScaledObject"
    public static let kedaAPIVersion = "keda.sh/v1alpha1"

    /// A KEDA ScaledObject rather than an HPA (the default kind).
    public var isScaledObject: Bool { kind == Self.scaledObjectKind }
}

public struct CanaryPrimaryScalerReplicas: Codable, Sendable, Hashable {
    public var minReplicas: Int?
    public var maxReplicas: Int?
    public init(minReplicas: Int? = nil, maxReplicas: Int? = nil) {
        self.minReplicas = minReplicas
        self.maxReplicas = maxReplicas
    }
}

/// Flagger's `spec.routeRef` (an ApisixRoute).
public struct CanaryRouteRef: Codable, Sendable, Hashable {
    public var apiVersion: String
    public var kind: String
    public var name: String
    public init(apiVersion: String, kind: String, name: String) {
        self.apiVersion = apiVersion
        self.kind = kind
        self.name = name
    }
}

/// Flagger's `spec.upstreamRef` (a Gloo Upstream).
public struct CanaryUpstreamRef: Codable, Sendable, Hashable {
    public var apiVersion: String
    public var kind: String
    public var name: String
    public var namespace: String?
    public init(apiVersion: String, kind: String, name: String, namespace: String? = nil) {
        self.apiVersion = apiVersion
        self.kind = kind
        self.name = name
        self.namespace = namespace
    }
}

/// One of Flagger's `service.mirror` entries: a Gateway API request mirror to another backend.
public struct CanaryServiceMirror: Codable, Sendable, Hashable {
    public var backendRef: CanaryBackendRef
    public init(backendRef: CanaryBackendRef) { self.backendRef = backendRef }
}

public struct CanaryBackendRef: Codable, Sendable, Hashable {
    public var group: String?
    public var kind: String?
    public var name: String
    public var namespace: String?
    public var port: Int?
    public init(group: String? = nil, kind: String? = nil, name: String, namespace: String? = nil, port: Int? = nil) {
        self.group = group
        self.kind = kind
        self.name = name
        self.namespace = namespace
        self.port = port
    }
}

/// Flagger's `service.unmanagedMetadata`: label and annotation keys not to overwrite.
public struct CanaryUnmanagedMetadata: Codable, Sendable, Hashable {
    public var annotations: [String]?
    public var labels: [String]?
    public init(annotations: [String]? = nil, labels: [String]? = nil) {
        self.annotations = annotations
        self.labels = labels
    }
}

/// An int or a string (a Service `targetPort` can be a number or a named port).
public enum IntOrString: Codable, Sendable, Hashable, CustomStringConvertible {
    case int(Int)
    case string(String)

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let i = try? c.decode(Int.self) { self = .int(i); return }
        if let s = try? c.decode(String.self) { self = .string(s); return }
        throw DecodingError.typeMismatch(
            IntOrString.self,
            DecodingError.Context(codingPath: decoder.codingPath, debugDescription: "expected an integer or a string"))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .int(let i): try c.encode(i)
        case .string(let s): try c.encode(s)
        }
    }

    public var json: JSONValue {
        switch self {
        case .int(let i): return .int(Int64(i))
        case .string(let s): return .string(s)
        }
    }

    public var description: String {
        switch self {
        case .int(let i): return String(i)
        case .string(let s): return s
        }
    }
}

/// Labels and annotations added to a generated object.
public struct CustomMetadata: Codable, Sendable, Hashable {
    public var labels: [String: String]?
    public var annotations: [String: String]?
    public init(labels: [String: String]? = nil, annotations: [String: String]? = nil) {
        self.labels = labels
        self.annotations = annotations
    }
}

/// A Gateway API `ParentReference` (HTTPRoute `parentRefs[]`).
public struct GatewayRef: Codable, Sendable, Hashable {
    public var group: String?
    public var kind: String?
    public var name: String
    public var namespace: String?
    public var sectionName: String?
    public var port: Int?

    public init(group: String? = nil, kind: String? = nil, name: String, namespace: String? = nil,
                sectionName: String? = nil, port: Int? = nil) {
        self.group = group
        self.kind = kind
        self.name = name
        self.namespace = namespace
        self.sectionName = sectionName
        self.port = port
    }
}

/// `spec.service`: how the apex, primary and canary Services and the routes are generated.
/// Mesh-specific subtrees stay `JSONValue` so nothing the user wrote is lost.
public struct CanaryService: Codable, Sendable, Hashable {
    /// Apex Service name; default the target's name.
    public var name: String?
    public var port: Int
    public var portName: String?
    public var targetPort: IntOrString?
    public var appProtocol: String?
    public var portDiscovery: Bool?
    public var timeout: String?
    /// Istio gateways (`namespace/name` or FQDN).
    public var gateways: [String]?
    /// Gateway API parentRefs.
    public var gatewayRefs: [GatewayRef]?
    public var hosts: [String]?
    /// Istio HTTPMatchRequest[] / Gateway API HTTPRouteMatch[] of the apex route.
    public var match: JSONValue?
    public var rewrite: JSONValue?
    public var retries: JSONValue?
    public var headers: JSONValue?
    public var corsPolicy: JSONValue?
    /// Istio DestinationRule trafficPolicy, applied to the primary and canary rules.
    public var trafficPolicy: JSONValue?
    /// Flagger's Gateway API request mirrors: accepted, not supported yet (validation names a non-empty list).
    public var mirror: [CanaryServiceMirror]?
    public var apex: CustomMetadata?
    public var primary: CustomMetadata?
    public var canary: CustomMetadata?
    // Flagger's mesh- and router-specific service settings: accepted, not supported yet
    // (validation names each one that would change what Flagger does).
    public var backendTimeout: String?
    public var backends: [String]?
    public var delegation: Bool?
    public var headless: Bool?
    public var meshName: String?
    /// Set on the generated apex, primary and canary Services (PreferClose, PreferSameZone, PreferSameNode).
    public var trafficDistribution: String?
    public var unmanagedMetadata: CanaryUnmanagedMetadata?

    public init(name: String? = nil, port: Int, portName: String? = nil, targetPort: IntOrString? = nil,
                appProtocol: String? = nil, portDiscovery: Bool? = nil, timeout: String? = nil,
                gateways: [String]? = nil, gatewayRefs: [GatewayRef]? = nil, hosts: [String]? = nil,
                match: JSONValue? = nil, rewrite: JSONValue? = nil, retries: JSONValue? = nil,
                headers: JSONValue? = nil, corsPolicy: JSONValue? = nil, trafficPolicy: JSONValue? = nil,
                mirror: [CanaryServiceMirror]? = nil, apex: CustomMetadata? = nil, primary: CustomMetadata? = nil,
                canary: CustomMetadata? = nil) {
        self.name = name
        self.port = port
        self.portName = portName
        self.targetPort = targetPort
        self.appProtocol = appProtocol
        self.portDiscovery = portDiscovery
        self.timeout = timeout
        self.gateways = gateways
        self.gatewayRefs = gatewayRefs
        self.hosts = hosts
        self.match = match
        self.rewrite = rewrite
        self.retries = retries
        self.headers = headers
        self.corsPolicy = corsPolicy
        self.trafficPolicy = trafficPolicy
        self.mirror = mirror
        self.apex = apex
        self.primary = primary
        self.canary = canary
    }
}

/// An alert sent through an AlertProvider.
public struct CanaryAlert: Codable, Sendable, Hashable {
    public var name: String
    /// `info`, `warn` or `error`.
    public var severity: String?
    public var providerRef: CrossNamespaceRef

    public init(name: String, severity: String? = nil, providerRef: CrossNamespaceRef) {
        self.name = name
        self.severity = severity
        self.providerRef = providerRef
    }
}

/// `spec.analysis`: the implicit plan.
public struct CanaryAnalysis: Codable, Sendable, Hashable {
    /// Duration string between steps; default 1m.
    public var interval: String?
    /// Failed checks before rollback; default 1.
    public var threshold: Int?
    public var maxWeight: Int?
    public var stepWeight: Int?
    public var stepWeights: [Int]?
    public var stepWeightPromotion: Int?
    /// Blue/green (or A/B with `match`): number of intervals to analyse.
    public var iterations: Int?
    /// A/B: Istio HTTPMatchRequest[] (headers, cookies) that route to the canary.
    public var match: JSONValue?
    public var mirror: Bool?
    public var mirrorWeight: Int?
    /// Percent of replicas that must be ready; default 100.
    public var primaryReadyThreshold: Int?
    public var canaryReadyThreshold: Int?
    public var metrics: [CanaryMetric]?
    public var webhooks: [CanaryWebhook]?
    public var alerts: [CanaryAlert]?
    public var sessionAffinity: JSONValue?
    /// How traffic returns to the primary on a rollback (Serin's; the peers return it at once).
    public var rollback: CanaryRollbackPolicy?

    public init(interval: String? = nil, threshold: Int? = nil, maxWeight: Int? = nil, stepWeight: Int? = nil,
                stepWeights: [Int]? = nil, stepWeightPromotion: Int? = nil, iterations: Int? = nil,
                match: JSONValue? = nil, mirror: Bool? = nil, mirrorWeight: Int? = nil,
                primaryReadyThreshold: Int? = nil, canaryReadyThreshold: Int? = nil,
                metrics: [CanaryMetric]? = nil, webhooks: [CanaryWebhook]? = nil, alerts: [CanaryAlert]? = nil,
                sessionAffinity: JSONValue? = nil, rollback: CanaryRollbackPolicy? = nil) {
        self.rollback = rollback
        self.interval = interval
        self.threshold = threshold
        self.maxWeight = maxWeight
        self.stepWeight = stepWeight
        self.stepWeights = stepWeights
        self.stepWeightPromotion = stepWeightPromotion
        self.iterations = iterations
        self.match = match
        self.mirror = mirror
        self.mirrorWeight = mirrorWeight
        self.primaryReadyThreshold = primaryReadyThreshold
        self.canaryReadyThreshold = canaryReadyThreshold
        self.metrics = metrics
        self.webhooks = webhooks
        self.alerts = alerts
        self.sessionAffinity = sessionAffinity
    }
}

/// `spec.analysis.rollback`: how traffic goes back to the primary when the analysis fails.
public struct CanaryRollbackPolicy: Codable, Sendable, Hashable {
    /// Default true: with an autoscaled primary (autoscalerRef), raise the primary autoscaler's
    /// minimum to the replicas that carried all the traffic and move traffic back only as they
    /// become ready (bounded by progressDeadlineSeconds). False: all traffic returns at once,
    /// as Flagger does.
    public var scalePrimary: Bool?
    /// Return traffic in steps of this many percent, one step per interval (never faster than
    /// the primary's ready replicas allow).
    public var stepWeight: Int?

    public init(scalePrimary: Bool? = nil, stepWeight: Int? = nil) {
        self.scalePrimary = scalePrimary
        self.stepWeight = stepWeight
    }
}

/// How traffic reaches the canary during analysis (derived as Flagger does).
public enum CanaryStrategy: String, Sendable, Hashable {
    /// Progressive weights (stepWeight / stepWeights).
    case canary
    /// `iterations` without `match`: no traffic to the canary until the switch.
    case blueGreen
    /// `iterations` with `match`: matching requests go to the canary.
    case abTesting
}

extension CanaryAnalysis {
    public static let defaultIntervalSeconds = 60.0

    public var intervalSeconds: Double { GoDuration.secondsOrNil(interval) ?? Self.defaultIntervalSeconds }
    public var effectiveThreshold: Int { max(1, threshold ?? 1) }
    public var effectivePrimaryReadyThreshold: Int { primaryReadyThreshold ?? 100 }
    public var effectiveCanaryReadyThreshold: Int { canaryReadyThreshold ?? 100 }
    public var effectiveIterations: Int { iterations ?? 0 }
    public var isMirroring: Bool { mirror ?? false }

    var hasMatch: Bool {
        if let a = match?.arrayValue { return !a.isEmpty }
        return match != nil && match != .null
    }

    public var strategy: CanaryStrategy {
        if effectiveIterations > 0 { return hasMatch ? .abTesting : .blueGreen }
        return .canary
    }

    /// The weight the canary stops at before promotion: the last of stepWeights, else maxWeight, else 100.
    public var effectiveMaxWeight: Int {
        if let s = stepWeights, let last = s.last { return last }
        return maxWeight ?? 100
    }

    /// The canary weights of the plan, in order (`[5, 10, …, 50]` for stepWeight 5 / maxWeight 50).
    public var weightPlan: [Int] {
        if let s = stepWeights, !s.isEmpty { return s }
        let step = stepWeight ?? 0
        guard step > 0 else { return [] }
        let top = effectiveMaxWeight
        var out: [Int] = []
        var w = 0
        while w < top {
            w = min(top, w + step)
            out.append(w)
        }
        return out
    }

    /// The next planned weight after `current`, or nil at the top of the plan.
    public func nextWeight(after current: Int) -> Int? { weightPlan.first { $0 > current } }

    public func webhooks(of type: WebhookType) -> [CanaryWebhook] {
        (webhooks ?? []).filter { $0.effectiveType == type }
    }
}

extension CanarySpec {
    /// The apex Service name: `service.name`, else the target's name.
    public var apexServiceName: String { service.name ?? targetRef.name }
    public var primaryServiceName: String { "\(apexServiceName)-primary" }
    public var canaryServiceName: String { "\(apexServiceName)-canary" }
    public var primaryDeploymentName: String { "\(targetRef.name)-primary" }
}
