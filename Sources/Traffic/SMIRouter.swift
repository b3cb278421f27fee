import KubeCore
import SerinAPI

/// SMI TrafficSplit (Linkerd's SMI extension, and any SMI mesh): `<svc>` split between
/// `<svc>-canary` and `<svc>-primary` by backend weights.
///
/// Flagger: `linkerd` and `smi:v1alpha1` write split.smi-spec.io/v1alpha1 (weights as
/// quantities, `"30"`), `smi:v1alpha2` and `smi:v1alpha3` their version (integer weights);
/// the TrafficSplit is named `<svc>`, its `spec.service` is `service.hosts[0]` or `<svc>`
/// (Flagger's pkg/router/smi*.go). `osm` is Flagger's v1alpha2 router under OSM's name. Argo (`trafficRouting.smi`): v1alpha1, named
/// `trafficSplitName` (default the Rollout's name), `spec.service` the `rootService` (default
/// the stableService), owned by the Rollout (Argo's rollout/trafficrouting/smi).
public struct SMIRouter: TrafficRouter {
    public init() {}

    static let group = "split.smi-spec.io"

    /// The TrafficSplit resource a provider string writes (`smi:v1alpha2` and `osm` → v1alpha2; `linkerd` → v1alpha1).
    public static func resource(provider: String?) -> ResourceType {
        // Flagger's factory gives OSM its v1alpha2 router (OSM serves only v1alpha2).
        if provider == CanaryProviders.osm { return .trafficSplitsV1alpha2 }
        let version = provider.flatMap { p in p.split(separator: ":").dropFirst().first.map(String.init) } ?? "v1alpha1"
        switch version {
        case "v1alpha2": return .trafficSplitsV1alpha2
        case "v1alpha3": return .trafficSplitsV1alpha3
        default: return .trafficSplitsV1alpha1
        }
    }

    /// A backend weight in the version's form: v1alpha1 weights are resource quantities.
    static func weight(_ w: Int, _ resource: ResourceType) -> JSONValue {
        resource == .trafficSplitsV1alpha1 ? .string(String(w)) : .int(Int64(w))
    }

    /// A weight read back: an integer, or a quantity string (`"30"`, `"30m"` milli-units).
    static func readWeight(_ v: JSONValue) -> Double? {
        if let i = v.intValue { return Double(i) }
        if let d = v.doubleValue { return d }
        guard let s = v.stringValue else { return nil }
        if s.hasSuffix("m"), let m = Double(s.dropLast()) { return m / 1000 }
        return Double(s)
    }

    /// The TrafficSplit `existing` (or a new one) with `service` and the two backends set;
    /// the user's other fields (labels, annotations, `matches`) are kept.
    static func trafficSplit(_ resource: ResourceType, name: String, namespace: String, service: String,
                             canary: (String, Int), stable: (String, Int), existing: JSONValue?,
                             ownerReference: JSONValue?) -> JSONValue {
        var ts = ObjectMerge.base(existing: existing, apiVersion: resource.apiVersion, kind: "TrafficSplit", name: name,
                                  namespace: namespace, ownerReference: ownerReference)
        ts[path: ["spec", "service"]] = .string(service)
        ts[path: ["spec", "backends"]] = [
            ["service": .string(canary.0), "weight": weight(canary.1, resource)],
            ["service": .string(stable.0), "weight": weight(stable.1, resource)],
        ]
        return ts
    }

    /// The split of `ts` between `primary` and `canary` as percentages; nil when it names neither.
    public static func readWeights(trafficSplit ts: JSONValue, primary: String, canary: String) -> RouteWeights? {
        var p = 0.0, c = 0.0, found = false
        for b in ts[path: ["spec", "backends"]].arrayValue ?? [] {
            let w = readWeight(b["weight"]) ?? 0
            if b["service"].stringValue == primary { p += w; found = true }
            if b["service"].stringValue == canary { c += w; found = true }
        }
        guard found else { return nil }
        let total = p + c
        if total <= 0 { return RouteWeights(primary: 0, canary: 0) }
        let canaryShare = Int((c * 100 / total).rounded())
        return RouteWeights(primary: 100 - canaryShare, canary: canaryShare)
    }
}

