import KubeCore
import SerinAPI

/// The routing the decision core wants (and what a router reads back).
public struct RouteWeights: Codable, Sendable, Hashable, CustomStringConvertible {
    public var primary: Int
    public var canary: Int
    /// Percentage of primary traffic mirrored to the canary; nil when not mirroring.
    public var mirror: Int?
    /// A/B: requests matching `analysis.match` go to the canary; the rest to the primary.
    public var abMatch: Bool

    public init(primary: Int, canary: Int, mirror: Int? = nil, abMatch: Bool = false) {
        self.primary = primary
        self.canary = canary
        self.mirror = mirror
        self.abMatch = abMatch
    }

    /// All traffic to the primary, nothing mirrored or matched.
    public static let primaryOnly = RouteWeights(primary: 100, canary: 0)

    public var description: String {
        var s = "primary \(primary)% / canary \(canary)%"
        if let m = mirror { s += ", mirror \(m)%" }
        if abMatch { s += ", A/B match" }
        return s
    }
}

/// Names of the objects Serin generates for a Canary.
public struct CanaryNames: Sendable, Hashable {
    public var canaryName: String
    public var namespace: String
    /// Target Deployment and its `-primary` copy.
    public var target: String
    public var primary: String
    /// Services: apex `<svc>`, `<svc>-primary`, `<svc>-canary`.
    public var apexService: String
    public var primaryService: String
    public var canaryService: String

    public init(canaryName: String, namespace: String, spec: CanarySpec) {
        self.canaryName = canaryName
        self.namespace = namespace
        target = spec.targetRef.name
        primary = spec.primaryDeploymentName
        apexService = spec.apexServiceName
        primaryService = spec.primaryServiceName
        canaryService = spec.canaryServiceName
    }
}
