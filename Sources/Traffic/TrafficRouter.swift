import KubeCore
import SerinAPI

/// A traffic router: how Serin sends requests to the primary and the canary through one
/// provider's objects. Everything here is pure: the controllers read and write the objects it
/// names; a router only builds them and reads them back.
///
/// A new router is one file with a type conforming to this protocol, its entry in
/// `TrafficRouters.all`, and its tests (see docs/plugins.md).
public protocol TrafficRouter: Sendable {
    /// The provider families this router serves (`spec.provider` up to its `:version`).
    var families: [String] { get }

    /// Whether the router can send a percentage of requests to the canary.
    var splitsTraffic: Bool { get }
    var supportsMirroring: Bool { get }
    /// Whether requests can be routed by header/URI match (A/B).
    var supportsMatch: Bool { get }

    /// The resource types of the objects `routingObjects` returns (looked up by kind).
    var writes: [ResourceType] { get }
    /// The resource types whose changes must reconcile the Canary (owned-object informers).
    /// Provider objects left out here are read fresh at every reconcile, so an operator runs
    /// on a cluster without their CRDs.
    var watches: [ResourceType] { get }
    /// The Services `ServiceBuilder` writes beside the routing objects.
    var serviceRoles: [ServiceBuilder.Role] { get }

    /// Every object this router needs for `weights`, each merged into its existing version
    /// (looked up in `existing` by `Kind/name`, see `TrafficRouters.key`) without losing the
    /// fields Serin does not set.
    func routingObjects(spec: CanarySpec, names: CanaryNames, selector: SelectorLabel, weights: RouteWeights,
                        existing: [String: JSONValue], ownerReference: JSONValue?) -> [JSONValue]

    /// The object that carries the weights, which the controller reads back.
    func weightObject(names: CanaryNames) -> RouterObjectRef

    /// Weights read back from the weight-carrying object; nil when it is absent or not Serin's.
    func readWeights(names: CanaryNames, selector: SelectorLabel, object: JSONValue?) -> RouteWeights?

    /// The objects removed (when Serin owns them) once a Canary is deleted with revertOnDeletion.
    func cleanupObjects(names: CanaryNames) -> [RouterObjectRef]

    /// Rollouts: the user's objects of this router that `routing` names (empty when it names none).
    func rolloutObjects(_ routing: RolloutTrafficRouting, namespace: String) -> [RolloutRouteObject]

    /// Rollouts: `existing` (one of `rolloutObjects`) with the canary weight and the managed
    /// routes in force written in; every other field kept.
    func rolloutRoute(_ existing: JSONValue, object: RolloutRouteObject, names: CanaryNames,
                      traffic: RolloutRouteSettings) throws(RolloutRoutingError) -> JSONValue

    // Routers whose objects are derived from a user's object (NGINX's canary Ingress, copied
    // from the user's Ingress) read that object without writing it. Defaults: none.

    /// `weightObject(names:)` and `cleanupObjects(names:)` for routers whose object names come
    /// from the spec (NGINX: `<spec.ingressRef.name>-canary`). Defaults: the names-only ones.
    func weightObject(spec: CanarySpec, names: CanaryNames) -> RouterObjectRef
    func cleanupObjects(spec: CanarySpec, names: CanaryNames) -> [RouterObjectRef]

    /// Canaries: the user's objects `routingObjects` reads (found in `existing` by `Kind/name`).
    func sourceObjects(spec: CanarySpec, names: CanaryNames) -> [RouterObjectRef]

    /// Canaries: why the objects cannot be built from what exists (a missing or unusable
    /// source object), naming the object and the fix; nil when they can.
    func routingProblem(spec: CanarySpec, names: CanaryNames, existing: [String: JSONValue]) -> String?

    /// Rollouts: the objects Serin creates and owns beside one of `rolloutObjects`.
    func rolloutDerivedObjects(_ object: RolloutRouteObject, routing: RolloutTrafficRouting, rollout: String) -> [RolloutRouteObject]

    /// Rollouts: the objects Serin creates and owns from `routing` alone (SMI's TrafficSplit).
    func rolloutOwnedObjects(_ routing: RolloutTrafficRouting, namespace: String, rollout: String) -> [RolloutRouteObject]

    /// Rollouts: `derived` (one of `rolloutDerivedObjects`, built from its `source`, or of
    /// `rolloutOwnedObjects`, with no source) for these settings, merged into `existing` and
    /// owned by `owner` (the Rollout). An `existing` the Rollout does not own is refused.
    /// Null (derived objects only): the object must not exist for these settings, and is deleted
    /// when the Rollout owns it.
    func rolloutDerived(_ derived: RolloutRouteObject, source: JSONValue?, existing: JSONValue?, routing: RolloutTrafficRouting,
                        names: CanaryNames, traffic: RolloutRouteSettings, owner: JSONValue) throws(RolloutRoutingError) -> JSONValue
}

extension TrafficRouter {
    /// The family Serin names the router by (its first).
    public var family: String { families.first ?? "" }

    /// The resource type of `object` (by kind and apiVersion, else kind); nil when the router does not write it.
    public func resource(of object: JSONValue) -> ResourceType? {
        let kind = object["kind"].stringValue ?? ""
        return writes.first { $0.kind == kind && $0.apiVersion == object["apiVersion"].stringValue } ?? resource(ofKind: kind)
    }

    /// The resource type of a routing object of `kind`; nil when the router does not write it.
    public func resource(ofKind kind: String) -> ResourceType? {
        writes.first { $0.kind == kind }
    }

