import Foundation
import KubeCore
import SerinAPI
import SerinTestSupport
import Testing
import Traffic

/// What the Knative router writes into a Knative Service goes through Knative Serving's own CRD
/// (knative-v1.23.0, ../shared/thirdparty-crds/knative-serving.yaml): stored as written, not
/// pruned, and read back from the status Knative would report.
@Suite("Knative router: the Service it writes against Knative's CRD", .serialized, .timeLimit(.minutes(1)))
struct KnativeServiceSchemaTests {
    static let crd: JSONValue = {
        let url = RouterCRDs.directory.appendingPathComponent("knative-serving.yaml")
        guard let text = try? String(contentsOf: url, encoding: .utf8), let docs = try? JSONValue.documents(yaml: text),
              let crd = docs.first(where: { $0.name == "services.serving.knative.dev" }) else {
            fatalError("cannot read the Knative Service CRD at \(url.path)")
        }
        return crd
    }()

    @Test("recording the primary, routing 30/70 and reading the applied split back")
    func routedServiceIsStoredAsWritten() async throws {
        let (server, client) = try await TestServerConnection.start()
        defer { Task { try? await server.stop() } }
        _ = try await client.create(.customResourceDefinitions, namespace: nil, Self.crd)
        let served = await eventually(timeout: .seconds(5)) { (try? await client.list(.knativeServices, namespace: nil)) != nil }
        try #require(served)
        let ns = "test"
        _ = try await client.create(.namespaces, namespace: nil, ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": .string(ns)]])
        // The Service of Flagger's Knative tutorial, and the status Knative gives it.
        var service = try await client.create(.knativeServices, namespace: ns, [
            "apiVersion": "serving.knative.dev/v1", "kind": "Service",
            "metadata": ["name": "podinfo", "namespace": .string(ns)],
            "spec": ["template": ["spec": ["containers": [["image": "ghcr.io/stefanprodan/podinfo:6.0.0",
                                                            "ports": [["containerPort": 9898]]]]]]],
        ])
        service["status"] = ["latestCreatedRevisionName": "podinfo-00001"]
        service = try await client.update(.knativeServices, namespace: ns, service, subresource: "status")

        let spec = CanarySpec(provider: "knative",
                              targetRef: CrossNamespaceRef(apiVersion: "serving.knative.dev/v1", kind: "Service", name: "podinfo"),
                              service: CanaryService(port: 80))
        let names = CanaryNames(canaryName: "podinfo", namespace: ns, spec: spec)
        let router = KnativeRouter()
        let recorded = try #require(KnativeRouter.recordingPrimary(service))
        let written = try #require(router.routingObjects(spec: spec, names: names, selector: SelectorLabel(key: "app", value: "podinfo"),
                                                         weights: RouteWeights(primary: 70, canary: 30),
                                                         existing: ["Service/podinfo": recorded], ownerReference: nil).first)
        _ = try await client.update(.knativeServices, namespace: ns, written, subresource: nil)
        let stored = try await client.get(.knativeServices, namespace: ns, name: "podinfo", subresource: nil)
        #expect(stored[path: ["spec", "traffic"]] == [["latestRevision": true, "percent": 30],
                                                      ["revisionName": "podinfo-00001", "percent": 70]])
        #expect(stored.annotations[KnativeRouter.primaryRevisionAnnotation] == "podinfo-00001")
        #expect(stored[path: ["spec", "template"]] == written[path: ["spec", "template"]])
        // Not applied until Knative says so.
        #expect(router.readWeights(names: names, selector: SelectorLabel(key: "app", value: "podinfo"), object: stored) == nil)

        // Knative applies it, naming the latest revision it resolved.
        var applied = stored
        applied["status"] = ["latestCreatedRevisionName": "podinfo-00002", "traffic": [
            ["latestRevision": true, "revisionName": "podinfo-00002", "percent": 30],
            ["latestRevision": false, "revisionName": "podinfo-00001", "percent": 70],
        ]]
        _ = try await client.update(.knativeServices, namespace: ns, applied, subresource: "status")
        let reported = try await client.get(.knativeServices, namespace: ns, name: "podinfo", subresource: nil)
        #expect(router.readWeights(names: names, selector: SelectorLabel(key: "app", value: "podinfo"), object: reported)
            == RouteWeights(primary: 70, canary: 30))

        // The schema is in force: a percent that is not an integer is refused.
        var bad = reported
        bad[path: ["spec", "traffic"]] = [["latestRevision": true, "percent": "thirty"]]
        var refusal = ""
        do { _ = try await client.update(.knativeServices, namespace: ns, bad, subresource: nil) } catch { refusal = "\(error)" }
        #expect(refusal.contains("spec.traffic[0].percent"), "\(refusal)")
    }
}
