import Controllers
import Foundation
import KubeCore
import SerinAPI
import Synchronization
import Testing

/// `judge: compare` through the Canary controller: the same query for the canary and the
/// primary over the interval window, judged by Mann–Whitney; status carries p-value and effect.
@Suite("Canary controller: comparison judge", .serialized, .timeLimit(.minutes(2)))
struct CompareJudgeCanaryTests {
    /// Range answers: the primary's error rate hovers around 1%; the canary's around `canaryBase`.
    static func script(_ env: CanaryEnvironment, canaryBase: @escaping @Sendable () -> Double) {
        env.prometheus.server.script { req in
            guard req.path == "/api/v1/query_range", let q = req.form["query"] else {
                return (400, #"{"status":"error","errorType":"bad_data","error":"only query_range here"}"#)
            }
            let base = q.contains("shop-primary") ? 1.0 : canaryBase()
            let points = (0..<30).map { i in
                // Deterministic spread so both samples have ties-free variance.
                let v = base + 0.2 * sin(Double(i) * 1.7) + 0.01 * Double(i % 7)
                return "[\(1_800_000_000 + i * 2),\"\(v)\"]"
            }
            let series = #"[{"metric":{},"values":[\#(points.joined(separator: ","))]}]"#
            return (200, #"{"status":"success","data":{"resultType":"matrix","result":\#(series)}}"#)
        }
    }

    final class Base: Sendable { let value = Mutex(1.0) }

    static func canary(_ env: CanaryEnvironment) -> JSONValue {
        [
            "apiVersion": "serin.dev/v1alpha1", "kind": "Canary",
            "metadata": ["name": "shop", "namespace": .string(env.namespace)],
            "spec": [
                "targetRef": ["apiVersion": "apps/v1", "kind": "Deployment", "name": "shop"],
                "service": ["port": 80, "targetPort": 3000],
                "analysis": [
                    "interval": "1m", "threshold": 2, "maxWeight": 20, "stepWeight": 10,
                    "metrics": [["name": "error-rate", "judge": "compare", "confidence": 0.95, "allowedIncrease": 0.1]],
                ],
            ],
        ]
    }

    @Test("a canary like its primary is promoted; one at five times the errors is rolled back with the p-value in status")
    func compareJudge() async throws {
        try await CanaryEnvironment.with { env in
            let canaryBase = Base()
            Self.script(env) { canaryBase.value.withLock { $0 } }
            try await env.createDeployment("shop", image: "shop:1")
            await env.startOperator(provider: "istio")
            _ = try await env.client.create(.canaries, namespace: env.namespace, Self.canary(env))
            #expect(await env.waitPhase("shop", "Initialized"))

            try await env.setImage("shop", "shop:2")
            #expect(await env.waitPhase("shop", "Succeeded"))
            let ranges = env.prometheus.server.requests.filter { $0.path == "/api/v1/query_range" }
            let condition1 = ranges.contains { ($0.form["query"] ?? "").contains("shop-primary") }
            #expect(condition1)

            canaryBase.value.withLock { $0 = 5.0 }
            try await env.setImage("shop", "shop:3")
            #expect(await env.waitPhase("shop", "Failed"))
            let status = await env.status("shop")
            let result = status["metricResults"].arrayValue?.first ?? [:]
            #expect(result["verdict"].stringValue?.lowercased() == "fail")
            let p = result["pValue"].doubleValue ?? 1
            #expect(p < 0.05)
            #expect((result["query"].stringValue ?? "").contains("primary: "))
            #expect(await env.hasEvent("shop", reason: "RollingBack", containing: "error-rate"))
            #expect(await env.waitReplicas("shop", 0))
        }
    }
}
