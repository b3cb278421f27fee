import Foundation
import Testing

/// docs/analysis.md: every YAML block lints clean, and every provider Serin runs has a section.
@Suite struct AnalysisDocsTests {
    static func yamlBlocks(_ text: String) -> [String] {
        var blocks: [String] = []
        var current: [Substring]?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if current == nil, line == "```yaml" {
                current = []
            } else if current != nil, line == "```" {
                blocks.append(current!.joined(separator: "\n") + "\n")
                current = nil
            } else {
                current?.append(line)
            }
        }
        return blocks
    }

    @Test func everyTemplateLintsClean() async throws {
        let text = try String(contentsOf: repoRoot.appendingPathComponent("docs/analysis.md"), encoding: .utf8)
        let blocks = Self.yamlBlocks(text)
        #expect(blocks.count >= 22)
        let dir = NSTemporaryDirectory() + "serin-analysis-docs-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for (i, block) in blocks.enumerated() {
            let path = "\(dir)/block-\(i + 1).yaml"
            try block.write(toFile: path, atomically: true, encoding: .utf8)
            let r = await runCLI(["lint", path])
            #expect(r.code == 0, "block \(i + 1): \(r.output)")
            #expect(r.output.contains(": ok"), "block \(i + 1): \(r.output)")
        }
        for section in ["## Prometheus", "## web", "## job", "## Datadog", "## New Relic", "## Dynatrace", "## Splunk Observability",
                        "## Google Cloud Monitoring", "## Keptn", "## Kubernetes external metrics", "## Graphite", "## InfluxDB",
                        "## CloudWatch", "## Wavefront", "## Kayenta", "## SkyWalking", "## Flagger query templates"] {
            #expect(text.contains(section), "\(section)")
        }
    }
}
