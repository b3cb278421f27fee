import Foundation
import KubeCore
import KubeTestServer
import Testing

/// The simulator against a real test server, judged the way `kubectl rollout status` and
/// Flagger judge a Deployment.
@Suite struct WorkloadSimulatorTests {
    static func deployment(_ name: String, replicas: Int = 3, image: String = "podinfo:1", extra: JSONValue = [:]) -> JSONValue {
        var d: JSONValue = [
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": ["name": .string(name), "namespace": "default"],
            "spec": [
                "replicas": .int(Int64(replicas)),
                "selector": ["matchLabels": ["app": .string(name)]],
                "template": [
                    "metadata": ["labels": ["app": .string(name)]],
                    "spec": ["containers": [["name": "app", "image": .string(image)]]],
                ],
            ],
        ]
        for (k, v) in extra.objectValue ?? [:] { d["spec"][k] = v }
        return d
    }

    /// kubectl's DeploymentStatusViewer: nil when complete, else what it would print (or the error).
    static func rolloutStatus(_ d: JSONValue) -> String? {
        let st = d["status"]
        guard (d.generation ?? 0) <= (st["observedGeneration"].intValue ?? 0) else { return "waiting for spec update to be observed" }
        let progressing = (st["conditions"].arrayValue ?? []).first { $0["type"] == "Progressing" }
        if progressing?["reason"] == "ProgressDeadlineExceeded" { return "exceeded its progress deadline" }
        let updated = st["updatedReplicas"].intValue ?? 0
        if let want = d[path: ["spec", "replicas"]].intValue, updated < want { return "\(updated) out of \(want) new replicas updated" }
        if (st["replicas"].intValue ?? 0) > updated { return "old replicas pending termination" }
        if (st["availableReplicas"].intValue ?? 0) < updated { return "updated replicas not available" }
        return nil
    }

    static func condition(_ d: JSONValue, _ type: String) -> JSONValue {
        (d[path: ["status", "conditions"]].arrayValue ?? []).first { $0["type"].stringValue == type } ?? .null
    }

    struct Fixture {
        let server: TestAPIServer
        let sim: WorkloadSimulator
        var api: any KubeAPI { server.api }

        func get(_ name: String, _ r: ResourceType = .deployments) async throws -> JSONValue {
            try await api.get(r, namespace: "default", name: name)
        }

        /// Polls until `check` holds; fails the test with the last object at the deadline.
        @discardableResult
        func eventually(
            _ name: String, _ what: String, _ r: ResourceType = .deployments, within: Duration = .seconds(5),
            _ check: (JSONValue) -> Bool
        ) async throws -> JSONValue {
            let deadline = ContinuousClock.now + within
            var last: JSONValue = .null
            while ContinuousClock.now < deadline {
                last = try await get(name, r)
                if check(last) { return last }
                try await Task.sleep(for: .milliseconds(20))
            }
            Issue.record("timed out waiting for \(what); last status: \(last["status"].serialized())")
            return last
        }

        func mergePatch(_ name: String, _ patch: JSONValue, _ r: ResourceType = .deployments) async throws {
            _ = try await api.patch(r, namespace: "default", name: name, type: .merge, patch)
        }
    }

    static func with(readyDelay: Duration = .milliseconds(300), _ body: (Fixture) async throws -> Void) async throws {
        var options = TestAPIServer.Options()
        options.simulateWorkloads = false
        options.tls = false
        let server = try await TestAPIServer.start(options)
        let sim = WorkloadSimulator(api: server.api, readyDelay: readyDelay)
        sim.start()
        do {
            try await body(Fixture(server: server, sim: sim))
        } catch {
            await sim.stop()
            try? await server.stop()
            throw error
        }
        await sim.stop()
        try await server.stop()
    }

