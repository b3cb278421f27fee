import Foundation
import KubeCore

/// The real CRDs of the router kinds Serin writes (Gateway API v1.6.1 HTTPRoute, Istio 1.30
/// VirtualService and DestinationRule, linkerd-smi 0.2.7 TrafficSplit v1alpha1/v1alpha2, Traefik
/// 3.7 TraefikService, Kuma 2.14 TrafficRoute, Contour 1.33 HTTPProxy, Gloo 1.22 RouteTable and Upstream, APISIX ingress 2.2
/// ApisixRoute, Emissary 3.10 Mapping), read from ../shared/thirdparty-crds as the
/// projects ship them, so every object Serin's routers write in the controller tests is
/// validated (and pruned and defaulted) by the genuine schema. Not Serin's to install in a
/// cluster: the gateway or mesh brings them.
enum RouterCRDs {
    static let directory = Manifest.repoRoot.deletingLastPathComponent().appendingPathComponent("shared/thirdparty-crds")
    static let names: Set<String> = ["httproutes.gateway.networking.k8s.io", "virtualservices.networking.istio.io", "destinationrules.networking.istio.io",
                                     "trafficsplits.split.smi-spec.io", "traefikservices.traefik.io", "trafficroutes.kuma.io", "httpproxies.projectcontour.io",
                                     "routetables.gateway.solo.io", "upstreams.gloo.solo.io", "apisixroutes.apisix.apache.org",
                                     "mappings.getambassador.io"]

    /// Parsed once per test process: the files are large.
    static let all: [JSONValue] = {
        var out: [JSONValue] = []
        for file in ["gateway-api-v1.6.1-standard.yaml", "istio.yaml", "smi-trafficsplit.yaml", "traefik.yaml", "kuma.yaml", "contour.yaml",
                     "gloo.yaml", "apisix.yaml", "emissary.yaml"] {
            let url = directory.appendingPathComponent(file)
            guard let text = try? String(contentsOf: url, encoding: .utf8), let docs = try? JSONValue.documents(yaml: text) else {
                fatalError("cannot read the router CRDs at \(url.path)")
            }
            out += docs.filter { names.contains($0.name ?? "") }
        }
        precondition(out.count == names.count, "expected \(names.sorted()) in \(directory.path)")
        return out
    }()
}
