import Foundation
import KubeCore
import SerinAPI
import Testing
import SerinTestSupport

/// Canary-step and blue-green Rollouts with analysis, released through real `serin operator`
/// processes that are killed with SIGKILL at random moments (and soon after phase changes) and
/// started again. Status is written before any effect, so every Rollout must end as an
/// uninterrupted run ends: weights only forward (back to 0 on abort or after promotion), no
/// step skipped or repeated, an abort ending with the stable at 100%, and the active Service
/// switching only to a fully available ReplicaSet.
@Suite("Fault tolerance: SIGKILL at any moment (Rollouts)", .serialized)
struct RolloutCrashRestartTests {
    static let goodCanaries = ["ro-alpha", "ro-bravo"]
    static let badCanary = "ro-echo"
    static let goodBlueGreen = "bg-alpha"
    static let badBlueGreen = "bg-echo"
    static var bad: Set<String> { [badCanary, badBlueGreen] }
    static var all: [String] { goodCanaries + [badCanary, goodBlueGreen, badBlueGreen] }
    static let replicas = 4

    @Test("every Rollout ends as an uninterrupted run does, across ≥ 20 kills", .timeLimit(.minutes(3)))
    func killedAtRandomMoments() async throws {
        let seed = SeededRandom.seed()
        print("RolloutCrashRestartTests seed \(seed) (replay with SERIN_FAULT_SEED=\(seed))")
        let cluster = try await FaultCluster.start(readyDelay: .milliseconds(1200))
        let ns = cluster.namespace
        cluster.prometheus.setScript { q in
            let service = Self.serviceLabel(q) ?? ""
            return .value(Self.bad.contains(service) ? 0.5 : 0.99)
        }
        _ = try await cluster.api.create(.analysisTemplates, namespace: ns, Self.template(prometheus: cluster.prometheus.address))
        let rollouts = try await ObjectRecorder.start(api: cluster.api, resource: .rollouts, namespace: ns, projection: RolloutView.projection)
        let routes = try await ObjectRecorder.start(api: cluster.api, resource: .virtualServices, namespace: ns,
                                                    projection: CanaryView.istioWeight)
        let services = try await ObjectRecorder.start(api: cluster.api, resource: .services, namespace: ns, projection: RolloutView.selector)
        let replicaSets = try await ObjectRecorder.start(api: cluster.api, resource: .replicaSets, namespace: ns,
                                                         projection: RolloutView.availability)
        for n in Self.goodCanaries + [Self.badCanary] { try await Self.createCanaryRollout(n, cluster) }
        for n in [Self.goodBlueGreen, Self.badBlueGreen] { try await Self.createBlueGreenRollout(n, cluster) }

        @Sendable func currentPhases() -> [String: String] {
            var out: [String: String] = [:]
            for n in Self.all { out[n] = rollouts.latest(n)?["status"]["phase"].stringValue ?? "-" }
            return out
        }
        @Sendable func stableHash(_ n: String) -> String? { rollouts.latest(n)?["status"]["stableRS"].stringValue }

        let killer = Killer(seed: seed)
        let spawned = SpawnCounter()
        killer.start(lifetime: 0.6...2.0, targetPhases: ["Progressing", "Paused", "Degraded"],
                     spawn: { try cluster.startOperator(identity: "op-ro-crash", log: "op-ro-crash-\(spawned.next())",
                                                        extra: CrashRestartTests.fastClient) },
                     phases: currentPhases)

        let healthy = await eventually(timeout: .seconds(60), every: .milliseconds(50)) {
            currentPhases().values.allSatisfy { $0 == "Healthy" } && Self.all.allSatisfy { stableHash($0) != nil }
        }
        #expect(healthy, "not all Healthy: \(currentPhases())")
        var firstHashes: [String: String] = [:]
        for n in Self.all { firstHashes[n] = stableHash(n) }
        let v1 = firstHashes
        for n in Self.all { try await Self.setImage(n, "app:2", cluster) }
        @Sendable func finished() -> Bool {
            let p = currentPhases()
            return Self.all.allSatisfy { n in
                guard let stable = stableHash(n) else { return false }
                return Self.bad.contains(n) ? p[n] == "Degraded" : p[n] == "Healthy" && stable != v1[n]
            }
        }
        let done = await eventually(timeout: .seconds(100), every: .milliseconds(50)) { finished() }
        _ = await eventually(timeout: .seconds(40), every: .milliseconds(100)) { killer.kills.count >= 20 }
        await killer.stop()
        #expect(done, "rollouts did not finish: \(currentPhases()); killer: \(killer.stage), spawn errors \(killer.spawnErrors)")

        // A last, uninterrupted operator changes nothing.
        let before = rollouts.versions.count
        let last = try cluster.startOperator(identity: "op-ro-crash", log: "op-ro-crash-last", extra: CrashRestartTests.fastClient)
        try await Task.sleep(for: .seconds(2))
        let after = rollouts.versions.suffix(3).map(\.projection)
        #expect(rollouts.versions.count == before, "a restart after the end rewrote status: \(after)")
        last.terminate()
        #expect(await last.waitForExit(timeout: .seconds(15)) == 0)

        let kills = killer.kills
        print("RolloutCrashRestartTests: \(kills.count) kills; phases hit: \(Set(kills.flatMap { $0.phases.values }).sorted())")
        #expect(kills.count >= 20)
        let selfEnded = killer.endings.filter { $0 != "signal 9" }
        #expect(selfEnded.isEmpty, "an operator died on its own: \(killer.endings)")
        let condition1 = Set(kills.flatMap { $0.phases.values }).contains("Progressing")
        #expect(condition1, "no kill while Progressing")

        // Canary steps: setWeight 20, analysis, setWeight 50, pause 1s.
        for n in Self.goodCanaries + [Self.badCanary] {
            let vs = rollouts.versions(of: n)
            let failing = n == Self.badCanary
            let steps = CanaryView.folded(vs.compactMap { $0.projection["step"].intValue })
            #expect(steps == (failing ? [4, 0, 1, 0] : [4, 0, 1, 2, 3, 4]), "\(n) step indexes \(steps)")
            let weights = CanaryView.folded(routes.versions(of: n).compactMap { $0.projection.intValue })
            #expect(weights == (failing ? [0, 20, 0] : [0, 20, 50, 0]), "\(n) VirtualService weights \(weights)")
            let final = rollouts.latest(n)?["status"]
            if failing {
                #expect(final?["abort"] == true && final?["stableRS"].stringValue == v1[n], "\(n): \(final ?? .null)")
            }
        }
        // Blue-green: the active Service switches once (good) or never (bad), and only to a
        // ReplicaSet with all its pods available at that moment.
        for n in [Self.goodBlueGreen, Self.badBlueGreen] {
            let active = services.versions(of: "\(n)-active")
            let hashes = CanaryView.folded(active.compactMap { $0.projection.stringValue })
            let v2 = stableHash(n)
            #expect(hashes == (n == Self.badBlueGreen ? [v1[n]!] : [v1[n]!, v2!]), "\(n) active selector \(hashes)")
            for (i, v) in active.enumerated() where i > 0 && v.projection != active[i - 1].projection {
                guard let hash = v.projection.stringValue else { continue }
                let rs = replicaSets.versions(of: "\(n)-\(hash)").last { $0.time <= v.time }?.projection
                let available = rs?["available"].intValue ?? 0
                #expect(available >= Self.replicas, "\(n): active switched to \(hash) with \(available)/\(Self.replicas) pods available")
            }
        }
        rollouts.stop()
        routes.stop()
        services.stop()
        replicaSets.stop()
        await cluster.stop()
    }