    @Test func deploymentBecomesReadyAfterTheDelay() async throws {
        try await Self.with(readyDelay: .milliseconds(600)) { f in
            let created = try await f.api.create(.deployments, namespace: "default", Self.deployment("web"))
            let start = ContinuousClock.now
            // First the controller observes the generation and reports the rollout under way.
            let progressing = try await f.eventually("web", "observed generation") { $0[path: ["status", "observedGeneration"]] == 1 }
            #expect(Self.rolloutStatus(progressing) != nil)
            #expect(Self.condition(progressing, "Progressing")["reason"] == "ReplicaSetUpdated")
            #expect(progressing[path: ["status", "updatedReplicas"]] == 3)
            #expect(progressing[path: ["status", "unavailableReplicas"]] == 3)
            #expect(Self.condition(progressing, "Available")["status"] == "False")

            let ready = try await f.eventually("web", "rollout complete") { Self.rolloutStatus($0) == nil }
            #expect(ContinuousClock.now - start >= .milliseconds(500))
            let st = ready["status"]
            #expect(st["observedGeneration"] == .int(Int64(created.generation ?? 1)))
            #expect(st["replicas"] == 3 && st["updatedReplicas"] == 3 && st["readyReplicas"] == 3 && st["availableReplicas"] == 3)
            #expect(st["unavailableReplicas"] == .null)
            let available = Self.condition(ready, "Available")
            #expect(available["status"] == "True" && available["reason"] == "MinimumReplicasAvailable")
            let prog = Self.condition(ready, "Progressing")
            #expect(prog["status"] == "True" && prog["reason"] == "NewReplicaSetAvailable")
            #expect(prog["message"].stringValue?.hasPrefix("ReplicaSet \"web-") == true)
            #expect(prog["lastTransitionTime"].stringValue?.hasSuffix("Z") == true)
        }
    }

    @Test func newGenerationRollsOutAgainAndKeepsOldPodsAvailable() async throws {
        try await Self.with { f in
            _ = try await f.api.create(.deployments, namespace: "default", Self.deployment("web"))
            try await f.eventually("web", "first rollout") { Self.rolloutStatus($0) == nil }
            try await f.mergePatch("web", ["spec": ["template": ["spec": ["containers": [["name": "app", "image": "podinfo:2"]]]]]])
            let mid = try await f.eventually("web", "generation 2 observed") { $0[path: ["status", "observedGeneration"]] == 2 }
            #expect(Self.rolloutStatus(mid) == "old replicas pending termination")
            #expect(mid[path: ["status", "replicas"]] == 6 && mid[path: ["status", "updatedReplicas"]] == 3)
            // RollingUpdate: the old pods still serve, so the Deployment stays Available.
            #expect(Self.condition(mid, "Available")["status"] == "True")
            let done = try await f.eventually("web", "second rollout") { Self.rolloutStatus($0) == nil && $0.generation == 2 }
            #expect(Self.condition(done, "Progressing")["reason"] == "NewReplicaSetAvailable")
        }
    }

    @Test func zeroReplicasReportsAllZero() async throws {
        try await Self.with { f in
            _ = try await f.api.create(.deployments, namespace: "default", Self.deployment("web"))
            try await f.eventually("web", "ready") { Self.rolloutStatus($0) == nil }
            try await f.mergePatch("web", ["spec": ["replicas": 0]])
            let d = try await f.eventually("web", "scaled to zero") { $0[path: ["status", "observedGeneration"]] == 2 }
            for field in ["replicas", "updatedReplicas", "readyReplicas", "availableReplicas", "unavailableReplicas"] {
                #expect(d["status"][field].intValue ?? 0 == 0, "\(field)")
            }
            #expect(Self.rolloutStatus(d) == nil)
            #expect(Self.condition(d, "Available")["status"] == "True")
        }
    }

    @Test func pausedDeploymentDoesNotRollOut() async throws {
        try await Self.with { f in
            _ = try await f.api.create(.deployments, namespace: "default", Self.deployment("web"))
            try await f.eventually("web", "ready") { Self.rolloutStatus($0) == nil }
            try await f.mergePatch(
                "web", ["spec": ["paused": true, "template": ["spec": ["containers": [["name": "app", "image": "podinfo:2"]]]]]])
            let paused = try await f.eventually("web", "paused observed") {
                Self.condition($0, "Progressing")["reason"] == "DeploymentPaused"
            }
            #expect(Self.condition(paused, "Progressing")["status"] == "Unknown")
            #expect(paused[path: ["status", "updatedReplicas"]].intValue ?? 0 == 0)
            #expect(paused[path: ["status", "availableReplicas"]] == 3)
            try await Task.sleep(for: .milliseconds(700))
            #expect(Self.rolloutStatus(try await f.get("web")) != nil, "a paused rollout must not complete")
            try await f.mergePatch("web", ["spec": ["paused": false]])
            try await f.eventually("web", "resumed rollout") { Self.rolloutStatus($0) == nil && $0.generation == 3 }
        }
    }

