import KubeCore
import SerinAPI

/// The Services Serin generates: `<svc>` (apex), `<svc>-primary`, `<svc>-canary`.
public enum ServiceBuilder {
    public enum Role: Sendable { case apex, primary, canary }

    /// A Service for `role`, merged into `existing` (kept: clusterIP, other metadata, any field
    /// Serin does not set). The apex and primary select the primary's pods, the canary the target's;
    /// `apexSelectsCanary` is the kubernetes router's blue/green switch.
    public static func service(_ role: Role, spec: CanarySpec, names: CanaryNames, selector: SelectorLabel,
                               existing: JSONValue? = nil, ownerReference: JSONValue? = nil,
                               apexSelectsCanary: Bool = false) -> JSONValue {
        let name: String
        let meta: CustomMetadata?
        let podValue: String
        switch role {
        case .apex:
            name = names.apexService
            meta = spec.service.apex
            podValue = apexSelectsCanary ? selector.value : selector.primaryValue
        case .primary:
            name = names.primaryService
            meta = spec.service.primary
            podValue = selector.primaryValue
        case .canary:
            name = names.canaryService
            meta = spec.service.canary
            podValue = selector.value
        }
        var labels = meta?.labels ?? [:]
        labels[selector.key] = labels[selector.key] ?? name
        var svc = ObjectMerge.base(existing: existing, apiVersion: "v1", kind: "Service", name: name,
                                   namespace: names.namespace, labels: labels,
                                   annotations: meta?.annotations ?? [:], ownerReference: ownerReference)
        if svc[path: ["spec", "type"]].isNull { svc[path: ["spec", "type"]] = "ClusterIP" }
        svc[path: ["spec", "selector"]] = .object([selector.key: .string(podValue)])
        svc[path: ["spec", "ports"]] = .array([port(spec.service, existing: existing)])
        // Flagger's service.trafficDistribution, on every generated Service.
        if let d = spec.service.trafficDistribution { svc[path: ["spec", "trafficDistribution"]] = .string(d) }
        return svc
    }

    static func port(_ s: CanaryService, existing: JSONValue?) -> JSONValue {
        // Keep fields of the existing first port Serin does not set (e.g. nodePort).
        var p = existing?[path: ["spec", "ports"]][0] ?? .object([:])
        if !p.isNull, p["port"].intValue != s.port { p = .object([:]) }
        p["name"] = .string(s.portName ?? "http")
        p["port"] = .int(Int64(s.port))
        p["protocol"] = "TCP"
        p["targetPort"] = (s.targetPort ?? .int(s.port)).json
        if let ap = s.appProtocol { p["appProtocol"] = .string(ap) }
        return p
    }

    /// Weights the kubernetes router can express, read from the apex Service's selector.
    public static func readSelectorWeights(apex: JSONValue, selector: SelectorLabel) -> RouteWeights? {
        guard let v = apex[path: ["spec", "selector", selector.key]].stringValue else { return nil }
        if v == selector.value { return RouteWeights(primary: 0, canary: 100) }
        if v == selector.primaryValue { return .primaryOnly }
        return nil
    }
}
