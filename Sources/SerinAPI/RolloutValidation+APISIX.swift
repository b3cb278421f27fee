import KubeCore

extension RolloutValidator {
    /// Argo's `trafficRouting.apisix`: the ApisixRoute (`route.name`) and its rules; header
    /// routes are copies of it, mirror routes Argo's apisix router does not set (refused).
    mutating func checkAPISIX(_ r: RolloutTrafficRouting, canary c: RolloutCanaryStrategy, path p: String) {
        let route = r.apisix?["route"] ?? .null
        if (route["name"].stringValue ?? "").isEmpty {
            add("\(p).route.name", "is missing", "name the ApisixRoute whose backend weights Serin sets")
        }
        for (i, rule) in (route["rules"].arrayValue ?? []).enumerated() where (rule.stringValue ?? "").isEmpty {
            add("\(p).route.rules[\(i)]", "is empty", "name an http rule of the ApisixRoute")
        }
        // Another router of the Rollout may set the mirror routes.
        guard r.istio == nil, r.gatewayHTTPRoutes.isEmpty else { return }
        for (i, step) in c.effectiveSteps.enumerated() where step.setMirrorRoute != nil {
            add("strategy.canary.steps[\(i)].setMirrorRoute", "the apisix router cannot mirror traffic (Argo's sets no mirror routes)",
                "remove the step, or route with istio or plugins.\(RolloutTrafficRouting.gatewayAPIPlugin)")
        }
    }
}
