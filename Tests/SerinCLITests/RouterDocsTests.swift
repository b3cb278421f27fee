import Foundation
import SerinAPI
import Testing

/// Every manifest in docs/routers.md goes through `serin lint`: accepted, or refused where the
/// fence says `yaml refused`.
@Suite struct RouterDocsTests {
    struct Fence: Sendable {
        var refused: Bool
        var text: String
    }

    static func fences() throws -> [Fence] {
        let doc = try repoFile("docs/routers.md")
        var out: [Fence] = []
        var current: Fence?
        for line in doc.split(separator: "\n", omittingEmptySubsequences: false) {
            if current == nil, line.hasPrefix("```yaml") {
                current = Fence(refused: line.contains("refused"), text: "")
            } else if current != nil, line.hasPrefix("```") {
                out.append(current!)
                current = nil
            } else if current != nil {
                current!.text += line + "\n"
            }
        }
        return out
    }

    @Test func everyManifestIsLintedAsTheDocSays() async throws {
        let fences = try Self.fences()
        #expect(fences.count >= 6)
        let condition1 = fences.contains { $0.refused }
        #expect(condition1)
        let refusesKnative = fences.contains { $0.refused && $0.text.contains("provider: knative") }
        #expect(refusesKnative)
        for (i, f) in fences.enumerated() {
            let path = NSTemporaryDirectory() + "serin-routers-doc-\(UUID().uuidString).yaml"
            try f.text.write(toFile: path, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(atPath: path) }
            let r = await runCLI(["lint", "-q", path])
            if f.refused {
                #expect(r.code == 1, "fence \(i + 1) should be refused")
                // Each refusal names why: App Mesh is gone; Knative's delivery is not built yet.
                let why = f.text.contains("provider: knative") ? CanaryProviders.knativeMissing : "AWS shut App Mesh down on 2026-09-30"
                #expect(r.output.contains(why), "fence \(i + 1): \(r.output)")
            } else {
                #expect(r.code == 0, "fence \(i + 1): \(r.output)\(r.errors)")
            }
        }
    }
}
