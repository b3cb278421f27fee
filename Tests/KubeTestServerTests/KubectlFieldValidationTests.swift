import Foundation
import KubeCore
import KubeTestServer
import Testing

/// `kubectl apply` of a custom resource with an unknown field, as against a real server:
/// the default `--validate=strict` fails with the server's strict decoding error (the test
/// server's OpenAPI v3 advertises `fieldValidation`, so kubectl leaves validation to the server),
/// and `--validate=warn` prints the server's warning and creates the pruned object.
@Suite(
    .enabled(if: Kubectl.isInstalled, "kubectl not found at /usr/bin/kubectl"),
    .timeLimit(.minutes(2))
)
struct KubectlFieldValidationTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func canary(_ name: String) -> String {
        """
        apiVersion: serin.dev/v1alpha1
        kind: Canary
        metadata:
          name: \(name)
          namespace: default
        spec:
          targetRef:
            apiVersion: apps/v1
            kind: Deployment
            name: podinfo
          service:
            port: 80
          stepz: 5
        """
    }

    @Test func applyOfAnUnknownFieldFailsStrictAndWarnsOnRequest() async throws {
        try await Kubectl.with { k in
            let crd = try await k.run(["apply", "-f", Self.root.appendingPathComponent("crds/canaries.yaml").path])
            #expect(crd.status == 0, "\(crd)")

            let file = try k.writeFile("canary.yaml", Self.canary("c1"))
            let strict = try await k.run(["apply", "-f", file])
            #expect(strict.status != 0, "\(strict)")
            let expected = #"Error from server (BadRequest): error when creating "\#(file)": Canary in version "v1alpha1" cannot be handled as a Canary: strict decoding error: unknown field "spec.stepz""#
            #expect(strict.stderr.contains(expected), "\(strict)")
            let missing = try await k.run(["get", "canary", "c1"])
            #expect(missing.status != 0)

            let warn = try await k.run(["apply", "--validate=warn", "-f", file])
            #expect(warn.status == 0, "\(warn)")
            #expect(warn.stderr.contains(#"Warning: unknown field "spec.stepz""#), "\(warn)")
            #expect(warn.stdout.contains("canary.serin.dev/c1 created"), "\(warn)")
            let stored = try await k.run(["get", "canary", "c1", "-o", "json"])
            #expect(try JSONValue(parsing: stored.stdout)["spec"]["stepz"].isNull, "\(stored)")

            // Applying again patches the existing object: strict refuses the patch too.
            let again = try await k.run(["apply", "-f", file])
            #expect(again.status != 0, "\(again)")
            #expect(again.stderr.contains(#"strict decoding error: unknown field "spec.stepz""#), "\(again)")
        }
    }
}
