import Foundation
import Testing

@Suite struct SimulateCommandTests {
    func write(_ text: String) throws -> String {
        let path = NSTemporaryDirectory() + "serin-sim-\(UUID().uuidString).yaml"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// The rows of the table that follows `heading` (its indented lines).
    func section(_ output: String, after heading: String) -> [String] {
        guard let start = output.range(of: heading + "\n") else { return [] }
        var rows: [String] = []
        for line in output[start.upperBound...].split(separator: "\n", omittingEmptySubsequences: false) {
            guard line.hasPrefix("  ") else { break }
            rows.append(String(line))
        }
        return rows
    }

    @Test func seedCanaryFollowsItsWeightPlan() async throws {
        let path = repoRoot.appendingPathComponent("examples/seed-canary.yaml").path
        let r = await runCLI(["simulate", path])
        #expect(r.code == 0)
        let out = r.output
        #expect(out.hasPrefix("Canary microservices/user-service-canary (provider istio)\n"))
        #expect(out.contains("Plan: canary: +5% every 1m up to 50%, rollback after 10 failed checks"))
        #expect(out.contains("Canary weights: 5, 10, 15, 20, 25, 30, 35, 40, 45, 50\n"))
        // The first step as soon as the canary is ready (the Deployment watch wakes the operator), then one per interval.
        let rows = section(out, after: "When every check passes:")
        let five = rows.first { $0.contains("weight 0 → 5") } ?? ""
        let ten = rows.first { $0.contains("weight 5 → 10") } ?? ""
        let fifty = rows.first { $0.contains("weight 45 → 50") } ?? ""
        #expect(five.hasPrefix("  0s "))
        #expect(ten.hasPrefix("  1m "))
        #expect(fifty.hasPrefix("  9m ") && fifty.contains("50%      50%"))
        let succeeded = rows.last ?? ""
        #expect(succeeded.contains("Succeeded") && succeeded.contains("0%       100%"))
        #expect(out.contains("Shortest time to promotion: 10m\n"))
        // Rollback: ten failed checks one interval apart after the first.
        #expect(out.contains("Shortest time to rollback: 10m (the first check fails at 1m; failed check 10 of threshold 10, one per 1m, rolls it back 9m later)"))
        let failing = section(out, after: "When every check fails:")
        let folded = failing.contains { $0.hasPrefix("  1m-9m ") && $0.hasSuffix("(9 times)") }
        #expect(folded)
        #expect(failing.last?.contains("Failed") == true && failing.last?.contains("0%       100%") == true)
        #expect(out.contains("When the new pods never become ready: rolled back after 10m (progressDeadlineSeconds 600)."))
    }

    @Test func blueGreenCanaryKeepsTrafficOnThePrimaryThenSwitches() async throws {
        let path = try write("""
            apiVersion: serin.dev/v1alpha1
            kind: Canary
            metadata: {name: podinfo, namespace: test}
            spec:
              provider: kubernetes
              targetRef: {apiVersion: apps/v1, kind: Deployment, name: podinfo}
              service: {port: 9898}
              analysis:
                interval: 30s
                threshold: 2
                iterations: 10
                metrics:
                - name: request-success-rate
                  thresholdRange: {min: 99}
            """)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let r = await runCLI(["simulate", path, "--ready-seconds", "20"])
        #expect(r.code == 0)
        let rows = section(r.output, after: "When every check passes:")
        let analysing = rows.filter { $0.contains("canary iteration") }
        #expect(analysing.count == 10)
        let allOnPrimary = analysing.allSatisfy { $0.contains("Progressing   0%       100%") }
        #expect(allOnPrimary)
        #expect(analysing.first?.hasPrefix("  20s ") == true)
        #expect(analysing.last?.hasPrefix("  4m50s ") == true && analysing.last?.contains("iteration 10/10") == true)
        #expect(r.output.contains("Canary weights: 100\n"))
        #expect(r.output.contains("Shortest time to promotion: 5m40s"))
        #expect(r.output.contains("Shortest time to rollback: 1m20s (the first check fails at 50s; failed check 2 of threshold 2, one per 30s, rolls it back 30s later)"))
    }

    @Test func abTestingMirroringAndStepWeightPromotion() async throws {
        let path = try write("""
            apiVersion: serin.dev/v1alpha1
            kind: Canary
            metadata: {name: web, namespace: test}
            spec:
              provider: istio
              targetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
              service: {port: 80}
              analysis:
                interval: 1m
                threshold: 2
                iterations: 3
                match: [{headers: {x-canary: {exact: insider}}}]
            ---
            apiVersion: serin.dev/v1alpha1
            kind: Canary
            metadata: {name: shop, namespace: test}
            spec:
              provider: istio
              targetRef: {apiVersion: apps/v1, kind: Deployment, name: shop}
              service: {port: 80}
              analysis:
                interval: 30s
                threshold: 2
                stepWeights: [1, 10, 50]
                stepWeightPromotion: 25
                mirror: true
                mirrorWeight: 20
            """)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let r = await runCLI(["simulate", path])
        #expect(r.code == 0)
        let parts = r.output.components(separatedBy: "\nCanary test/shop")
        #expect(parts.count == 2)
        let ab = section(parts.first ?? "", after: "When every check passes:").map(columns)
        let iterations = ab.filter { $0.last?.contains("canary iteration") == true }
        let matching = iterations.filter { $0.count > 2 && $0[2] == "matching requests" }
        #expect(iterations.count == 3 && matching.count == 3)
        #expect((parts.first ?? "").contains("Shortest time to promotion: 3m\n"))
        let shop = section(parts.last ?? "", after: "When every check passes:").map(columns)
        let mirror = shop.first { $0.last?.hasPrefix("Start traffic mirroring") == true }
        #expect(mirror?.first == "0s" && mirror?[2] == "0% (+20% mirrored)")
        // Promotion moves the primary up by stepWeightPromotion per interval.
        let promotion = shop.filter { $0.last?.contains("primary weight") == true }.map { $0.first ?? "" }
        #expect(promotion == ["2m30s", "3m"])
        #expect((parts.last ?? "").contains("Canary weights: 1, 10, 50, 25\n"))
    }

    @Test func blueGreenRolloutWithItsAnalysisTemplate() async throws {
        let text = try repoFile("examples/seed-rollout-bluegreen.yaml") + "\n---\n" + repoFile("examples/seed-analysistemplate.yaml")
        let path = try write(text)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let r = await runCLI(["simulate", path, "--ready-seconds", "30"])
        #expect(r.code == 0)
        let out = r.output
        #expect(out.hasPrefix("Rollout microservices/order-service-rollout (blue-green)\n"))
        let passing = section(out, after: "When every analysis passes:").map(columns)
        // Preview first; pre-promotion analysis once the preview's pods are ready; five samples a
        // minute apart; the manual promote; the switch; post-promotion analysis; old pods 30 s later.
        let pre = passing.first { $0.last?.hasPrefix("Created pre-promotion AnalysisRun") == true }
        #expect(pre?.first == "30s" && pre?[3] == "active: old, preview: new")
        let paused = passing.first { $0.last?.contains("is paused before the switch until promoted") == true }
        #expect(paused?.first == "4m30s" && paused?[1] == "Paused")
        let switched = passing.first { $0.last?.hasPrefix("Switched selector for service 'order-service-active'") == true }
        #expect(switched?.first == "4m30s" && switched?[3] == "active: new")
        let done = passing.first { $0.last?.hasPrefix("Rollout completed update to revision 2") == true }
        #expect(done?.first == "8m30s" && done?[1] == "Healthy")
        let scaledDown = passing.last ?? []
        #expect(scaledDown.first == "9m" && scaledDown.last?.hasSuffix("(revision 1) from 5 to 0") == true)
        #expect(out.contains("Shortest time to promotion: 8m30s (with 1 manual promotion counted as at once)"))
        // A failing pre-promotion analysis aborts at its first measurement; active never moved.
        let failing = section(out, after: "When every analysis fails at its first chance:").map(columns)
        let aborted = failing.first { $0.last?.hasPrefix("Rollout aborted update to revision 2") == true }
        #expect(aborted?.first == "30s" && aborted?[1] == "Degraded" && aborted?[3] == "active: old")
        #expect(out.contains("Shortest time to rollback: 30s\n"))
    }

    @Test func canaryStepsRolloutThroughTheDecider() async throws {
        let path = try write("""
            apiVersion: serin.dev/v1alpha1
            kind: Rollout
            metadata: {name: web}
            spec:
              replicas: 4
              selector: {matchLabels: {app: web}}
              template:
                metadata: {labels: {app: web}}
                spec: {containers: [{name: web, image: web:1}]}
              strategy:
                canary:
                  canaryService: web-canary
                  stableService: web-stable
                  trafficRouting: {istio: {virtualService: {name: web}}}
                  steps:
                  - setWeight: 20
                  - pause: {duration: 2m}
                  - analysis: {templates: [{templateName: quick}]}
                  - setWeight: 60
                  - pause: {}
                  - analysis: {templates: [{templateName: elsewhere}]}
            ---
            apiVersion: serin.dev/v1alpha1
            kind: AnalysisTemplate
            metadata: {name: quick}
            spec:
              metrics:
              - name: ok
                interval: 30s
                initialDelay: 10s
                count: 3
                failureLimit: 1
                successCondition: result[0] > 0
                provider: {prometheus: {query: up}}
            """)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let r = await runCLI(["simulate", path])
        #expect(r.code == 0)
        let out = r.output
        #expect(out.contains("note: analysis template elsewhere not in the file: taken to pass at once"))
        let rows = section(out, after: "When every analysis passes:").map(columns)
        // setWeight 20 at once; the 2m pause; the analysis (10s delay + 2 × 30s = 1m10s); setWeight 60.
        let twenty = rows.first { $0.last == "Rollout step 1/6 completed (setWeight: 20)" }
        #expect(twenty?.first == "0s" && twenty?[3] == "20%")
        let analysis = rows.first { $0.last?.hasPrefix("Created step AnalysisRun") == true }
        #expect(analysis?.first == "2m")
        let sixty = rows.first { $0.last == "Rollout step 4/6 completed (setWeight: 60)" }
        #expect(sixty?.first == "3m10s" && sixty?[3] == "60%")
        let person = rows.first { $0.last == "serin promote (a person; counted as at once)" }
        #expect(person?.first == "3m10s")
        #expect(out.contains("Shortest time to promotion: 3m10s (with 1 manual promotion counted as at once)"))
        // Failing: the analysis fails after failureLimit 1 + 1 measurements: 10s + 30s after it starts.
        let failing = section(out, after: "When every analysis fails at its first chance:").map(columns)
        let aborted = failing.first { $0.last?.hasPrefix("Rollout aborted update to revision 2") == true }
        #expect(aborted?.first == "2m40s" && aborted?[3] == "0%")
        #expect(out.contains("Shortest time to rollback: 2m40s\n"))
    }

    @Test func anInvalidCanaryIsRefused() async throws {
        let bad = try repoFile("examples/seed-canary.yaml").replacingOccurrences(of: "stepWeight: 5", with: "stepWeight: 80")
        let path = try write(bad)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let r = await runCLI(["simulate", path])
        #expect(r.code == 1)
        #expect(r.errors.contains("Canary user-service-canary is invalid, the operator would not run it"))
        #expect(r.errors.contains("spec.analysis.stepWeight: 80 is greater than maxWeight 50"))
    }

    @Test func pingPongAndMaxTrafficWeightShowInTheTrafficColumn() async throws {
        let rollout = """
            apiVersion: serin.dev/v1alpha1
            kind: Rollout
            metadata: {name: web, namespace: test}
            spec:
              replicas: 2
              selector: {matchLabels: {app: web}}
              template:
                metadata: {labels: {app: web}}
                spec: {containers: [{name: web, image: "web:1"}]}
              strategy:
                canary:
                  pingPong: {pingService: ping, pongService: pong}
                  trafficRouting:
                    maxTrafficWeight: 10
                    alb: {ingress: web, servicePort: 80}
                  steps:
                  - setWeight: 2
                  - pause: {}
            """
        let path = try write(rollout)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let r = await runCLI(["simulate", path])
        #expect(r.code == 0, "\(r.output)\(r.errors)")
        let rows = section(r.output, after: "When every analysis passes:")
        let paused = rows.first { $0.contains("Paused") } ?? ""
        #expect(paused.contains("2/10 via pong"), "\(r.output)")
        let swapped = rows.contains { $0.contains("Service pong is now the stable one of the ping-pong pair") }
        #expect(swapped, "\(r.output)")
    }
}
