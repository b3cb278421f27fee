import Foundation

/// The reference manifest, `examples/seed-canary.yaml` (a copy of ../shared/examples/: only
/// apiVersion differs from the Flagger original).
enum SeedCanary {
    static var yaml: String {
        get throws {
            try String(contentsOf: Manifest.repoRoot.appendingPathComponent("examples/seed-canary.yaml"), encoding: .utf8)
        }
    }
}
