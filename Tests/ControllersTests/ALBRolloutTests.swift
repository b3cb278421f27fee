import Controllers
import Foundation
import KubeCore
import SerinAPI
import SerinTestSupport
import Testing
import Traffic

/// Argo's ALB getting-started Rollout through the controller: the forward action in the user's
/// Ingress follows the steps and ends at stable 100; the rest of the Ingress is kept.
@Suite("Rollout controller: AWS ALB", .serialized, .timeLimit(.minutes(3)))
struct ALBRolloutTests {
    static let actionKey = "alb.ingress.kubernetes.io/actions.web-root"

    @Test("the ALB action's canary weight follows setWeight and returns to 0")
    func weightsFollowTheSteps() async throws {
        try await RolloutEnvironment.with { env in
            let ns = env.namespace
            _ = try await env.client.create(.ingresses, namespace: ns, [
                "apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
                "metadata": ["name": "web-ingress", "namespace": .string(ns),
                             "annotations": ["kubernetes.io/ingress.class": "alb", "alb.ingress.kubernetes.io/scheme": "internet-facing"]],
                "spec": ["rules": [["http": ["paths": [
                    ["path": "/*", "pathType": "ImplementationSpecific",
                     "backend": ["service": ["name": "web-root", "port": ["name": "use-annotation"]]]],
                ]]]]],
            ])
            let routing: JSONValue = ["alb": ["ingress": "web-ingress", "servicePort": 80, "rootService": "web-root"]]
            let weight: @Sendable (JSONValue) -> Int? = { ing in
                ing.annotations[Self.actionKey].flatMap { ALBRouter.canaryWeight(action: $0, canary: "web-canary") }
            }
            let outcome = try await RouterRolloutScenario.walk(env, routing: routing, weight: 20, resource: .ingresses,
                                                              name: "web-ingress", canaryWeight: weight)
            #expect(outcome.pausedAtWeight, "\(outcome.sequence)")
            #expect(outcome.healthy)
            #expect(outcome.endedAtZero, "\(outcome.sequence)")
            let ing = try await env.client.get(.ingresses, namespace: ns, name: "web-ingress")
            #expect(ing.annotations["alb.ingress.kubernetes.io/scheme"] == "internet-facing")
            #expect(ing.annotations["rollouts.argoproj.io/managed-alb-actions"] == "web:\(Self.actionKey)")
            #expect(ing[path: ["spec", "rules"]][0][path: ["http", "paths"]][0][path: ["backend", "service", "name"]] == "web-root")
        }
    }
}
