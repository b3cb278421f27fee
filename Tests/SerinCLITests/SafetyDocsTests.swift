import Foundation
import Testing

/// The manifest in docs/safety.md is accepted by `serin lint`, and a bad rollback policy is
/// refused naming the field.
@Suite struct SafetyDocsTests {
    static func yamlFences(_ doc: String) -> [String] {
        var out: [String] = []
        var current: String?
        for line in doc.split(separator: "\n", omittingEmptySubsequences: false) {
            if current == nil, line.hasPrefix("```yaml") {
                current = ""
            } else if current != nil, line.hasPrefix("```") {
                out.append(current!)
                current = nil
            } else if current != nil {
                current! += line + "\n"
            }
        }
        return out
    }

    static func lint(_ text: String) async throws -> (code: Int32, output: String) {
        let path = NSTemporaryDirectory() + "serin-safety-doc-\(UUID().uuidString).yaml"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let r = await runCLI(["lint", "-q", path])
        return (r.code, r.output + r.errors)
    }

    @Test func theDocumentedManifestIsAccepted() async throws {
        let fences = Self.yamlFences(try repoFile("docs/safety.md"))
        #expect(fences.count == 1)
        for f in fences {
            let r = try await Self.lint(f)
            #expect(r.code == 0, "\(r.output)")
        }
    }

    @Test func aRollbackStepWeightOutOfRangeIsRefusedNamingTheField() async throws {
        let f = try #require(Self.yamlFences(try repoFile("docs/safety.md")).first)
        let r = try await Self.lint(f.replacingOccurrences(of: "stepWeight: 20", with: "stepWeight: 0"))
        #expect(r.code == 1)
        #expect(r.output.contains("spec.analysis.rollback.stepWeight"), "\(r.output)")
    }
}
