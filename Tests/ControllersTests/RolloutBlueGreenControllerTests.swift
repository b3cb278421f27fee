import Controllers
import Foundation
import KubeCore
import SerinAPI
import Testing
import SerinTestSupport

/// The seed blue-green Rollout (examples/seed-rollout-bluegreen.yaml, unchanged) and the seed
/// AnalysisTemplate (its Prometheus address pointed at the fake) against the test API server,
/// with real AnalysisRuns measured by the AnalysisRun controller.
@Suite("Rollout controller: blue-green", .serialized, .timeLimit(.minutes(3)))
struct RolloutBlueGreenControllerTests {
    static let name = "order-service-rollout"
    static let active = "order-service-active"
    static let preview = "order-service-preview"

    /// Services, template and the seed Rollout; the operator started; revision 1 Healthy.
    static func deploySeed(_ env: RolloutEnvironment) async throws -> String {
        try await env.createService(active, app: "order-service")
        try await env.createService(preview, app: "order-service")
        try await env.applySeedTemplate()
        _ = try await env.client.create(.rollouts, namespace: env.namespace, try RolloutEnvironment.seedRollout())
        await env.startOperator()
        let healthy = await env.drive { await env.phase(name) == "Healthy" }
        let status = await env.status(name)
        #expect(healthy, "not Healthy: \(status)")
        let stable = try #require(await env.status(name)["stableRS"].stringValue)
        // Status is written first; the Services follow within the same reconcile.
        _ = await eventually(timeout: .seconds(5)) {
            let active = await env.selector(Self.active)
            let preview = await env.selector(Self.preview)
            return active == stable && preview == stable
        }
        return stable
    }