    // MARK: - Objects

    /// `service="NAME"` in the template's query.
    static func serviceLabel(_ query: String) -> String? {
        guard let r = query.range(of: "service=\"") else { return nil }
        return String(query[r.upperBound...].prefix { $0 != "\"" })
    }

    static func template(prometheus: String) -> JSONValue {
        [
            "apiVersion": "serin.dev/v1alpha1", "kind": "AnalysisTemplate",
            "metadata": ["name": "success-rate"],
            "spec": [
                "args": [["name": "service"]],
                "metrics": [[
                    "name": "success-rate", "interval": "1s", "count": 2, "failureLimit": 0,
                    "successCondition": "result[0] >= 0.95",
                    "provider": ["prometheus": ["address": .string(prometheus),
                                                "query": "sum(rate(requests{service=\"{{args.service}}\"}[1m]))"]],
                ]],
            ],
        ]
    }

    static func podTemplate(_ name: String, image: String) -> JSONValue {
        ["metadata": ["labels": ["app": .string(name)]],
         "spec": ["containers": [["name": "app", "image": .string(image)]]]]
    }

    static func analysisArgs(_ name: String) -> JSONValue {
        ["templates": [["templateName": "success-rate"]], "args": [["name": "service", "value": .string(name)]]]
    }

    static func service(_ name: String, app: String) -> JSONValue {
        ["apiVersion": "v1", "kind": "Service", "metadata": ["name": .string(name)],
         "spec": ["selector": ["app": .string(app)], "ports": [["port": 80, "targetPort": 3000]]]]
    }