    public func weightObject(spec: CanarySpec, names: CanaryNames) -> RouterObjectRef { weightObject(names: names) }
    public func cleanupObjects(spec: CanarySpec, names: CanaryNames) -> [RouterObjectRef] { cleanupObjects(names: names) }
    public func sourceObjects(spec: CanarySpec, names: CanaryNames) -> [RouterObjectRef] { [] }
    public func routingProblem(spec: CanarySpec, names: CanaryNames, existing: [String: JSONValue]) -> String? { nil }
    public func rolloutDerivedObjects(_ object: RolloutRouteObject, routing: RolloutTrafficRouting,
                                      rollout: String) -> [RolloutRouteObject] { [] }
    public func rolloutOwnedObjects(_ routing: RolloutTrafficRouting, namespace: String,
                                    rollout: String) -> [RolloutRouteObject] { [] }
    public func rolloutDerived(_ derived: RolloutRouteObject, source: JSONValue?, existing: JSONValue?, routing: RolloutTrafficRouting,
                               names: CanaryNames, traffic: RolloutRouteSettings,
                               owner: JSONValue) throws(RolloutRoutingError) -> JSONValue {
        throw RolloutRoutingError("the \(family) router derives no \(derived.resource.kind) objects")
    }

    /// `routingObjects` with nothing existing yet and no owner reference.
    public func routingObjects(spec: CanarySpec, names: CanaryNames, selector: SelectorLabel,
                               weights: RouteWeights) -> [JSONValue] {
        routingObjects(spec: spec, names: names, selector: selector, weights: weights, existing: [:], ownerReference: nil)
    }
}

/// One object a router names: its resource type and name, in the Canary's namespace unless
/// `namespace` says otherwise (Gloo's `spec.upstreamRef`).
public struct RouterObjectRef: Sendable, Hashable {
    public var resource: ResourceType
    public var name: String
    public var namespace: String?
    public init(_ resource: ResourceType, _ name: String, namespace: String? = nil) {
        self.resource = resource
        self.name = name
        self.namespace = namespace
    }
}

/// A user's routing object a Rollout routes through.
public struct RolloutRouteObject: Sendable, Hashable {
    public var resource: ResourceType
    public var namespace: String
    public var name: String
    /// The routes inside it Serin sets the weights of (all when empty).
    public var routes: [String]
    /// The router's `trafficRouting` settings for it (ALB: servicePort, rootService, …); null when none.
    public var config: JSONValue
    public init(resource: ResourceType, namespace: String, name: String, routes: [String] = [], config: JSONValue = .null) {
        self.resource = resource
        self.namespace = namespace
        self.name = name
        self.routes = routes
        self.config = config
    }
}

/// What a Rollout's routing object must carry: the canary's share and the managed routes in force.
public struct RolloutRouteSettings: Sendable, Hashable, CustomStringConvertible {
    public var canaryWeight: Int
    public var headerRoutes: [RolloutSetHeaderRoute]
    public var mirrorRoutes: [RolloutSetMirrorRoute]
    /// Every managed route name (those not in force are removed).
    public var managedRoutes: [String]
    /// The total weight (`trafficRouting.maxTrafficWeight`): the stable side gets `maxWeight - canaryWeight`.
    public var maxWeight: Int
    /// The Services in force (with pingPong they swap at each promotion); nil: the spec's canaryService/stableService.
    public var stableService: String?
    public var canaryService: String?
    /// The pod-template hashes of the canary and stable pods (Istio subset-level splitting labels the subsets with them).
    public var canaryPodHash: String?
    public var stablePodHash: String?
    /// With pingPong: the ping Service (ALB names its action after it when rootService is not set).
    public var pingService: String?
    public init(canaryWeight: Int, headerRoutes: [RolloutSetHeaderRoute] = [], mirrorRoutes: [RolloutSetMirrorRoute] = [],
                managedRoutes: [String] = [], maxWeight: Int = 100) {
        self.canaryWeight = canaryWeight
        self.headerRoutes = headerRoutes
        self.mirrorRoutes = mirrorRoutes
        self.managedRoutes = managedRoutes
        self.maxWeight = maxWeight
    }
    /// The stable side's weight.
    public var stableWeight: Int { max(0, maxWeight - canaryWeight) }
    public var description: String {
        var t = maxWeight == 100 ? "canary \(canaryWeight)%" : "canary \(canaryWeight)/\(maxWeight)"
        if !headerRoutes.isEmpty { t += ", header routes \(headerRoutes.map(\.name).joined(separator: ","))" }
        if !mirrorRoutes.isEmpty { t += ", mirror routes \(mirrorRoutes.map(\.name).joined(separator: ","))" }
        return t
    }
}

/// The routers Serin implements: the only place that lists them.
public enum TrafficRouters {
    /// Every router. The order is the order a Rollout's routing objects are written in.
    public static let all: [any TrafficRouter] = [KubernetesRouter(), IstioRouter(), GatewayAPIRouter(), NginxRouter(), SMIRouter(), ALBRouter(), TraefikRouter(), SkipperRouter(), KumaRouter(), ContourRouter(), GlooRouter(), APISIXRouter(), AmbassadorRouter()]

    /// The router for a provider string (`gatewayapi:v1` → the Gateway API router); nil when unknown.
    public static func router(forProvider provider: String) -> (any TrafficRouter)? {
        let family = CanaryProviders.family(provider)
        return all.first { $0.families.contains(family) }
    }

    /// Every resource type some router needs watched, each once, in order.
    public static var watchedResources: [ResourceType] {
        var out: [ResourceType] = []
        for r in all.flatMap(\.watches) where !out.contains(r) { out.append(r) }
        return out
    }

    /// `Kind/name`, the key of `existing` and `objects` dictionaries.
    public static func key(_ obj: JSONValue) -> String { "\(obj["kind"].stringValue ?? "")/\(obj.name ?? "")" }
}
