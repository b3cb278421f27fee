import Delivery
import KubeCore
import Testing
import Traffic
import Workloads

@Suite struct WorkloadTests {
    @Test func registryFindsTheDeployment() {
        #expect(Workloads.workload(forKind: "Deployment")?.resource == .deployments)
        #expect(Workloads.workload(forKind: "DaemonSet")?.resource == .daemonSets)
        #expect(Workloads.workload(forKind: "StatefulSet") == nil)
        #expect(Workloads.all.count == 2)
    }

    @Test func daemonSetScalesToZeroByNodeSelectorAndCountsNewPodsOnly() throws {
        let w = Workloads.daemonSet
        let key = DaemonSetWorkload.scaleToZeroKey
        let ds: JSONValue = ["metadata": ["name": "agent", "namespace": "mon", "generation": 2],
                             "spec": ["selector": ["matchLabels": ["app": "agent"]],
                                      "template": ["metadata": ["labels": ["app": "agent"]],
                                                   "spec": ["nodeSelector": ["kubernetes.io/os": "linux"],
                                                            "containers": [["name": "a", "image": "a:1"]]]]],
                             "status": ["observedGeneration": 2, "desiredNumberScheduled": 3, "updatedNumberScheduled": 2,
                                        "numberAvailable": 3, "numberReady": 3]]
        #expect(w.state(ds) == WorkloadState(desiredReplicas: 3, readyReplicas: 2, updatedReplicas: 2, generationObserved: true))
        #expect(w.replicas(ds) == 1)
        // Scaling to zero adds the key (a merge patch keeps the user's nodeSelector); up removes it.
        #expect(w.scalePatch(replicas: 0)[path: ["spec", "template", "spec", "nodeSelector", key]] == "true")
        let up = w.scalePatch(replicas: 1)[path: ["spec", "template", "spec", "nodeSelector"]].objectValue
        #expect(up?[key] == .null)
        #expect(up?.keys.contains(key) == true)
        var idle = ds
        idle[path: ["spec", "template", "spec", "nodeSelector", key]] = "true"
        #expect(w.replicas(idle) == 0)
        // The key is not a release, and the primary never carries it (nor replicas).
        #expect(w.checksum(idle, configs: []) == w.checksum(ds, configs: []))
        let sel = try #require(SelectorLabel(target: ds))
        let primary = w.primary(from: idle, selector: sel, existing: nil, configMaps: [:], secrets: [:], checksum: "c", ownerReference: nil)
        #expect(primary["kind"] == "DaemonSet")
        #expect(primary.name == "agent-primary")
        #expect(primary[path: ["spec", "replicas"]] == .null)
        #expect(primary[path: ["spec", "template", "spec", "nodeSelector"]] == ["kubernetes.io/os": "linux"])
        #expect(primary[path: ["spec", "selector", "matchLabels", "app"]] == "agent-primary")
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
