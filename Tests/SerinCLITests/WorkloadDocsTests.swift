import Foundation
import Testing

/// Every manifest in docs/workloads.md goes through `serin lint`: accepted, or refused by
/// name where the fence says `yaml refused`.
@Suite struct WorkloadDocsTests {
    @Test func everyManifestIsLintedAsTheDocSays() async throws {
        let doc = try repoFile("docs/workloads.md")
        var fences: [(refused: Bool, text: String)] = []
        var current: (refused: Bool, text: String)?
        for line in doc.split(separator: "\n", omittingEmptySubsequences: false) {
            if current == nil, line.hasPrefix("```yaml") {
                current = (line.contains("refused"), "")
            } else if let c = current, line.hasPrefix("```") {
                fences.append(c)
                current = nil
            } else if current != nil {
                current!.text += line + "\n"
            }
        }
        #expect(fences.count >= 7)
        #expect(fences.filter(\.refused).count >= 3)
        for (i, f) in fences.enumerated() {
            let path = NSTemporaryDirectory() + "serin-workloads-doc-\(UUID().uuidString).yaml"
            try f.text.write(toFile: path, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(atPath: path) }
            let r = await runCLI(["lint", "-q", path])
            if f.refused {
                #expect(r.code == 1, "fence \(i + 1) should be refused")
                let named = r.output.contains("not supported") || r.output.contains("Unsupported value")
                #expect(named, "fence \(i + 1): \(r.output)")
            } else {
                #expect(r.code == 0, "fence \(i + 1): \(r.output)\(r.errors)")
            }
        }
    }
}