    /// A Rollout of `replicas` pods `app: NAME` on image app:1 with `strategy`.
    static func rollout(_ name: String, strategy: JSONValue) -> JSONValue {
        [
            "apiVersion": "serin.dev/v1alpha1", "kind": "Rollout", "metadata": ["name": .string(name)],
            "spec": [
                "replicas": .int(Int64(replicas)),
                "selector": ["matchLabels": ["app": .string(name)]],
                "template": podTemplate(name, image: "app:1"),
                "strategy": strategy,
            ],
        ]
    }

    static func createCanaryRollout(_ name: String, _ cluster: FaultCluster) async throws {
        let ns = cluster.namespace
        for s in ["\(name)-stable", "\(name)-canary"] {
            _ = try await cluster.api.create(.services, namespace: ns, service(s, app: name))
        }
        let vs: JSONValue = [
            "apiVersion": "networking.istio.io/v1beta1", "kind": "VirtualService", "metadata": ["name": .string(name)],
            "spec": ["hosts": [.string(name)], "http": [[
                "name": "primary",
                "route": [["destination": ["host": .string("\(name)-stable")], "weight": 100],
                          ["destination": ["host": .string("\(name)-canary")], "weight": 0]],
            ]]],
        ]
        _ = try await cluster.api.create(.virtualServices, namespace: ns, vs)
        _ = try await cluster.api.create(.rollouts, namespace: ns, rollout(name, strategy: ["canary": [
            "canaryService": .string("\(name)-canary"), "stableService": .string("\(name)-stable"),
            "trafficRouting": ["istio": ["virtualService": ["name": .string(name), "routes": ["primary"]]]],
            "steps": [["setWeight": 20], ["analysis": analysisArgs(name)], ["setWeight": 50], ["pause": ["duration": "1s"]]],
        ]]))
    }

    static func createBlueGreenRollout(_ name: String, _ cluster: FaultCluster) async throws {
        let ns = cluster.namespace
        for s in ["\(name)-active", "\(name)-preview"] {
            _ = try await cluster.api.create(.services, namespace: ns, service(s, app: name))
        }
        _ = try await cluster.api.create(.rollouts, namespace: ns, rollout(name, strategy: ["blueGreen": [
            "activeService": .string("\(name)-active"), "previewService": .string("\(name)-preview"),
            "prePromotionAnalysis": analysisArgs(name), "scaleDownDelaySeconds": 2,
        ]]))
    }

    static func setImage(_ name: String, _ image: String, _ cluster: FaultCluster) async throws {
        _ = try await cluster.api.patch(.rollouts, namespace: cluster.namespace, name: name, type: .merge,
                                        ["spec": ["template": podTemplate(name, image: image)]])
    }
}

/// What the recorders keep of Rollouts, Services and ReplicaSets.
enum RolloutView {
    static let projection: @Sendable (JSONValue) -> JSONValue = { r in
        let s = r["status"]
        return ["phase": s["phase"], "step": s["currentStepIndex"], "stableRS": s["stableRS"], "abort": s["abort"]]
    }

    /// The pod-template hash a Service selects.
    static let selector: @Sendable (JSONValue) -> JSONValue = { svc in
        svc[path: ["spec", "selector", RolloutLabels.podTemplateHash]]
    }

    static let availability: @Sendable (JSONValue) -> JSONValue = { rs in
        ["replicas": rs[path: ["spec", "replicas"]], "available": rs[path: ["status", "availableReplicas"]]]
    }
}
