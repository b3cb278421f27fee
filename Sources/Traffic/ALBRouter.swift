import KubeCore
import SerinAPI

/// AWS Load Balancer Controller (Argo's `trafficRouting.alb`): the split is a forward action in
/// an annotation of the user's Ingress, `alb.ingress.kubernetes.io/actions.<rootService>`, whose
/// path backend is the `rootService` with port `use-annotation`. Serin writes the action and
/// Argo's bookkeeping annotation `rollouts.argoproj.io/managed-alb-actions`
/// (`<rollout>:<action key>`), as Argo's rollout/trafficrouting/alb does; every other field of
/// the Ingress is kept. A header route in force is Argo's too: an action and a condition
/// annotation named after the route (`actions.<route>`, `conditions.<route>`) and a path to it,
/// first in each rule; they go again when no step sets the route.
public struct ALBRouter: TrafficRouter {
    public init() {}

    public static let defaultPrefix = "alb.ingress.kubernetes.io"
    public static let managedActionsAnnotation = "rollouts.argoproj.io/managed-alb-actions"
    /// AWS's limit for TargetGroupStickinessConfig.DurationSeconds (7 days).
    public static let maxStickinessSeconds = 604_800

    /// Argo's `trafficRouting.alb` fields Serin reads.
    public struct Config: Sendable {
        public var ingresses: [String]
        public var servicePort: Int?
        public var rootService: String?
        public var prefix: String
        public var stickinessSeconds: Int?

        public init(_ alb: JSONValue) {
            let many = (alb["ingresses"].arrayValue ?? []).compactMap(\.stringValue)
            let one = alb["ingress"].stringValue.map { [$0] } ?? []
            // As Argo: `ingresses`, when set, replaces `ingress`.
            ingresses = many.isEmpty ? one.filter { !$0.isEmpty } : many
            servicePort = alb["servicePort"].intValue
            rootService = alb["rootService"].stringValue.flatMap { $0.isEmpty ? nil : $0 }
            prefix = alb["annotationPrefix"].stringValue.flatMap { $0.isEmpty ? nil : $0 } ?? ALBRouter.defaultPrefix
            let sticky = alb["stickinessConfig"]
            stickinessSeconds = sticky["enabled"].boolValue == true ? (sticky["durationSeconds"].intValue ?? 0) : nil
        }

        /// `<prefix>/actions.<rootService or stableService>`.
        public func actionKey(stableService: String) -> String { "\(prefix)/actions.\(rootService ?? stableService)" }
        /// A header route's action and condition annotations.
        public func headerActionKey(_ route: String) -> String { "\(prefix)/actions.\(route)" }
        public func headerConditionKey(_ route: String) -> String { "\(prefix)/conditions.\(route)" }
    }

    /// The forward action Argo writes (its JSON, field for field: canary first, then stable, whose
    /// weight is the rest of `maxWeight`).
    public static func forwardAction(canary: String, stable: String, port: Int, canaryWeight: Int,
                                     stickinessSeconds: Int?, maxWeight: Int = 100) -> String {
        let p = String(port)
        var text = #"{"Type":"forward","ForwardConfig":{"TargetGroups":["#
        text += #"{"ServiceName":"\#(canary)","ServicePort":"\#(p)","Weight":\#(canaryWeight)},"#
        text += #"{"ServiceName":"\#(stable)","ServicePort":"\#(p)","Weight":\#(max(0, maxWeight - canaryWeight))}]"#
        return text + stickiness(stickinessSeconds) + "}}"
    }

