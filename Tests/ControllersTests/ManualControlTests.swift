import Controllers
import Foundation
import KubeCore
import SerinAPI
import Testing
import SerinTestSupport

/// suspend, and the promote / abort / retry annotations, on the seed Canary.
@Suite("Canary controller: suspend and manual control", .serialized, .timeLimit(.minutes(2)))
struct ManualControlTests {
    static let name = SeedCanaryControllerTests.name

    static func recorder(_ env: CanaryEnvironment) async throws -> RouteRecorder {
        try await RouteRecorder.start(client: env.client, resource: .virtualServices, namespace: env.namespace,
                                      name: "user-service", weight: RouteRecorder.istioWeight)
    }

    @Test("suspend keeps traffic where it is; resuming continues from the same step")
    func suspend() async throws {
        try await CanaryEnvironment.with { env in
            try await SeedCanaryControllerTests.initialized(env)
            let recorder = try await Self.recorder(env)
            defer { recorder.stop() }
            try await env.setImage("user-service", "registry.example/user-service:2.0.0")
            #expect(await env.waitWeight(Self.name, 10))

            _ = try await env.client.patch(.canaries, namespace: env.namespace, name: Self.name, type: .merge,
                                           ["spec": ["suspend": true]])
            let suspended = await env.drive { (await env.status(Self.name)["message"].stringValue ?? "").contains("suspended") }
            #expect(suspended)
            // Ten minutes of operator time pass: nothing moves.
            for _ in 0..<60 {
                env.clock.advance(by: .seconds(10))
                try await Task.sleep(for: .milliseconds(3))
            }
            let held = await env.status(Self.name)
            #expect(held["canaryWeight"].intValue == 10)
            #expect(held["phase"] == "Progressing")
            #expect(recorder.last == 10)
            #expect(await env.hasEvent(Self.name, reason: "Suspended"))

            _ = try await env.client.patch(.canaries, namespace: env.namespace, name: Self.name, type: .merge,
                                           ["spec": ["suspend": false]])
            #expect(await env.waitPhase(Self.name, "Succeeded"))
            _ = await eventually(timeout: .seconds(2)) { recorder.last == 0 }
            #expect(recorder.sequence == SeedCanaryControllerTests.planned)
        }
    }

    @Test("promote annotation promotes at once; abort rolls back; retry starts the release again")
    func annotations() async throws {
        try await CanaryEnvironment.with { env in
            try await SeedCanaryControllerTests.initialized(env)
            let recorder = try await Self.recorder(env)
            defer { recorder.stop() }

            // Promote now at weight 10.
            try await env.setImage("user-service", "registry.example/user-service:2.0.0")
            #expect(await env.waitWeight(Self.name, 10))
            try await env.annotate(Self.name, CanaryAnnotations.promote, "1")
            #expect(await env.waitPhase(Self.name, "Succeeded"))
            _ = await eventually(timeout: .seconds(2)) { recorder.last == 0 }
            #expect(recorder.sequence == [0, 5, 10, 0])
            #expect(SeedCanaryControllerTests.image(await env.deployment("user-service-primary"))
                    == "registry.example/user-service:2.0.0")
            #expect(await env.hasEvent(Self.name, reason: "ManualPromotion"))

            // Abort the next release at weight 5.
            try await env.setImage("user-service", "registry.example/user-service:3.0.0")
            #expect(await env.waitWeight(Self.name, 5))
            try await env.annotate(Self.name, CanaryAnnotations.abort, "1")
            #expect(await env.waitPhase(Self.name, "Failed"))
            let failed = await env.status(Self.name)
            #expect((failed["message"].stringValue ?? "").contains(CanaryAnnotations.abort))
            _ = await eventually(timeout: .seconds(2)) { recorder.last == 0 }
            #expect(await env.waitReplicas("user-service", 0))
            #expect(SeedCanaryControllerTests.image(await env.deployment("user-service-primary"))
                    == "registry.example/user-service:2.0.0")

            // The same annotation value does not act twice; a retry starts the release again.
            for _ in 0..<30 {
                env.clock.advance(by: .seconds(10))
                try await Task.sleep(for: .milliseconds(3))
            }
            #expect(await env.phase(Self.name) == "Failed")
            try await env.annotate(Self.name, CanaryAnnotations.retry, "1")
            #expect(await env.waitPhase(Self.name, "Succeeded"))
            #expect(SeedCanaryControllerTests.image(await env.deployment("user-service-primary"))
                    == "registry.example/user-service:3.0.0")
            _ = await eventually(timeout: .seconds(2)) { recorder.last == 0 }
            #expect(recorder.sequence == [0, 5, 10, 0, 5, 0] + SeedCanaryControllerTests.planned.dropFirst())
        }
    }
}
