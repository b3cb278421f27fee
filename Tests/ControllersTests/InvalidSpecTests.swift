import Controllers
import Foundation
import KubeCore
import SerinAPI
import Testing

/// Bad specs become a SpecValid=False condition naming the field and the fix, and an Event;
/// the operator keeps running and picks up the corrected spec.
@Suite("Canary controller: invalid specs", .serialized, .timeLimit(.minutes(2)))
struct InvalidSpecTests {
    static func specValid(_ status: JSONValue) -> JSONValue? {
        (status["conditions"].arrayValue ?? []).first { $0["type"] == "SpecValid" }
    }

    static func canary(_ name: String, namespace: String, analysis: JSONValue) -> JSONValue {
        [
            "apiVersion": "serin.dev/v1alpha1", "kind": "Canary",
            "metadata": ["name": .string(name), "namespace": .string(namespace)],
            "spec": [
                "targetRef": ["apiVersion": "apps/v1", "kind": "Deployment", "name": "web"],
                "service": ["port": 80],
                "analysis": analysis,
            ],
        ]
    }

    @Test("a rule the schema cannot check (a metric with no threshold) and a value of the wrong type")
    func invalid() async throws {
        try await CanaryEnvironment.with { env in
            let ns = env.namespace
            try await env.createDeployment("web", image: "web:1")
            await env.startOperator(provider: "istio")
            _ = try await env.client.create(.canaries, namespace: ns, Self.canary(
                "steps", namespace: ns, analysis: ["interval": "1m", "maxWeight": 30, "stepWeight": 10,
                                                   "metrics": [["name": "request-success-rate", "interval": "1m"]]]))
            // A value of the wrong type: the API server's schema check refuses it (naming the
            // field); a server without that check lets it through to the controller, which must
            // report it the same way.
            var rejected = false
            do {
                _ = try await env.client.create(.canaries, namespace: ns, Self.canary(
                    "typed", namespace: ns, analysis: ["interval": "1m", "maxWeight": 30, "stepWeight": "ten"]))
            } catch let e as KubeAPIError where e.code == 422 {
                #expect(e.description.contains("spec.analysis.stepWeight"))
                rejected = true
            }

            let stepsReported = await env.drive { Self.specValid(await env.status("steps"))?["status"] == "False" }
            #expect(stepsReported)
            let steps = try #require(Self.specValid(await env.status("steps")))
            #expect(steps["reason"] == "InvalidSpec")
            let text = steps["message"].stringValue ?? ""
            #expect(text.contains("spec.analysis.metrics[0]: metric \"request-success-rate\" has no threshold"))
            #expect(text.contains("set thresholdRange.min and/or thresholdRange.max"))
            #expect(await env.hasEvent("steps", reason: "InvalidSpec", containing: "spec.analysis.metrics[0]", type: "Warning"))
            // Nothing was created for an invalid canary.
            #expect(await env.deployment("web-primary") == nil)

            if !rejected {
                let typedReported = await env.drive { Self.specValid(await env.status("typed"))?["status"] == "False" }
                #expect(typedReported)
                let typed = try #require(Self.specValid(await env.status("typed")))
                #expect((typed["message"].stringValue ?? "").contains("spec.analysis.stepWeight"))
                #expect(await env.hasEvent("typed", reason: "InvalidSpec", containing: "spec.analysis.stepWeight"))
            }

            // Fixing the spec lets the canary initialize.
            _ = try await env.client.patch(.canaries, namespace: ns, name: "steps", type: .merge,
                                           ["spec": ["analysis": ["metrics": [["name": "request-success-rate", "interval": "1m",
                                                                               "thresholdRange": ["min": 99]]]]]])
            #expect(await env.waitPhase("steps", "Initialized"))
            #expect(Self.specValid(await env.status("steps"))?["status"] == "True")
        }
    }
}
