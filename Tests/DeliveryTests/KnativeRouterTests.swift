import KubeCore
import SerinAPI
import Testing
import Traffic

/// The Knative router writes the `spec.traffic` Flagger's knative router writes into the user's
/// Knative Service, and reads back the split Knative reports in `status.traffic`.
@Suite struct KnativeRouterTests {
    let router = KnativeRouter()
    let selector = SelectorLabel(key: "app", value: "podinfo")

    func canary() -> (CanarySpec, CanaryNames) {
        let spec = CanarySpec(provider: "knative",
                              targetRef: CrossNamespaceRef(apiVersion: "serving.knative.dev/v1", kind: "Service", name: "podinfo"),
                              service: CanaryService(port: 80),
                              analysis: CanaryAnalysis(interval: "15s", threshold: 5, maxWeight: 50, stepWeight: 10))
        return (spec, CanaryNames(canaryName: "podinfo", namespace: "test", spec: spec))
    }

    /// The user's Knative Service after Knative created its first revision.
    static let service: JSONValue = [
        "apiVersion": "serving.knative.dev/v1", "kind": "Service",
        "metadata": ["name": "podinfo", "namespace": "test", "labels": ["team": "web"]],
        "spec": ["template": ["spec": ["containers": [["image": "ghcr.io/stefanprodan/podinfo:6.0.0"]]]]],
        "status": ["latestCreatedRevisionName": "podinfo-00001"],
    ]

    @Test func initializingRecordsTheLatestRevisionAsThePrimary() throws {
        #expect(KnativeRouter.recordingPrimary(["metadata": ["name": "podinfo"]]) == nil)
        let recorded = try #require(KnativeRouter.recordingPrimary(Self.service))
        #expect(recorded.annotations[KnativeRouter.primaryRevisionAnnotation] == "podinfo-00001")
        #expect(KnativeRouter.primaryRevision(recorded) == "podinfo-00001")
        // A Service Flagger delivered keeps its primary.
        var flaggers = Self.service
        flaggers[path: ["metadata", "annotations", "flagger.app/primary-revision"]] = "podinfo-00007"
        #expect(KnativeRouter.primaryRevision(flaggers) == "podinfo-00007")
    }

    @Test func trafficSplitsTheLatestRevisionAndThePrimaryRevision() throws {
        let (spec, names) = canary()
        let recorded = try #require(KnativeRouter.recordingPrimary(Self.service))
        let objs = router.routingObjects(spec: spec, names: names, selector: selector, weights: RouteWeights(primary: 70, canary: 30),
                                         existing: ["Service/podinfo": recorded], ownerReference: ["kind": "Canary", "uid": "u1"])
        let routed = try #require(objs.first)
        #expect(objs.count == 1)
        #expect(routed[path: ["spec", "traffic"]] == [["latestRevision": true, "percent": 30],
                                                      ["revisionName": "podinfo-00001", "percent": 70]])
        // The user's Service: its fields kept, no owner reference added.
        #expect(routed.labels["team"] == "web")
        #expect(routed[path: ["spec", "template"]] == Self.service[path: ["spec", "template"]])
        #expect(routed["metadata"]["ownerReferences"].isNull)
        #expect(router.weightObject(spec: spec, names: names) == RouterObjectRef(.knativeServices, "podinfo"))
        #expect(router.cleanupObjects(spec: spec, names: names).isEmpty)
        #expect(router.serviceRoles.isEmpty)
    }

    @Test func weightsAreReadFromWhatKnativeApplied() throws {
        let (_, names) = canary()
        var service = try #require(KnativeRouter.recordingPrimary(Self.service))
        // Spec written, status not yet: nothing applied.
        service = try #require(KnativeRouter.routed(service, weights: RouteWeights(primary: 60, canary: 40)))
        #expect(router.readWeights(names: names, selector: selector, object: service) == nil)
        // Knative resolves the latest revision's name in status; it stays the canary's entry.
        service[path: ["status", "traffic"]] = [
            ["latestRevision": true, "revisionName": "podinfo-00002", "percent": 40],
            ["latestRevision": false, "revisionName": "podinfo-00001", "percent": 60],
        ]
        #expect(router.readWeights(names: names, selector: selector, object: service) == RouteWeights(primary: 60, canary: 40))
        // After promotion both entries name the same revision: the primary is the named one.
        service[path: ["metadata", "annotations", KnativeRouter.primaryRevisionAnnotation]] = "podinfo-00002"
        service[path: ["status", "traffic"]] = [
            ["latestRevision": true, "revisionName": "podinfo-00002", "percent": 0],
            ["latestRevision": false, "revisionName": "podinfo-00002", "percent": 100],
        ]
        #expect(router.readWeights(names: names, selector: selector, object: service) == .primaryOnly)
    }

    @Test func aMissingServiceOrPrimaryIsNamed() throws {
        let (spec, names) = canary()
        let missing = router.routingProblem(spec: spec, names: names, existing: [:])
        #expect(missing?.hasPrefix("the Knative Service podinfo does not exist") == true, "\(missing ?? "nil")")
        let unrecorded = router.routingProblem(spec: spec, names: names, existing: ["Service/podinfo": Self.service])
        #expect(unrecorded?.contains("no primary revision recorded") == true, "\(unrecorded ?? "nil")")
        #expect(router.routingObjects(spec: spec, names: names, selector: selector, weights: .primaryOnly).isEmpty)
        let recorded = try #require(KnativeRouter.recordingPrimary(Self.service))
        #expect(router.routingProblem(spec: spec, names: names, existing: ["Service/podinfo": recorded]) == nil)
    }

    @Test func theProviderIsRefusedNamingWhatIsMissing() {
        let (spec, _) = canary()
        let problems = spec.validate().map(\.description)
        let named = problems.contains { $0.hasPrefix("spec.provider: the knative provider is not supported by Serin yet: the Canary controller delivers Deployments only") }
        #expect(named, "\(problems)")
        #expect(TrafficRouters.router(forProvider: "knative") == nil)
    }
}