    @Test func neverReadyStaysUnreadyUntilTheProgressDeadline() async throws {
        try await Self.with(readyDelay: .milliseconds(100)) { f in
            f.sim.neverReady(namespace: "default", name: "stuck")
            _ = try await f.api.create(
                .deployments, namespace: "default", Self.deployment("stuck", extra: ["progressDeadlineSeconds": 2]))
            try await f.eventually("stuck", "observed") { $0[path: ["status", "observedGeneration"]] == 1 }
            try await Task.sleep(for: .milliseconds(800))
            let d = try await f.get("stuck")
            #expect(Self.rolloutStatus(d) == "updated replicas not available")
            #expect(Self.condition(d, "Progressing")["reason"] == "ReplicaSetUpdated")
            let failed = try await f.eventually("stuck", "progress deadline", within: .seconds(5)) {
                Self.condition($0, "Progressing")["reason"] == "ProgressDeadlineExceeded"
            }
            #expect(Self.rolloutStatus(failed) == "exceeded its progress deadline")
        }
    }

    @Test func failProgressDeadlineThenClearOverrides() async throws {
        try await Self.with { f in
            f.sim.failProgressDeadline(namespace: "default", name: "bad")
            _ = try await f.api.create(.deployments, namespace: "default", Self.deployment("bad"))
            let failed = try await f.eventually("bad", "failure") {
                Self.condition($0, "Progressing")["reason"] == "ProgressDeadlineExceeded"
            }
            let cond = Self.condition(failed, "Progressing")
            #expect(cond["status"] == "False")
            #expect(cond["message"].stringValue?.hasSuffix("has timed out progressing.") == true)
            #expect(Self.condition(failed, "Available")["reason"] == "MinimumReplicasUnavailable")
            f.sim.clearOverrides(namespace: "default", name: "bad")
            try await f.eventually("bad", "recovery after clearing") { Self.rolloutStatus($0) == nil }
        }
    }

    @Test func noWritesOnceSettled() async throws {
        try await Self.with(readyDelay: .milliseconds(100)) { f in
            _ = try await f.api.create(.deployments, namespace: "default", Self.deployment("quiet"))
            let ready = try await f.eventually("quiet", "ready") { Self.rolloutStatus($0) == nil }
            try await Task.sleep(for: .milliseconds(800))
            #expect(try await f.get("quiet").resourceVersion == ready.resourceVersion)
            // A metadata-only change (no new generation) does not make the simulator write either.
            try await f.mergePatch("quiet", ["metadata": ["labels": ["touched": "yes"]]])
            let touched = try await f.get("quiet")
            try await Task.sleep(for: .milliseconds(500))
            #expect(try await f.get("quiet").resourceVersion == touched.resourceVersion)
        }
    }

    @Test func replicaSetsGetReadyPodsAndScale() async throws {
        try await Self.with { f in
            let rs: JSONValue = [
                "apiVersion": "apps/v1", "kind": "ReplicaSet",
                "metadata": ["name": "web-abc", "namespace": "default"],
                "spec": [
                    "replicas": 2, "selector": ["matchLabels": ["app": "web"]],
                    "template": ["metadata": ["labels": ["app": "web"]], "spec": ["containers": [["name": "app", "image": "x"]]]],
                ],
            ]
            _ = try await f.api.create(.replicaSets, namespace: "default", rs)
            let first = try await f.eventually("web-abc", "observed", .replicaSets) { $0[path: ["status", "observedGeneration"]] == 1 }
            #expect(first[path: ["status", "replicas"]] == 2)
            let ready = try await f.eventually("web-abc", "ready", .replicaSets) { $0[path: ["status", "readyReplicas"]] == 2 }
            #expect(ready[path: ["status", "availableReplicas"]] == 2)
            #expect(ready[path: ["status", "fullyLabeledReplicas"]] == 2)
            try await f.mergePatch("web-abc", ["spec": ["replicas": 0]], .replicaSets)
            let zero = try await f.eventually("web-abc", "scaled to zero", .replicaSets) {
                $0[path: ["status", "observedGeneration"]] == 2
            }
            #expect(zero[path: ["status", "replicas"]] == 0)
            #expect(zero[path: ["status", "readyReplicas"]] == .null)
        }
    }

