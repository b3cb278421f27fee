import Foundation
import KubeClient
import KubeCore
import KubeTestServer
import Testing

@testable import KubeRuntime

@Suite("EventRecorder over HTTP", .timeLimit(.minutes(1)))
struct EventRecorderHTTPTests {
    func events(_ env: HTTPEnvironment) async throws -> [JSONValue] {
        try await env.client.list(.events, namespace: "default").items.sorted { ($0.name ?? "") < ($1.name ?? "") }
    }

    @Test func aggregatesRepeatsWithinTenMinutes() async throws {
        try await HTTPEnvironment.with { env in
            let clock = ManualClock(start: Date(timeIntervalSince1970: 1_800_000_000))
            let recorder = EventRecorder(api: env.client, reportingInstance: "pod-1", clock: clock)
            let obj = try await env.client.create(.configMaps, namespace: "default", configMap("podinfo"))

            await recorder.record(obj, reason: "Progressing", message: "Advance podinfo canary weight 10 → 15")
            clock.advance(by: .seconds(30))
            await recorder.record(obj, reason: "Progressing", message: "Advance podinfo canary weight 10 → 15")
            clock.advance(by: .seconds(30))
            await recorder.record(obj, reason: "Progressing", message: "Advance podinfo canary weight 10 → 15")
            var list = try await events(env)
            try #require(list.count == 1)
            let e = list[0]
            #expect(e["count"] == 3)
            #expect(e["reason"] == "Progressing")
            #expect(e["type"] == "Normal")
            #expect(e["message"] == "Advance podinfo canary weight 10 → 15")
            #expect(e["source"]["component"] == "serin")
            #expect(e["reportingComponent"] == "serin.dev/operator")
            #expect(e["reportingInstance"] == "pod-1")
            #expect(e["involvedObject"]["kind"] == "ConfigMap")
            #expect(e["involvedObject"]["uid"] == obj["metadata"]["uid"])
            #expect(e["firstTimestamp"] == .string(KubeTime.format(Date(timeIntervalSince1970: 1_800_000_000))))
            #expect(e["lastTimestamp"] == .string(KubeTime.format(Date(timeIntervalSince1970: 1_800_000_060))))

            // A different message or type is a different event.
            await recorder.record(obj, type: .warning, reason: "Halt", message: "Halt: request-success-rate 97.2% < 99%")
            list = try await events(env)
            #expect(list.count == 2)
            let condition1 = list.contains { $0["type"] == "Warning" && $0["count"] == 1 }
            #expect(condition1)

            // After ten quiet minutes a repeat starts a new event.
            clock.advance(by: .seconds(601))
            await recorder.record(obj, reason: "Progressing", message: "Advance podinfo canary weight 10 → 15")
            list = try await events(env)
            #expect(list.count == 3)
            let condition2 = list.filter { $0["reason"] == "Progressing" }.map { $0["count"].intValue ?? 0 }.sorted() == [1, 3]
            #expect(condition2)
        }
    }

    @Test func failuresAreLoggedNotThrownAndMemoryIsBounded() async throws {
        try await HTTPEnvironment.with { env in
            let recorder = EventRecorder(api: env.client, cacheSize: 16)
            let obj = try await env.client.create(.configMaps, namespace: "default", configMap("x"))
            env.server.faults.failNext(1, status: 403, verb: "create", resource: "events")
            await recorder.record(obj, reason: "Denied", message: "not recorded")
            #expect(try await events(env).isEmpty)
            for i in 0..<40 { await recorder.record(obj, reason: "Step", message: "step \(i)") }
            #expect(await recorder.cachedCount <= 16)
            #expect(try await events(env).count == 40)
        }
    }
}
