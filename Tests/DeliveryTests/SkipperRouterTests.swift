import KubeCore
import SerinAPI
import Testing
import Traffic

/// The Skipper router writes the canary Ingress Flagger's skipper router writes.
@Suite struct SkipperRouterTests {
    let router = SkipperRouter()
    let selector = SelectorLabel(key: "app", value: "podinfo")

    static let userIngress: JSONValue = [
        "apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
        "metadata": ["name": "podinfo-ingress", "namespace": "test", "labels": ["app": "podinfo"],
                     "annotations": ["kubernetes.io/ingress.class": "skipper", "zalando.org/skipper-predicate": "Host(/app/)"]],
        "spec": ["rules": [["host": "app.example.com", "http": ["paths": [
            ["path": "/", "pathType": "Prefix", "backend": ["service": ["name": "podinfo", "port": ["name": "http"]]]],
        ]]]]],
    ]

    func canary() -> (CanarySpec, CanaryNames) {
        let spec = CanarySpec(provider: "skipper", targetRef: CrossNamespaceRef(name: "podinfo"),
                              ingressRef: CrossNamespaceRef(apiVersion: "networking.k8s.io/v1", kind: "Ingress", name: "podinfo-ingress"),
                              service: CanaryService(port: 80),
                              analysis: CanaryAnalysis(interval: "15s", threshold: 10, maxWeight: 50, stepWeight: 10))
        return (spec, CanaryNames(canaryName: "podinfo", namespace: "test", spec: spec))
    }

    @Test func canaryIngressSplitsByBackendWeights() throws {
        let (spec, names) = canary()
        #expect(spec.validate().isEmpty, "\(spec.validate())")
        let existing = ["Ingress/podinfo-ingress": Self.userIngress]
        #expect(router.routingProblem(spec: spec, names: names, existing: existing) == nil)
        let ing = try #require(router.routingObjects(spec: spec, names: names, selector: selector,
                                                     weights: RouteWeights(primary: 90, canary: 10), existing: existing,
                                                     ownerReference: nil).first)
        #expect(ing.name == "podinfo-ingress-canary")
        #expect(ing.annotations["zalando.org/backend-weights"] == #"{"podinfo-canary":10,"podinfo-primary":90}"#)
        #expect(ing.annotations["zalando.org/skipper-predicate"] == "Weight(100) && Host(/app/)")
        #expect(ing.annotations["kubernetes.io/ingress.class"] == "skipper")
        let paths = ing[path: ["spec", "rules"]][0][path: ["http", "paths"]].arrayValue ?? []
        let condition1 = paths.map { $0[path: ["backend", "service", "name"]] } == ["podinfo-primary", "podinfo-canary"]
        #expect(condition1)
        #expect(router.readWeights(names: names, selector: selector, object: ing) == RouteWeights(primary: 90, canary: 10))
        // At weight 0 the canary route is switched off: the user's Ingress serves again.
        let withCopy = existing.merging(["Ingress/podinfo-ingress-canary": ing]) { $1 }
        let offObjects = router.routingObjects(spec: spec, names: names, selector: selector, weights: .primaryOnly,
                                               existing: withCopy, ownerReference: nil)
        let off = try #require(offObjects.first)
        #expect(off.annotations["zalando.org/skipper-predicate"] == "False() && Host(/app/)")
        #expect(router.readWeights(names: names, selector: selector, object: off) == .primaryOnly)
        #expect(router.cleanupObjects(spec: spec, names: names) == [RouterObjectRef(.ingresses, "podinfo-ingress-canary")])
    }

    @Test func aMissingIngressRefIsNamed() {
        var (spec, names) = canary()
        #expect(router.routingProblem(spec: spec, names: names, existing: [:])?.contains("Ingress podinfo-ingress (spec.ingressRef) not found") == true)
        spec.ingressRef = nil
        #expect(spec.validate().map(\.path) == ["spec.ingressRef"])
    }
}