    @Test("seed blue-green end to end: preview, pre-promotion analysis, manual promote, switch, post-promotion analysis, old pods gone 30s later")
    func seedEndToEnd() async throws {
        try await RolloutEnvironment.with { env in
            env.prometheus.set {
                $0.successRate = 0.99
                $0.durationMs = 120
            }
            let recorder = RolloutRecorder.start(env, rollout: Self.name, services: [Self.active, Self.preview])
            defer { recorder.stop() }
            let v1 = try await Self.deploySeed(env)
            #expect(await env.selectorBecomes(Self.active, v1))
            #expect(await env.selectorBecomes(Self.preview, v1))
            let rs1 = try #require(await env.replicaSet(hash: v1))
            #expect(rs1.name == "\(Self.name)-\(v1)")
            #expect(rs1.annotations[RolloutLabels.revision] == "1")
            #expect(rs1[path: ["spec", "replicas"]] == 5)
            // The pod template keeps the user's fields and gets the hash label.
            #expect(rs1[path: ["spec", "template", "metadata", "labels", RolloutLabels.podTemplateHash]].stringValue == v1)
            #expect(rs1[path: ["spec", "template", "spec", "containers"]][0]["resources"]["limits"]["cpu"] == "200m")
            let first = await env.status(Self.name)
            #expect(first["availableReplicas"] == 5)
            #expect(first["blueGreen"]["activeSelector"].stringValue == v1)

            try await env.setImage(Self.name, "myregistry/order-service:v2")
            // The preview comes up with all five pods; the active Service stays on revision 1.
            let previewUp = await env.drive(step: .seconds(1)) {
                let v2 = await env.status(Self.name)["currentPodHash"].stringValue
                guard let v2, v2 != v1 else { return false }
                let selected = await env.selector(Self.preview) == v2
                let available = await env.replicaSet(hash: v2)?[path: ["status", "availableReplicas"]].intValue ?? 0
                return selected && available == 5
            }
            #expect(previewUp)
            let v2 = try #require(await env.status(Self.name)["currentPodHash"].stringValue)
            #expect(await env.selectorBecomes(Self.active, v1))

            // Pre-promotion analysis: a real AnalysisRun with the seed's args, five samples a minute apart.
            let preName = "\(Self.name)-\(v2)-2-pre"
            let preCreated = await env.drive(step: .seconds(1)) { await env.runPhase(preName) != nil }
            #expect(preCreated)
            let preRun = try await env.client.get(.analysisRuns, namespace: env.namespace, name: preName)
            #expect(preRun[path: ["spec", "args"]][0]["value"] == "order-service-preview")
            #expect(preRun.ownerReferences.first?["kind"] == "Rollout")
            #expect(preRun.labels[RolloutLabels.analysisType] == "PrePromotion")
            let prePassed = await env.drive(timeout: .seconds(60)) { await env.runPhase(preName) == "Successful" }
            #expect(prePassed)
            let previewQueried = env.prometheus.queries.contains { $0.contains(#"service="order-service-preview""#) }
            #expect(previewQueried)

            // autoPromotionEnabled: false — paused until promoted, however long.
            let paused = await env.drive { await env.phase(Self.name) == "Paused" }
            #expect(paused)
            await env.advance(.seconds(120), step: .seconds(10))
            #expect(await env.phase(Self.name) == "Paused")
            #expect(await env.selectorBecomes(Self.active, v1))
            let pauseReason = await env.status(Self.name)["pauseConditions"][0]["reason"].stringValue
            #expect(pauseReason == "BlueGreenPause")

            // Promote: the active Service switches in one update, post-promotion analysis runs.
            try await env.annotate(Self.name, ManualControlAnnotations.promote, "1")
            let switched = await env.drive(step: .seconds(1)) { await env.selector(Self.active) == v2 }
            #expect(switched)
            #expect(await env.replicasBecome(hash: v1, 5))  // the old pods wait for the analysis
            let postName = "\(Self.name)-\(v2)-2-post"
            let postPassed = await env.drive(timeout: .seconds(60)) { await env.runPhase(postName) == "Successful" }
            #expect(postPassed)
            let activeQueried = env.prometheus.queries.contains { $0.contains(#"service="order-service-active""#) }
            #expect(activeQueried)
            let healthy = await env.drive(step: .seconds(1)) { await env.phase(Self.name) == "Healthy" }
            #expect(healthy)
            #expect(await env.status(Self.name)["stableRS"].stringValue == v2)

            // The old ReplicaSet keeps its pods scaleDownDelaySeconds (30 s), then goes to zero
            // (the deadline annotation follows the status write).
            _ = await eventually(timeout: .seconds(5)) { await env.replicaSet(hash: v1)?.annotations[RolloutLabels.scaleDownDeadline] != nil }
            let deadline = try #require(await env.replicaSet(hash: v1)?.annotations[RolloutLabels.scaleDownDeadline])
            let due = try #require(KubeTime.parse(deadline))
            let left = due.timeIntervalSince(env.clock.now())
            #expect(left > 25 && left <= 30, "deadline \(left)s away")
            await env.advance(.seconds(Int64(left) - 3))
            #expect(await env.replicasBecome(hash: v1, 5))
            let gone = await env.drive(step: .seconds(1), timeout: .seconds(10)) { await env.replicas(hash: v1) == 0 }
            #expect(gone)
            let goneAfter = env.clock.now().timeIntervalSince(due)
            #expect(goneAfter >= 0 && goneAfter < 8, "scaled down \(goneAfter)s after the deadline")
            #expect(await env.phase(Self.name) == "Healthy")
            #expect(await env.selectorBecomes(Self.active, v2))
            #expect(await env.selectorBecomes(Self.preview, v2))
            #expect(await env.hasEvent(Self.name, reason: "RolloutCompleted", containing: "revision 2"))
            #expect(await env.hasEvent(Self.name, reason: "SwitchService", containing: "'\(Self.active)' from '\(v1)' to '\(v2)'"))

            try? await Task.sleep(for: .milliseconds(50))
            recorder.stop()
            let seen = recorder.sequence
            print("Seed blue-green Rollout, as a user watching it saw (v1=\(v1), v2=\(v2)):")
            for s in seen { print("  \(s)") }
            // The active Service went from v1 to v2 exactly once, never back, never to anything else.
            let actives = seen.map { $0.selectors[0] }.reduce(into: [String]()) { if $0.last != $1 { $0.append($1) } }
            let assigned = actives.filter { $0 != "\(Self.active)=-" }
            #expect(assigned == ["\(Self.active)=\(v1)", "\(Self.active)=\(v2)"], "\(actives)")
            let phases = seen.map(\.phase).reduce(into: [String]()) { if $0.last != $1 { $0.append($1) } }
            let expected = ["Healthy", "Progressing", "Paused", "Progressing", "Healthy"]
            #expect(isSubsequence(expected, of: phases), "\(phases)")
            #expect(phases.last == "Healthy")
        }
    }

    @Test("a failing post-promotion analysis switches the active Service back and aborts")
    func postPromotionFailure() async throws {
        try await RolloutEnvironment.with { env in
            env.prometheus.set { $0.successRate = 0.99 }
            let recorder = RolloutRecorder.start(env, rollout: Self.name, services: [Self.active, Self.preview])
            defer { recorder.stop() }
            let v1 = try await Self.deploySeed(env)
            try await env.setImage(Self.name, "myregistry/order-service:v2")
            let paused = await env.drive(timeout: .seconds(60)) { await env.phase(Self.name) == "Paused" }
            #expect(paused)
            let v2 = try #require(await env.status(Self.name)["currentPodHash"].stringValue)
            // The new version turns bad right after the switch.
            try await env.annotate(Self.name, ManualControlAnnotations.promote, "go")
            let switched = await env.drive(step: .seconds(1)) { await env.selector(Self.active) == v2 }
            #expect(switched)
            env.prometheus.set { $0.successRate = 0.80 }
            let degraded = await env.drive(timeout: .seconds(60)) { await env.phase(Self.name) == "Degraded" }
            #expect(degraded)
            let switchedBack = await eventually(timeout: .seconds(5)) { await env.selector(Self.active) == v1 }
            #expect(switchedBack)
            let st = await env.status(Self.name)
            #expect(st["abort"] == true)
            #expect(st["stableRS"].stringValue == v1)
            let message = st["message"].stringValue ?? ""
            #expect(message.hasPrefix("RolloutAborted:"), "\(message)")
            #expect(message.contains("post-promotion analysis"), "\(message)")
            #expect(await env.runPhase("\(Self.name)-\(v2)-2-post") == "Failed")
            #expect(await env.replicasBecome(hash: v1, 5))
            #expect(await env.hasEvent(Self.name, reason: "RolloutAborted"))
            // The failed version's pods go after abortScaleDownDelaySeconds (30 s).
            let down = await env.drive(step: .seconds(1)) { await env.replicas(hash: v2) == 0 }
            #expect(down)
            #expect(await env.selectorBecomes(Self.active, v1))
            try? await Task.sleep(for: .milliseconds(50))
            recorder.stop()
            print("Seed blue-green Rollout with a failing post-promotion analysis (v1=\(v1), v2=\(v2)):")
            for sample in recorder.sequence { print("  \(sample)") }
        }
    }

    @Test("undo to the previous revision: the old ReplicaSet is reused at once, without analysis")
    func undo() async throws {
        try await RolloutEnvironment.with { env in
            env.prometheus.set { $0.successRate = 0.99 }
            let v1 = try await Self.deploySeed(env)
            try await env.setImage(Self.name, "myregistry/order-service:v2")
            _ = await env.drive(timeout: .seconds(60)) { await env.phase(Self.name) == "Paused" }
            try await env.annotate(Self.name, ManualControlAnnotations.promote, "1")
            let promoted = await env.drive(timeout: .seconds(60)) { await env.phase(Self.name) == "Healthy" }
            #expect(promoted)
            let v2 = try #require(await env.status(Self.name)["stableRS"].stringValue)
            #expect(v2 != v1)
            let runsBefore = await env.runs().count

            try await env.annotate(Self.name, ManualControlAnnotations.undo, "previous")
            let back = await env.drive(step: .seconds(1)) {
                let stable = await env.status(Self.name)["stableRS"].stringValue
                let phase = await env.phase(Self.name)
                return stable == v1 && phase == "Healthy"
            }
            let status = await env.status(Self.name)
            #expect(back, "\(status)")
            let activeBack = await eventually(timeout: .seconds(5)) { await env.selector(Self.active) == v1 }
            #expect(activeBack)
            #expect(await env.runs().count == runsBefore)  // revision 1 was stable: no analysis
            let rs1 = await env.replicaSet(hash: v1)
            #expect(rs1?.annotations[RolloutLabels.revision] == "3")
            #expect(await env.replicaSets(of: Self.name).count == 2)
            let image = await env.rollout(Self.name)[path: ["spec", "template", "spec", "containers"]][0]["image"]
            #expect(image == "myregistry/order-service:latest")
            #expect(await env.hasEvent(Self.name, reason: "RolloutUndo", containing: "revision 1"))
        }
    }

    @Test("an HPA scales the Rollout through the scale subresource")
    func scaleSubresource() async throws {
        try await RolloutEnvironment.with { env in
            let v1 = try await Self.deploySeed(env)
            var scale = try await env.client.get(.rollouts, namespace: env.namespace, name: Self.name, subresource: "scale")
            #expect(scale["spec"]["replicas"] == 5)
            #expect(scale["status"]["replicas"] == 5)
            #expect(scale["status"]["selector"].stringValue == "app=order-service,\(RolloutLabels.podTemplateHash)=\(v1)")
            // What the HPA controller does: update the Scale's spec.replicas.
            scale["spec"]["replicas"] = 8
            _ = try await env.client.update(.rollouts, namespace: env.namespace, scale, subresource: "scale")
            let scaled = await env.drive(step: .seconds(1)) {
                let available = await env.replicaSet(hash: v1)?[path: ["status", "availableReplicas"]].intValue
                let shown = try? await env.client.get(.rollouts, namespace: env.namespace, name: Self.name, subresource: "scale")
                return available == 8 && shown?["status"]["replicas"] == 8
            }
            #expect(scaled)
            #expect(await env.rollout(Self.name)[path: ["spec", "replicas"]] == 8)
            let healthy = await env.drive(step: .seconds(1)) { await env.phase(Self.name) == "Healthy" }
            #expect(healthy)
        }
    }
}

/// Whether `needle` appears in `haystack` in order (other elements may come between).
func isSubsequence(_ needle: [String], of haystack: [String]) -> Bool {
    var i = 0
    for h in haystack where i < needle.count && h == needle[i] { i += 1 }
    return i == needle.count
}