// MARK: - Canaries (Flagger)

extension SMIRouter {
    public var families: [String] { [CanaryProviders.smi, CanaryProviders.linkerd, CanaryProviders.osm] }
    public var splitsTraffic: Bool { true }
    public var supportsMirroring: Bool { false }
    public var supportsMatch: Bool { false }
    public var writes: [ResourceType] { [.services, .trafficSplitsV1alpha1, .trafficSplitsV1alpha2, .trafficSplitsV1alpha3] }
    public var watches: [ResourceType] { [.services] }
    public var serviceRoles: [ServiceBuilder.Role] { [.apex, .primary, .canary] }

    public func routingObjects(spec: CanarySpec, names: CanaryNames, selector: SelectorLabel, weights: RouteWeights,
                               existing: [String: JSONValue], ownerReference: JSONValue?) -> [JSONValue] {
        let resource = Self.resource(provider: spec.provider)
        let service = spec.service.hosts?.first ?? names.apexService
        return [Self.trafficSplit(resource, name: names.apexService, namespace: names.namespace, service: service,
                                  canary: (names.canaryService, weights.canary), stable: (names.primaryService, weights.primary),
                                  existing: existing["TrafficSplit/\(names.apexService)"], ownerReference: ownerReference)]
    }

    public func weightObject(names: CanaryNames) -> RouterObjectRef { RouterObjectRef(.trafficSplitsV1alpha1, names.apexService) }
    public func weightObject(spec: CanarySpec, names: CanaryNames) -> RouterObjectRef {
        RouterObjectRef(Self.resource(provider: spec.provider), names.apexService)
    }

    public func readWeights(names: CanaryNames, selector: SelectorLabel, object: JSONValue?) -> RouteWeights? {
        guard let object, !object.isNull else { return nil }
        return Self.readWeights(trafficSplit: object, primary: names.primaryService, canary: names.canaryService)
    }

    public func cleanupObjects(names: CanaryNames) -> [RouterObjectRef] { [weightObject(names: names)] }
    public func cleanupObjects(spec: CanarySpec, names: CanaryNames) -> [RouterObjectRef] { [weightObject(spec: spec, names: names)] }
}

// MARK: - Rollouts (Argo)

extension SMIRouter {
    /// Argo's TrafficSplit is Serin's to create: no user object is read.
    public func rolloutObjects(_ routing: RolloutTrafficRouting, namespace: String) -> [RolloutRouteObject] { [] }

    public func rolloutRoute(_ existing: JSONValue, object: RolloutRouteObject, names: CanaryNames,
                             traffic: RolloutRouteSettings) throws(RolloutRoutingError) -> JSONValue {
        existing
    }

    public func rolloutOwnedObjects(_ routing: RolloutTrafficRouting, namespace: String, rollout: String) -> [RolloutRouteObject] {
        guard let smi = routing.smi, smi != .null else { return [] }
        let name = smi["trafficSplitName"].stringValue.flatMap { $0.isEmpty ? nil : $0 } ?? rollout
        return [RolloutRouteObject(resource: .trafficSplitsV1alpha1, namespace: namespace, name: name)]
    }

    public func rolloutDerived(_ derived: RolloutRouteObject, source: JSONValue?, existing: JSONValue?, routing: RolloutTrafficRouting,
                               names: CanaryNames, traffic: RolloutRouteSettings,
                               owner: JSONValue) throws(RolloutRoutingError) -> JSONValue {
        try RolloutOwnership.check(existing, owner: owner, what: "TrafficSplit \(derived.name)", rollout: names.canaryName,
                                   role: "the Rollout's TrafficSplit")
        let root = routing.smi?["rootService"].stringValue.flatMap { $0.isEmpty ? nil : $0 } ?? names.primaryService
        let total = routing.effectiveMaxTrafficWeight
        return Self.trafficSplit(derived.resource, name: derived.name, namespace: derived.namespace, service: root,
                                 canary: (names.canaryService, traffic.canaryWeight),
                                 stable: (names.primaryService, total - traffic.canaryWeight), existing: existing,
                                 ownerReference: owner)
    }
}
