import Foundation
import KubeCore
import SerinAPI
import Testing

@Suite struct ControlCommandTests {
    func annotations(_ c: CLITestCluster, _ resource: ResourceType, _ name: String) async throws -> [String: String] {
        let o = try await c.get(resource, "microservices", name)
        return (o["metadata"]["annotations"].objectValue ?? [:]).compactMapValues(\.stringValue)
    }

    @Test func promoteWritesAFreshTriggerEachTime() async throws {
        try await CLITestCluster.with { c in
            try await c.create(.canaries, yaml: seedCanaryYAML(), status: progressingStatus)
            let r = await c.run(["promote", "user-service-canary", "-n", "microservices"])
            #expect(r.code == 0)
            #expect(r.output.hasPrefix("Canary microservices/user-service-canary: promote requested"))
            let first = try await annotations(c, .canaries, "user-service-canary")[ManualControlAnnotations.promote]
            #expect(first != nil)
            if let first { #expect(r.output.contains("(serin.dev/promote=\(first))")) }
            try await Task.sleep(for: .milliseconds(5))
            _ = await c.run(["promote", "user-service-canary", "-n", "microservices"])
            let second = try await annotations(c, .canaries, "user-service-canary")[ManualControlAnnotations.promote]
            #expect(second != nil && second != first)
            // The spec and status are untouched: a merge patch of one annotation.
            let o = try await c.get(.canaries, "microservices", "user-service-canary")
            #expect(o["status"]["canaryWeight"] == 15)
            #expect(o["spec"]["analysis"]["stepWeight"] == 5)
        }
    }

    @Test func abortAndRetryOnACanary() async throws {
        try await CLITestCluster.with { c in
            try await c.create(.canaries, yaml: seedCanaryYAML(), status: progressingStatus)
            let abort = await c.run(["abort", "user-service-canary", "-n", "microservices"])
            #expect(abort.code == 0)
            #expect(abort.output.contains("abort requested: traffic goes back to the primary"))
            #expect(!abort.output.contains("note:"))
            let retry = await c.run(["retry", "canary/user-service-canary", "-n", "microservices"])
            #expect(retry.code == 0)
            #expect(retry.output.contains("note: the Canary is Progressing: retry acts only on a Failed release"))
            let a = try await annotations(c, .canaries, "user-service-canary")
            #expect(a[ManualControlAnnotations.abort] != nil)
            #expect(a[ManualControlAnnotations.retry] != nil)
        }
    }

    @Test func requestsTheOperatorWillNotActOnAreFlagged() async throws {
        try await CLITestCluster.with { c in
            try await c.create(.canaries, yaml: seedCanaryYAML(), status: ["phase": "Succeeded", "canaryWeight": 0, "failedChecks": 0])
            let promote = await c.run(["promote", "user-service-canary", "-n", "microservices"])
            #expect(promote.code == 0)
            #expect(promote.output.contains("note: the Canary is Succeeded: promote acts only while a release is under way"))
            let retry = await c.run(["retry", "user-service-canary", "-n", "microservices"])
            #expect(retry.output.contains("note: the Canary is Succeeded: retry acts only on a Failed release"))
        }
    }

    @Test func pauseSetsTrueAndResumeRemovesIt() async throws {
        try await CLITestCluster.with { c in
            try await c.create(.canaries, yaml: seedCanaryYAML(), status: progressingStatus)
            let pause = await c.run(["pause", "user-service-canary", "-n", "microservices"])
            #expect(pause.code == 0)
            #expect(try await annotations(c, .canaries, "user-service-canary")[ManualControlAnnotations.paused] == "true")
            let again = await c.run(["pause", "user-service-canary", "-n", "microservices"])
            #expect(again.output.contains("note: it was already paused"))
            let status = await c.run(["status", "user-service-canary", "-n", "microservices"])
            #expect((field(status.output, "Phase") ?? "").contains("paused (serin resume to continue)"))
            let resume = await c.run(["resume", "user-service-canary", "-n", "microservices"])
            #expect(resume.code == 0)
            #expect(resume.output.contains("resumed (serin.dev/paused removed)"))
            let after = try await annotations(c, .canaries, "user-service-canary")
            #expect(after[ManualControlAnnotations.paused] == nil)
        }
    }

    @Test func rolloutOnlyVerbsAreRefusedForACanary() async throws {
        try await CLITestCluster.with { c in
            try await c.create(.canaries, yaml: seedCanaryYAML(), status: progressingStatus)
            let undo = await c.run(["undo", "user-service-canary", "-n", "microservices"])
            #expect(undo.code == 1)
            #expect(undo.errors.contains("Canary microservices/user-service-canary: undo applies to Rollouts"))
            let restart = await c.run(["restart", "user-service-canary", "-n", "microservices"])
            #expect(restart.code == 1)
            #expect(restart.errors.contains("restart applies to Rollouts"))
            let full = await c.run(["promote", "--full", "user-service-canary", "-n", "microservices"])
            #expect(full.code == 1)
            #expect(full.errors.contains("promote --full applies to Rollouts"))
            #expect(try await annotations(c, .canaries, "user-service-canary").isEmpty)
        }
    }

    @Test func rolloutVerbs() async throws {
        try await CLITestCluster.with([.canaries, .rollouts]) { c in
            try await c.create(.rollouts, yaml: seedRolloutYAML(), status: ["phase": "Paused"])
            let full = await c.run(["promote", "order-service-rollout", "--full", "-n", "microservices"])
            #expect(full.code == 0)
            #expect(full.output.contains("Rollout microservices/order-service-rollout: full promotion requested"))
            let undo = await c.run(["undo", "order-service-rollout", "--to-revision", "3", "-n", "microservices"])
            #expect(undo.code == 0)
            #expect(undo.output.contains("roll back to revision 3 (serin.dev/undo=3@"))
            let restart = await c.run(["restart", "rollout/order-service-rollout", "-n", "microservices"])
            #expect(restart.code == 0)
            let a = try await annotations(c, .rollouts, "order-service-rollout")
            #expect(a[ManualControlAnnotations.promoteFull] != nil)
            #expect(a[ManualControlAnnotations.undo]?.hasPrefix("3@") == true)
            #expect(a[ManualControlAnnotations.restart] != nil)
            #expect(a[ManualControlAnnotations.promote] == nil)
            let previous = await c.run(["undo", "order-service-rollout", "-n", "microservices"])
            #expect(previous.output.contains("roll back to the previous revision (serin.dev/undo=previous@"))
        }
    }

    @Test func nameResolutionAcrossKinds() async throws {
        try await CLITestCluster.with([.canaries, .rollouts]) { c in
            try await c.create(.canaries, yaml: seedCanaryYAML().replacingOccurrences(of: "user-service-canary", with: "shared"))
            try await c.create(.rollouts, yaml: seedRolloutYAML().replacingOccurrences(of: "order-service-rollout", with: "shared"))
            let both = await c.run(["abort", "shared", "-n", "microservices"])
            #expect(both.code == 1)
            #expect(both.errors.contains("both a Canary and a Rollout are named \"shared\"; add --kind canary or --kind rollout")
                || both.errors.contains("both a Canary and a Rollout are named \"shared\" in namespace microservices; add --kind canary or --kind rollout"))
            let chosen = await c.run(["abort", "shared", "--kind", "rollout", "-n", "microservices"])
            #expect(chosen.code == 0)
            #expect(try await annotations(c, .rollouts, "shared")[ManualControlAnnotations.abort] != nil)
            #expect(try await annotations(c, .canaries, "shared")[ManualControlAnnotations.abort] == nil)
            let missing = await c.run(["promote", "ghost", "-n", "microservices"])
            #expect(missing.code == 1)
            #expect(missing.errors.contains("no Canary or Rollout named \"ghost\" in namespace microservices"))
            let wrongKind = await c.run(["promote", "canary/shared", "--kind", "rollout", "-n", "microservices"])
            #expect(wrongKind.code == 1)
            #expect(wrongKind.errors.contains("names a Canary but --kind says rollout"))
        }
    }
}
