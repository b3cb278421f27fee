import Foundation
import KubeCore
import SerinAPI
import SerinCLI
import Testing
import SerinTestSupport

@Suite struct StatusCommandTests {
    @Test func canaryStatusShowsPhaseWeightChecksMetricsAndEvents() async throws {
        try await CLITestCluster.with { c in
            try await c.create(.canaries, yaml: seedCanaryYAML(), status: progressingStatus)
            try await c.event(kind: "Canary", name: "user-service-canary", namespace: "microservices", reason: "Synced",
                              message: "Advance user-service-canary.microservices canary weight 10 → 15", at: Date().addingTimeInterval(-60))
            try await c.event(kind: "Canary", name: "user-service-canary", namespace: "microservices", reason: "Halt", 
                              message: "Halt user-service-canary.microservices advancement: request-duration 612 > 500",
                              type: "Warning", at: Date().addingTimeInterval(-20))
            // Another object's event is not shown.
            try await c.event(kind: "Canary", name: "someone-else", namespace: "microservices", reason: "Synced", message: "not mine")
            let r = await c.run(["status", "user-service-canary", "-n", "microservices"])
            #expect(r.code == 0)
            let out = r.output
            #expect((field(out, "Canary") ?? "").hasPrefix("microservices/user-service-canary"))
            #expect((field(out, "Target") ?? "").hasPrefix("Deployment/user-service (primary user-service-primary)"))
            #expect((field(out, "Plan") ?? "").hasPrefix("canary: +5% every 1m up to 50%, rollback after 10 failed checks"))
            #expect((field(out, "Phase") ?? "").hasPrefix("Progressing for 2m1"))
            #expect((field(out, "Weight") ?? "").hasPrefix("[███░░░░░░|░░░░░░░░░░] 15% canary, 85% primary (step 3/10, stops at 50%)"))
            #expect((field(out, "Failed checks") ?? "").hasPrefix("1 of 10 (rolls back at 10); failing now: request-duration"))
            #expect((field(out, "Message") ?? "").hasPrefix("Halted after 1 of 10 failed checks: request-duration 612 > 500"))
            #expect((field(out, "Conditions") ?? "").hasPrefix("Promoted=Unknown (Progressing)"))
            // Each metric: last value, threshold, verdict; the spec's third metric is not checked yet.
            #expect(out.contains("\nMetrics (last checked 2") && out.contains("s ago):\n  NAME "))
            let lines = out.split(separator: "\n").map(String.init)
            let latency = lines.first { $0.hasPrefix("  request-duration") } ?? ""
            #expect(latency.split(separator: " ", omittingEmptySubsequences: true).prefix(5) == ["request-duration", "612", "<=", "500", "Fail"])
            let success = lines.first { $0.hasPrefix("  request-success-rate") } ?? ""
            #expect(success.contains("99.93") && success.contains(">= 99") && success.contains("Pass"))
            let errorRate = lines.first { $0.hasPrefix("  error-rate") } ?? ""
            #expect(errorRate.contains("<= 1") && errorRate.contains("not checked yet"))
            // Events, oldest first, only this object's.
            #expect(out.contains("Events:"))
            let advance = out.range(of: "canary weight 10 → 15")
            let halt = out.range(of: "Warning   Halt")
            #expect(advance != nil && halt != nil)
            if let advance, let halt { #expect(advance.lowerBound < halt.lowerBound) }
            #expect(!out.contains("not mine"))
        }
    }

    @Test func blueGreenShowsIterationsAndNotReconciledYet() async throws {
        let yaml = """
            apiVersion: serin.dev/v1alpha1
            kind: Canary
            metadata: {name: podinfo, namespace: team-b}
            spec:
              provider: kubernetes
              targetRef: {apiVersion: apps/v1, kind: Deployment, name: podinfo}
              service: {port: 9898}
              analysis: {interval: 30s, threshold: 2, iterations: 4}
            """
        try await CLITestCluster.with { c in
            try await c.create(.canaries, yaml: yaml)
            let fresh = await c.run(["status", "podinfo", "-n", "team-b"])
            #expect(fresh.code == 0)
            #expect((field(fresh.output, "Phase") ?? "").hasPrefix("Unknown (not reconciled yet)"))
            #expect((field(fresh.output, "Metrics") ?? "").hasPrefix("<none>"))
            #expect((field(fresh.output, "Events") ?? "").hasPrefix("<none>"))
            try await c.setStatus(.canaries, "team-b", "podinfo", ["phase": "Progressing", "canaryWeight": 0, "iterations": 1, "failedChecks": 0])
            let r = await c.run(["status", "canary/podinfo", "-n", "team-b"])
            #expect((field(r.output, "Plan") ?? "").hasPrefix("blue/green: 4 iterations of 30s with no traffic to the canary, then switch; rollback after 2 failed checks"))
            #expect((field(r.output, "Iterations") ?? "").hasPrefix("[█████░░░░░░░░░░░░░░░] 1/4 (0% canary traffic)"))
        }
    }

    @Test func unknownNameIsAClearError() async throws {
        try await CLITestCluster.with { c in
            let r = await c.run(["status", "nope", "-n", "microservices"])
            #expect(r.code == 1)
            #expect(r.output == "")
            #expect(r.errors.contains("no Canary or Rollout named \"nope\" in namespace microservices"))
        }
    }

    @Test func watchPrintsEachChangeAndEndsWhenTheReleaseEnds() async throws {
        try await CLITestCluster.with { c in
            try await c.create(.canaries, yaml: seedCanaryYAML(), status: progressingStatus)
            let sink = CLIOutput.buffer()
            let kubeconfig = c.kubeconfig
            let watching = Task {
                await CLIOutput.$current.withValue(sink) {
                    await SerinCLI.run(["status", "user-service-canary", "-n", "microservices", "--watch", "--interval", "0.1",
                                        "--timeout", "20", "--kubeconfig", kubeconfig])
                }
            }
            let first = await eventually { sink.output.contains("15% canary") }
            #expect(first)
            var next = progressingStatus
            next["canaryWeight"] = 20
            try await c.setStatus(.canaries, "microservices", "user-service-canary", next)
            let second = await eventually { sink.output.contains("20% canary") }
            #expect(second)
            next["phase"] = "Succeeded"
            next["canaryWeight"] = 0
            try await c.setStatus(.canaries, "microservices", "user-service-canary", next)
            let code = await watching.value
            #expect(code == 0)
            let renders = sink.output.components(separatedBy: "Canary:         microservices/user-service-canary").count - 1
            #expect(renders == 3)
            let lastRender = sink.output.components(separatedBy: "\n--- ").last ?? ""
            #expect((field(lastRender, "Phase") ?? "").hasPrefix("Succeeded"))
        }
    }

    @Test func watchExitsNonZeroWhenRolledBack() async throws {
        try await CLITestCluster.with { c in
            try await c.create(.canaries, yaml: seedCanaryYAML(), status: progressingStatus)
            let sink = CLIOutput.buffer()
            let kubeconfig = c.kubeconfig
            let watching = Task {
                await CLIOutput.$current.withValue(sink) {
                    await SerinCLI.run(["status", "user-service-canary", "-n", "microservices", "-w", "--interval", "0.1",
                                        "--timeout", "20", "--kubeconfig", kubeconfig])
                }
            }
            let first = await eventually { sink.output.contains("15% canary") }
            #expect(first)
            var failed = progressingStatus
            failed["phase"] = "Failed"
            failed["canaryWeight"] = 0
            failed["message"] = "Canary failed: failed checks threshold reached 10"
            try await c.setStatus(.canaries, "microservices", "user-service-canary", failed)
            let code = await watching.value
            #expect(code == 1)
            #expect(sink.errors.contains("rolled back: Canary failed: failed checks threshold reached 10"))
        }
    }

    @Test func rolloutStatusShowsStrategyPauseAndAnalysisRuns() async throws {
        try await CLITestCluster.with([.canaries, .rollouts, .analysisRuns]) { c in
            let rollout = try await c.create(.rollouts, yaml: seedRolloutYAML(), status: [
                "phase": "Paused", "message": "waiting for promotion", "currentPodHash": "6b7f9c", "stableRS": "5d8c4b",
                "replicas": 10, "updatedReplicas": 5, "readyReplicas": 10, "availableReplicas": 10,
                "blueGreen": ["activeSelector": "5d8c4b", "previewSelector": "6b7f9c"],
                "pauseConditions": [["reason": "BlueGreenPause", "startTime": .string(Date().addingTimeInterval(-90).formatted(Date.ISO8601FormatStyle()))]],
            ])
            let uid = rollout["metadata"]["uid"].stringValue ?? ""
            try await c.create(.analysisRuns, yaml: """
                apiVersion: serin.dev/v1alpha1
                kind: AnalysisRun
                metadata:
                  name: order-service-rollout-6b7f9c-pre
                  namespace: microservices
                  ownerReferences:
                  - {apiVersion: serin.dev/v1alpha1, kind: Rollout, name: order-service-rollout, uid: \(uid)}
                spec:
                  metrics:
                  - name: success-rate
                    interval: 60s
                    count: 5
                    successCondition: result[0] >= 0.95
                    provider: {prometheus: {address: "http://prometheus:9090", query: "up"}}
                """, status: [
                    "phase": "Successful",
                    "metricResults": [["name": "success-rate", "phase": "Successful", "count": 5, "successful": 5, "failed": 0,
                                       "measurements": [["phase": "Successful", "value": "[0.991]"]]]],
                ])
            let r = await c.run(["status", "order-service-rollout", "-n", "microservices"])
            #expect(r.code == 0)
            let out = r.output
            #expect((field(out, "Rollout") ?? "").hasPrefix("microservices/order-service-rollout"))
            #expect((field(out, "Strategy") ?? "").hasPrefix("blue-green: active order-service-active, preview order-service-preview, manual promotion"))
            #expect((field(out, "Phase") ?? "").hasPrefix("Paused"))
            #expect((field(out, "Selectors") ?? "").hasPrefix("active 5d8c4b, preview 6b7f9c"))
            #expect((field(out, "Replicas") ?? "").hasPrefix("desired 5, current 10, updated 5, ready 10, available 10"))
            #expect((field(out, "Paused") ?? "").hasPrefix("BlueGreenPause for 9") && out.contains("(serin promote to continue)"))
            #expect(out.contains("order-service-rollout-6b7f9c-pre   Successful"))
            let metric = out.split(separator: "\n").first { $0.contains("success-rate") && $0.contains("[0.991]") } ?? ""
            #expect(metric.contains("success: result[0] >= 0.95") && metric.contains("Successful") && metric.contains("5 (5 ok, 0 failed)"))
        }
    }
}
