import Foundation
import Testing

/// `serin simulate` of an Experiment and of a Rollout with an experiment step: the operator's
/// own cores on a simulated clock.
@Suite struct ExperimentSimulateTests {
    static let template = """
        apiVersion: serin.dev/v1alpha1
        kind: AnalysisTemplate
        metadata: {name: quick}
        spec:
          metrics:
          - name: ok
            interval: 30s
            count: 3
            successCondition: result[0] > 0
            provider: {prometheus: {query: up}}
        """

    func simulate(_ text: String) async throws -> CLIResult {
        let path = NSTemporaryDirectory() + "serin-sim-ex-\(UUID().uuidString).yaml"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        return await runCLI(["simulate", "--ready-seconds", "20", path])
    }

    @Test func anExperimentRunsForItsDurationOrFailsWithItsAnalysis() async throws {
        let r = try await simulate("""
            apiVersion: serin.dev/v1alpha1
            kind: Experiment
            metadata: {name: colors}
            spec:
              duration: 5m
              templates:
              - name: purple
                selector: {matchLabels: {color: purple}}
                template:
                  metadata: {labels: {color: purple}}
                  spec: {containers: [{name: c, image: demo:purple}]}
              analyses:
              - {name: check, templateName: quick}
            ---
            \(Self.template)
            """)
        #expect(r.code == 0, "\(r.output)")
        #expect(r.output.contains("Experiment colors"), "\(r.output)")
        // Available after 20s, then the 5 minutes.
        #expect(r.output.contains("Ends Successful after 5m20s"), "\(r.output)")
        #expect(r.output.contains("Experiment colors Running"), "\(r.output)")
        #expect(r.output.contains("When every analysis fails at its first chance"), "\(r.output)")
        #expect(r.output.contains("Ends Failed after 20s"), "\(r.output)")
    }

    @Test func aRolloutWaitsForItsExperimentStep() async throws {
        let r = try await simulate("""
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
                  steps:
                  - setWeight: 25
                  - experiment:
                      duration: 10m
                      templates: [{name: canary, specRef: canary}]
                      analyses: [{name: check, templateName: quick}]
                  - setWeight: 50
            ---
            \(Self.template)
            """)
        #expect(r.code == 0, "\(r.output)")
        #expect(r.output.contains("experiment: canary"), "\(r.output)")
        #expect(r.output.contains("Created Experiment web-"), "\(r.output)")
        #expect(r.output.contains("Shortest time to promotion"), "\(r.output)")
        #expect(r.output.contains("Shortest time to rollback"), "\(r.output)")
    }
}
