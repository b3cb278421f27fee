/// Minimal CRDs of the router kinds Serin writes (Gateway API HTTPRoute, Istio VirtualService
/// and DestinationRule), so the test API server serves them. Not Serin's to install in a
/// cluster: the gateway or mesh brings the real ones.
enum RouterCRDs {
    static func crd(group: String, version: String, plural: String, kind: String, short: String) -> String {
        """
        apiVersion: apiextensions.k8s.io/v1
        kind: CustomResourceDefinition
        metadata:
          name: \(plural).\(group)
        spec:
          group: \(group)
          scope: Namespaced
          names:
            plural: \(plural)
            singular: \(kind.lowercased())
            kind: \(kind)
            listKind: \(kind)List
            shortNames: [\(short)]
          versions:
            - name: \(version)
              served: true
              storage: true
              subresources:
                status: {}
              schema:
                openAPIV3Schema:
                  type: object
                  properties:
                    spec:
                      type: object
                      x-kubernetes-preserve-unknown-fields: true
                    status:
                      type: object
                      x-kubernetes-preserve-unknown-fields: true
        """
    }

    static let all: [String] = [
        crd(group: "gateway.networking.k8s.io", version: "v1", plural: "httproutes", kind: "HTTPRoute", short: "hr"),
        crd(group: "networking.istio.io", version: "v1beta1", plural: "virtualservices", kind: "VirtualService", short: "vs"),
        crd(group: "networking.istio.io", version: "v1beta1", plural: "destinationrules", kind: "DestinationRule", short: "dr"),
    ]
}
