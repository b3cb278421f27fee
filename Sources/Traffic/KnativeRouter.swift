import KubeCore
import SerinAPI

/// Knative Serving (Flagger's `provider: knative`, target a serving.knative.dev/v1 Service).
/// There is no primary copy and no Service of Serin's: the Knative Service's own `spec.traffic`
/// splits requests between its latest revision (the canary: `latestRevision: true`) and the
/// revision last promoted (the primary: `revisionName`), which is recorded in an annotation
/// when the Canary initializes and when it promotes. Knative reports the split it applied in
/// `status.traffic`; that is what is read back. Flagger's pkg/router/knative.go and
/// pkg/canary/knative_controller.go.
///
/// Not in `TrafficRouters.all` yet: the Canary controller delivers Deployments only, so the
/// provider is refused by validation until it can deliver a Knative Service's revisions.
public struct KnativeRouter: TrafficRouter {
    public init() {}

    /// Where Serin records the primary revision.
    public static let primaryRevisionAnnotation = "serin.dev/primary-revision"
    /// Flagger's annotation, read when Serin's is absent (a Service Flagger delivered before).
    public static let flaggerPrimaryRevisionAnnotation = "flagger.app/primary-revision"

    /// The primary revision recorded on `service`; nil when none is.
    public static func primaryRevision(_ service: JSONValue) -> String? {
        let annotations = service["metadata"]["annotations"]
        for key in [primaryRevisionAnnotation, flaggerPrimaryRevisionAnnotation] {
            if let name = annotations[key].stringValue, !name.isEmpty { return name }
        }
        return nil
    }

    /// The revision Knative created last (the canary once a release is made).
    public static func latestCreatedRevision(_ service: JSONValue) -> String? {
        service[path: ["status", "latestCreatedRevisionName"]].stringValue.flatMap { $0.isEmpty ? nil : $0 }
    }

    /// `service` with its latest created revision recorded as the primary (initialization and
    /// promotion); nil while Knative has created no revision.
    public static func recordingPrimary(_ service: JSONValue) -> JSONValue? {
        guard let latest = latestCreatedRevision(service) else { return nil }
        var out = service
        out[path: ["metadata", "annotations", primaryRevisionAnnotation]] = .string(latest)
        return out
    }

    /// `service` with `spec.traffic` set to the canary (latest revision) and the primary
    /// revision at `weights`; every other field kept. Nil when no primary revision is recorded.
    public static func routed(_ service: JSONValue, weights: RouteWeights) -> JSONValue? {
        guard let primary = primaryRevision(service) else { return nil }
        var out = service
        out[path: ["spec", "traffic"]] = [
            ["latestRevision": true, "percent": .int(Int64(weights.canary))],
            ["revisionName": .string(primary), "percent": .int(Int64(weights.primary))],
        ]
        return out
    }

    /// The split Knative applied (`status.traffic`): the latest revision's percent is the
    /// canary's, the primary revision's (named, not the latest) the primary's. Nil when either is
    /// missing (Knative has not applied the split yet, or the Service is not routed by Serin).
    public static func appliedWeights(_ service: JSONValue) -> RouteWeights? {
        guard let primary = primaryRevision(service) else { return nil }
        var canary: Int?, primaryPercent: Int?
        for target in service[path: ["status", "traffic"]].arrayValue ?? [] {
            let percent = target["percent"].intValue.map { Int($0) } ?? 0
            if target["latestRevision"].boolValue == true {
                canary = (canary ?? 0) + percent
            } else if target["revisionName"].stringValue == primary {
                primaryPercent = (primaryPercent ?? 0) + percent
            }
        }
        guard let canary, let primaryPercent else { return nil }
        return RouteWeights(primary: primaryPercent, canary: canary)
    }

    /// The key of the target Service in `existing` (its kind is Service, as a core Service's is).
    static func key(_ names: CanaryNames) -> String { "Service/\(names.target)" }
}

// MARK: - Canaries (Flagger)

extension KnativeRouter {
    public var families: [String] { ["knative"] }
    public var splitsTraffic: Bool { true }
    public var supportsMirroring: Bool { false }
    public var supportsMatch: Bool { false }
    public var writes: [ResourceType] { [.knativeServices] }
    public var watches: [ResourceType] { [] }
    /// Knative routes to its revisions itself: Serin writes no Services.
    public var serviceRoles: [ServiceBuilder.Role] { [] }

    /// The user's Knative Service, read and written back with its traffic set.
    public func sourceObjects(spec: CanarySpec, names: CanaryNames) -> [RouterObjectRef] {
        [RouterObjectRef(.knativeServices, names.target)]
    }

    public func routingProblem(spec: CanarySpec, names: CanaryNames, existing: [String: JSONValue]) -> String? {
        guard let service = existing[Self.key(names)] else {
            return "the Knative Service \(names.target) does not exist; create it (serving.knative.dev/v1, kind: Service) or fix spec.targetRef.name"
        }
        if Self.primaryRevision(service) == nil {
            return "the Knative Service \(names.target) has no primary revision recorded (annotation \(Self.primaryRevisionAnnotation)); it is recorded once Knative reports status.latestCreatedRevisionName"
        }
        return nil
    }

    public func routingObjects(spec: CanarySpec, names: CanaryNames, selector: SelectorLabel, weights: RouteWeights,
                               existing: [String: JSONValue], ownerReference: JSONValue?) -> [JSONValue] {
        // The Service is the user's: no owner reference, nothing created when it is absent.
        guard let service = existing[Self.key(names)], let routed = Self.routed(service, weights: weights) else { return [] }
        return [routed]
    }

    public func weightObject(names: CanaryNames) -> RouterObjectRef { RouterObjectRef(.knativeServices, names.target) }

    public func readWeights(names: CanaryNames, selector: SelectorLabel, object: JSONValue?) -> RouteWeights? {
        guard let object, !object.isNull else { return nil }
        return Self.appliedWeights(object)
    }

    /// The Service is the user's workload: never deleted with the Canary.
    public func cleanupObjects(names: CanaryNames) -> [RouterObjectRef] { [] }
}

// MARK: - Rollouts (Argo has no Knative router)

extension KnativeRouter {
    public func rolloutObjects(_ routing: RolloutTrafficRouting, namespace: String) -> [RolloutRouteObject] { [] }

    public func rolloutRoute(_ existing: JSONValue, object: RolloutRouteObject, names: CanaryNames,
                             traffic: RolloutRouteSettings) throws(RolloutRoutingError) -> JSONValue {
        existing
    }
}
