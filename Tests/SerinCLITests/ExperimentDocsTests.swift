import Foundation
import Testing

/// docs/experiments.md: every YAML block lints clean, and the sections it promises are there.
@Suite struct ExperimentDocsTests {
    @Test func everyManifestLintsClean() async throws {
        let text = try String(contentsOf: repoRoot.appendingPathComponent("docs/experiments.md"), encoding: .utf8)
        let blocks = AnalysisDocsTests.yamlBlocks(text)
        #expect(blocks.count == 2)
        let dir = NSTemporaryDirectory() + "serin-experiment-docs-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for (i, block) in blocks.enumerated() {
            let path = "\(dir)/block-\(i + 1).yaml"
            try block.write(toFile: path, atomically: true, encoding: .utf8)
            let r = await runCLI(["lint", path])
            #expect(r.code == 0, "block \(i + 1): \(r.output)")
            #expect(r.output.contains(": ok"), "block \(i + 1): \(r.output)")
        }
        for section in ["## A minimal Experiment", "## The Rollout `experiment` step", "## Not supported yet"] {
            #expect(text.contains(section), "\(section)")
        }
    }

    /// An Experiment lint refuses says which field and how to fix it.
    @Test func lintNamesTheFieldOfABadExperiment() async throws {
        let bad = """
        apiVersion: serin.dev/v1alpha1
        kind: Experiment
        metadata:
          name: bad
        spec:
          duration: soon
          templates:
          - name: a
            selector:
              matchLabels:
                app: x
            template:
              metadata:
                labels:
                  app: y
              spec:
                containers:
                - name: a
                  image: a
        """
        let path = NSTemporaryDirectory() + "serin-bad-experiment-\(UUID().uuidString).yaml"
        try bad.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let r = await runCLI(["lint", path])
        #expect(r.code != 0)
        #expect(r.output.contains("spec.duration: \"soon\" is not a duration"), "\(r.output)")
        #expect(r.output.contains("spec.templates[0].selector.matchLabels: app=x does not match the template's labels"), "\(r.output)")
    }
}