    @Test func neverReadyReplicaSetKeepsItsPodsUnready() async throws {
        try await Self.with(readyDelay: .milliseconds(100)) { f in
            f.sim.neverReady(namespace: "default", name: "slow")
            let rs: JSONValue = [
                "apiVersion": "apps/v1", "kind": "ReplicaSet",
                "metadata": ["name": "slow", "namespace": "default"],
                "spec": [
                    "replicas": 2, "selector": ["matchLabels": ["app": "slow"]],
                    "template": ["metadata": ["labels": ["app": "slow"]], "spec": ["containers": [["name": "app", "image": "x"]]]],
                ],
            ]
            _ = try await f.api.create(.replicaSets, namespace: "default", rs)
            try await f.eventually("slow", "observed", .replicaSets) { $0[path: ["status", "observedGeneration"]] == 1 }
            try await Task.sleep(for: .milliseconds(600))
            let still = try await f.get("slow", .replicaSets)
            #expect(still[path: ["status", "replicas"]] == 2)
            #expect(still[path: ["status", "readyReplicas"]] == .null)
            f.sim.clearOverrides(namespace: "default", name: "slow")
            try await f.eventually("slow", "ready after clearing", .replicaSets) { $0[path: ["status", "readyReplicas"]] == 2 }
        }
    }

    @Test func recreateHasNoPodsServingDuringTheRollout() async throws {
        try await Self.with { f in
            _ = try await f.api.create(.deployments, namespace: "default", Self.deployment("re", extra: ["strategy": ["type": "Recreate"]]))
            try await f.eventually("re", "first rollout") { Self.rolloutStatus($0) == nil }
            try await f.mergePatch("re", ["spec": ["template": ["spec": ["containers": [["name": "app", "image": "podinfo:2"]]]]]])
            let mid = try await f.eventually("re", "generation 2 observed") { $0[path: ["status", "observedGeneration"]] == 2 }
            #expect(Self.rolloutStatus(mid) == "updated replicas not available")
            #expect(Self.condition(mid, "Available")["status"] == "False")
            try await f.eventually("re", "second rollout") { Self.rolloutStatus($0) == nil && $0.generation == 2 }
        }
    }

    @Test func serverRunsTheSimulatorByDefault() async throws {
        var options = TestAPIServer.Options()
        options.tls = false
        let server = try await TestAPIServer.start(options)
        let sim = try #require(server.workloads)
        let f = Fixture(server: server, sim: sim)
        do {
            sim.failProgressDeadline(namespace: "default", name: "doomed")
            _ = try await server.api.create(.deployments, namespace: "default", Self.deployment("fine"))
            _ = try await server.api.create(.deployments, namespace: "default", Self.deployment("doomed"))
            try await f.eventually("fine", "ready") { Self.rolloutStatus($0) == nil }
            try await f.eventually("doomed", "failed") { Self.rolloutStatus($0) == "exceeded its progress deadline" }
        } catch {
            try? await server.stop()
            throw error
        }
        try await server.stop()
    }

    @Test func keepsWorkingAfterWatchesCloseAndHistoryIsForgotten() async throws {
        try await Self.with(readyDelay: .milliseconds(100)) { f in
            _ = try await f.api.create(.deployments, namespace: "default", Self.deployment("web"))
            try await f.eventually("web", "ready") { Self.rolloutStatus($0) == nil }
            f.server.faults.forgetHistory()
            f.server.faults.closeAllWatches()
            try await f.mergePatch("web", ["spec": ["replicas": 5]])
            let d = try await f.eventually("web", "scaled after resume") {
                Self.rolloutStatus($0) == nil && $0[path: ["status", "availableReplicas"]] == 5
            }
            #expect(d[path: ["status", "observedGeneration"]] == 2)
        }
    }
}
