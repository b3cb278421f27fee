import Delivery
import KubeCore
import Testing
import Traffic
import Workloads

@Suite struct WorkloadTests {
    @Test func registryFindsTheDeployment() {
        #expect(Workloads.workload(forKind: "Deployment")?.resource == .deployments)
        #expect(Workloads.workload(forKind: "DaemonSet") == nil)
        #expect(Workloads.all.count == 1)
    }

    @Test func deploymentReadinessCountsOnlyPodsOfTheNewTemplate() {
        let d: JSONValue = ["metadata": ["name": "podinfo", "generation": 3],
                            "spec": ["replicas": 3],
                            "status": ["observedGeneration": 3, "replicas": 4, "updatedReplicas": 3,
                                       "readyReplicas": 4, "availableReplicas": 4]]
        let state = Workloads.deployment.state(d)
        #expect(state == WorkloadState(desiredReplicas: 3, readyReplicas: 3, updatedReplicas: 3, generationObserved: true))
        var stale = d
        stale[path: ["status", "observedGeneration"]] = 2
        #expect(Workloads.deployment.state(stale).generationObserved == false)
        #expect(Workloads.deployment.state(["spec": [:]]).desiredReplicas == 1)
    }

    @Test func deploymentScaleAndChecksum() {
        let w = Workloads.deployment
        let d: JSONValue = ["spec": ["replicas": 2, "template": ["spec": ["containers": [["name": "app", "image": "a:1",
            "envFrom": [["configMapRef": ["name": "settings"]]]]]]]]]
        #expect(w.replicas(d) == 2)
        #expect(w.replicas(["spec": [:]]) == nil)
        #expect(w.scalePatch(replicas: 0) == ["spec": ["replicas": 0]])
        #expect(w.configReferences(d).configMaps == ["settings"])
        #expect(w.checksum(d, configs: []) == ReleaseChecksum.compute(podTemplate: d[path: ["spec", "template"]]))
        var next = d
        next[path: ["spec", "template", "spec", "containers"]][0]["image"] = "a:2"
        #expect(w.checksum(next, configs: []) != w.checksum(d, configs: []))
    }
}
