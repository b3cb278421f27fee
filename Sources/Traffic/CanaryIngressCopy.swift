import KubeCore
import SerinAPI

/// Flagger's ingress-copying routers (nginx, skipper): `<spec.ingressRef.name>-canary`, built
/// from the user's Ingress, which is read and never written.
struct CanaryIngressCopy {
    var provider: String
    /// The canary Ingress's spec from the user's; nil when no path routes to the apex Service.
    var spec: @Sendable (JSONValue, CanaryNames) -> JSONValue?

    static func name(_ spec: CanarySpec) -> String { "\(spec.ingressRef?.name ?? "")-canary" }

    func sources(_ canary: CanarySpec) -> [RouterObjectRef] {
        canary.ingressRef.map { [RouterObjectRef(.ingresses, $0.name)] } ?? []
    }

    func problem(_ canary: CanarySpec, names: CanaryNames, existing: [String: JSONValue]) -> String? {
        guard let ref = canary.ingressRef else {
            return "spec.ingressRef is required by provider \(provider); name the Ingress that routes to Service \(names.apexService)"
        }
        guard let source = existing["Ingress/\(ref.name)"] else {
            return "Ingress \(ref.name) (spec.ingressRef) not found in namespace \(names.namespace); create it, routing to Service \(names.apexService)"
        }
        if spec(source, names) == nil {
            return "Ingress \(ref.name) (spec.ingressRef) has no path with backend Service \(names.apexService); route a path to it"
        }
        return nil
    }

    /// The canary Ingress merged into its current version, with the spec built from the user's
    /// Ingress; labels come from the user's Ingress on creation (as Flagger), then its own are
    /// kept. Also returns the annotations to start from: the current ones, else the user's.
    func object(_ canary: CanarySpec, names: CanaryNames, existing: [String: JSONValue],
                ownerReference: JSONValue?) -> (object: JSONValue, annotations: [String: String]) {
        let name = Self.name(canary)
        let current = existing["Ingress/\(name)"]
        let source = canary.ingressRef.flatMap { existing["Ingress/\($0.name)"] }
        var obj = ObjectMerge.base(existing: current, apiVersion: "networking.k8s.io/v1", kind: "Ingress", name: name,
                                   namespace: names.namespace, labels: current == nil ? source?.labels ?? [:] : [:],
                                   ownerReference: ownerReference)
        if let source, let s = spec(source, names) { obj["spec"] = s }
        return (obj, (current ?? source)?.annotations ?? [:])
    }
}