    static func stickiness(_ seconds: Int?) -> String {
        seconds.map { #","TargetGroupStickinessConfig":{"Enabled":true,"DurationSeconds":\#($0)}"# } ?? ""
    }

    /// A header route's action: everything to the canary (Argo's getTrafficForwardActionString).
    public static func canaryOnlyAction(canary: String, port: Int, stickinessSeconds: Int?) -> String {
        #"{"Type":"forward","ForwardConfig":{"TargetGroups":[{"ServiceName":"\#(canary)","ServicePort":"\#(port)","Weight":100}]"#
            + stickiness(stickinessSeconds) + "}}"
    }

    /// A header route's conditions, in the AWS Load Balancer Controller's annotation form: one
    /// http-header condition per header, each matching its exact value.
    public static func conditions(_ route: RolloutSetHeaderRoute) -> String {
        let items: [JSONValue] = (route.match ?? []).map { m in
            ["field": "http-header",
             "httpHeaderConfig": ["httpHeaderName": .string(m.headerName), "values": [.string(m.headerValue.exact ?? "")]]]
        }
        return JSONValue.array(items).serialized()
    }

    /// The path Argo adds, first in every rule, for a header route's action.
    static func actionPath(_ route: String) -> JSONValue {
        ["path": "/*", "pathType": "ImplementationSpecific",
         "backend": ["service": ["name": .string(route), "port": ["name": "use-annotation"]]]]
    }

    /// `ingress` with a path to `route`'s action first in each rule (when `present`), or without any.
    static func settingActionPath(_ ingress: JSONValue, route: String, present: Bool) -> JSONValue {
        var ing = ingress
        var rules = ing[path: ["spec", "rules"]].arrayValue ?? []
        for i in rules.indices {
            var paths = (rules[i][path: ["http", "paths"]].arrayValue ?? []).filter {
                $0[path: ["backend", "service", "name"]].stringValue != route
            }
            if present { paths.insert(actionPath(route), at: 0) }
            rules[i][path: ["http", "paths"]] = .array(paths)
        }
        ing[path: ["spec", "rules"]] = .array(rules)
        return ing
    }

    /// The canary's weight in an action annotation; nil when it is not one naming `canary`.
    public static func canaryWeight(action: String, canary: String) -> Int? {
        guard let json = try? JSONValue(parsing: action) else { return nil }
        let groups = json[path: ["ForwardConfig", "TargetGroups"]].arrayValue ?? []
        return groups.first { $0["ServiceName"].stringValue == canary }?["Weight"].intValue
    }

    static func hasBackend(_ ingress: JSONValue, service: String) -> Bool {
        (ingress[path: ["spec", "rules"]].arrayValue ?? []).contains { rule in
            (rule[path: ["http", "paths"]].arrayValue ?? []).contains { $0[path: ["backend", "service", "name"]].stringValue == service }
        }
    }

    /// `managed-alb-actions` with this Rollout's entry set (others kept, in Argo's `a:k,b:k` form).
    static func managedActions(_ current: String?, rollout: String, key: String) -> String {
        var entries: [(String, String)] = []
        for item in (current ?? "").split(separator: ",") {
            let kv = item.split(separator: ":", maxSplits: 1).map(String.init)
            if kv.count == 2, kv[0] != rollout { entries.append((kv[0], kv[1])) }
        }
        entries.append((rollout, key))
        return entries.map { "\($0.0):\($0.1)" }.joined(separator: ",")
    }
}

// MARK: - Canaries: Flagger has no ALB provider

extension ALBRouter {
    public var families: [String] { [] }
    public var splitsTraffic: Bool { true }
    public var supportsMirroring: Bool { false }
    public var supportsMatch: Bool { false }  // Canaries: no Flagger provider
    public var writes: [ResourceType] { [.ingresses] }
    public var watches: [ResourceType] { [] }
    public var serviceRoles: [ServiceBuilder.Role] { [] }
    public func routingObjects(spec: CanarySpec, names: CanaryNames, selector: SelectorLabel, weights: RouteWeights,
                               existing: [String: JSONValue], ownerReference: JSONValue?) -> [JSONValue] { [] }
    public func weightObject(names: CanaryNames) -> RouterObjectRef { RouterObjectRef(.ingresses, names.apexService) }
    public func readWeights(names: CanaryNames, selector: SelectorLabel, object: JSONValue?) -> RouteWeights? { nil }
    public func cleanupObjects(names: CanaryNames) -> [RouterObjectRef] { [] }
}

// MARK: - Rollouts (Argo)

extension ALBRouter {
    public func rolloutObjects(_ routing: RolloutTrafficRouting, namespace: String) -> [RolloutRouteObject] {
        guard let alb = routing.alb, alb != .null else { return [] }
        return Config(alb).ingresses.map { RolloutRouteObject(resource: .ingresses, namespace: namespace, name: $0, config: alb) }
    }

    /// The Ingress with the forward action for `traffic` in its annotation (and Argo's bookkeeping).
    public func rolloutRoute(_ existing: JSONValue, object: RolloutRouteObject, names: CanaryNames,
                             traffic: RolloutRouteSettings) throws(RolloutRoutingError) -> JSONValue {
        var cfg = Config(object.config)
        guard let port = cfg.servicePort else {
            throw RolloutRoutingError("trafficRouting.alb.servicePort is missing; set the port the Services listen on")
        }
        // With pingPong the stable Service swaps: the action keeps one name, the ping Service's.
        if cfg.rootService == nil, let ping = traffic.pingService { cfg.rootService = ping }
        let root = cfg.rootService ?? names.primaryService
        guard Self.hasBackend(existing, service: root) else {
            throw RolloutRoutingError("Ingress \(object.name) has no rule with backend Service \(root); route a path to it with port name use-annotation")
        }
        let key = cfg.actionKey(stableService: names.primaryService)
        var ing = existing
        ing[path: ["metadata", "annotations", key]] = .string(Self.forwardAction(
            canary: names.canaryService, stable: names.primaryService, port: port, canaryWeight: traffic.canaryWeight,
            stickinessSeconds: cfg.stickinessSeconds, maxWeight: traffic.maxWeight))
        ing[path: ["metadata", "annotations", Self.managedActionsAnnotation]] = .string(Self.managedActions(
            existing.annotations[Self.managedActionsAnnotation], rollout: names.canaryName, key: key))
        for name in traffic.managedRoutes {
            let route = traffic.headerRoutes.first { $0.name == name }
            let action = route.map { _ in
                Self.canaryOnlyAction(canary: names.canaryService, port: port, stickinessSeconds: cfg.stickinessSeconds)
            }
            ing[path: ["metadata", "annotations", cfg.headerActionKey(name)]] = action.map(JSONValue.string) ?? .null
            ing[path: ["metadata", "annotations", cfg.headerConditionKey(name)]] = route.map { .string(Self.conditions($0)) } ?? .null
            ing = Self.settingActionPath(ing, route: name, present: route != nil)
        }
        return ing
    }
}
