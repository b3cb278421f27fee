import Foundation
import KubeCore
import SerinAPI
import Testing

@Suite struct GetCommandTests {
    @Test func listsCanariesOfTheNamespaceWithoutTheRolloutCRD() async throws {
        try await CLITestCluster.with { c in
            try await c.create(.canaries, yaml: seedCanaryYAML(), status: progressingStatus)
            try await c.create(.canaries, yaml: seedCanaryYAML().replacingOccurrences(of: "user-service-canary", with: "other"),
                               namespace: "team-b", status: ["phase": "Succeeded", "canaryWeight": 0, "failedChecks": 0])
            let r = await c.run(["get", "-n", "microservices"])
            #expect(r.code == 0)
            #expect(r.errors == "")
            let lines = r.output.split(separator: "\n").map(String.init)
            #expect(lines.count == 2)
            #expect(columns(lines.first ?? "") == ["NAME", "KIND", "STATUS", "WEIGHT", "STEP", "CHECKS", "LAST TRANSITION"])
            let row = lines.last ?? ""
            let cells = row.split(separator: " ").map(String.init)
            #expect(cells.prefix(6) == ["user-service-canary", "Canary", "Progressing", "15%", "3/10", "1/10"])
            #expect(cells.last?.hasPrefix("2m1") == true)  // changed phase 130 s ago
            #expect(!r.output.contains("other"))
        }
    }

    @Test func allNamespacesAddsTheNamespaceColumnAndSortsByIt() async throws {
        try await CLITestCluster.with { c in
            try await c.create(.canaries, yaml: seedCanaryYAML(), status: progressingStatus)
            try await c.create(.canaries, yaml: seedCanaryYAML().replacingOccurrences(of: "user-service-canary", with: "other"),
                               namespace: "team-b", status: ["phase": "Succeeded", "canaryWeight": 0, "failedChecks": 0])
            let r = await c.run(["get", "-A"])
            #expect(r.code == 0)
            let lines = r.output.split(separator: "\n").map(String.init)
            #expect(lines.count == 3)
            #expect(lines[0].hasPrefix("NAMESPACE "))
            #expect(lines[1].hasPrefix("microservices   user-service-canary   Canary   Progressing"))
            #expect(columns(lines[2]).prefix(7) == ["team-b", "other", "Canary", "Succeeded", "0%", "-", "0/10"])
        }
    }

    @Test func listsRolloutsBesideCanaries() async throws {
        try await CLITestCluster.with([.canaries, .rollouts]) { c in
            try await c.create(.canaries, yaml: seedCanaryYAML(), status: progressingStatus)
            try await c.create(.rollouts, yaml: seedRolloutYAML(), status: [
                "phase": "Paused", "message": "BlueGreenPause", "pauseConditions": [["reason": "BlueGreenPause", "startTime": "2027-01-15T08:00:00Z"]],
            ])
            let r = await c.run(["get", "--namespace", "microservices"])
            #expect(r.code == 0)
            let lines = r.output.split(separator: "\n").map(String.init)
            #expect(lines.count == 3)
            #expect(lines[1].hasPrefix("user-service-canary     Canary    Progressing"))
            #expect(lines[2].hasPrefix("order-service-rollout   Rollout   Paused        -        -      -"))
            let only = await c.run(["get", "-n", "microservices", "--kind", "rollout"])
            #expect(only.output.split(separator: "\n").count == 2)
            #expect(only.output.contains("order-service-rollout"))
        }
    }

    @Test func rolloutWeightAndStepFollowTheSteps() async throws {
        let canarySteps = """
            apiVersion: serin.dev/v1alpha1
            kind: Rollout
            metadata: {name: cart, namespace: microservices}
            spec:
              replicas: 4
              selector: {matchLabels: {app: cart}}
              template:
                metadata: {labels: {app: cart}}
                spec: {containers: [{name: app, image: "cart:1"}]}
              strategy:
                canary:
                  steps: [{setWeight: 25}, {analysis: {templates: [{templateName: rate}]}}, {setWeight: 50}, {pause: {}}]
            """
        try await CLITestCluster.with([.canaries, .rollouts]) { c in
            // Paused at the last step: the weight the steps set so far.
            try await c.create(.rollouts, yaml: canarySteps, status: [
                "phase": "Paused", "currentStepIndex": 3, "currentPodHash": "c489f8f56", "stableRS": "5445fbcd57",
            ])
            let paused = await c.run(["get", "-n", "microservices"])
            #expect(columns(paused.output.split(separator: "\n").last.map(String.init) ?? "").prefix(6) == ["cart", "Rollout", "Paused", "50%", "3/4", "-"])
            // Completed: the current revision is stable and takes everything (Argo shows 100).
            try await c.setStatus(.rollouts, "microservices", "cart", [
                "phase": "Healthy", "currentStepIndex": 4, "currentPodHash": "c489f8f56", "stableRS": "c489f8f56",
                "canary": ["weights": ["canary": ["weight": 0], "stable": ["weight": 100]]],
            ])
            let done = await c.run(["get", "-n", "microservices"])
            #expect(columns(done.output.split(separator: "\n").last.map(String.init) ?? "").prefix(6) == ["cart", "Rollout", "Healthy", "100%", "4/4", "-"])
            let status = await c.run(["status", "cart", "-n", "microservices"])
            #expect(field(status.output, "Weight") == "[████████████████████] 100% on the current revision, which is stable")
            #expect(field(status.output, "Step") == "4/4 (done)")
        }
    }

    @Test func emptyNamespaceAndMissingCRDs() async throws {
        try await CLITestCluster.with([]) { c in
            let r = await c.run(["get", "-n", "team-b"])
            #expect(r.code == 0)
            #expect(r.output == "No resources found in team-b namespace.\n")
            #expect(r.errors.contains("the Canary and Rollout CRD is not installed"))
            try await c.install(.canaries)
            let again = await c.run(["get", "-n", "team-b"])
            #expect(again.output == "No resources found in team-b namespace.\n")
            #expect(again.errors == "")
        }
    }

    @Test func unreachableServerIsAClearError() async throws {
        let dir = NSTemporaryDirectory() + "serin-cli-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = await runCLI(["get", "--kubeconfig", dir + "/missing"])
        #expect(r.code == 1)
        #expect(r.errors.contains("cannot load the cluster configuration"))
        #expect(r.errors.contains("missing"))
    }
}
