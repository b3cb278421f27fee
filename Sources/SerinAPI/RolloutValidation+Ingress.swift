import KubeCore

extension RolloutValidator {
    /// Argo's `trafficRouting.nginx`: one of stableIngress or stableIngresses (header and mirror
    /// routes: see checkRouting).
    mutating func checkNginx(_ r: RolloutTrafficRouting, path p: String) {
        let n = r.nginx ?? .null
        let one = n["stableIngress"].stringValue.map { !$0.isEmpty } ?? false
        let many = !(n["stableIngresses"].arrayValue ?? []).isEmpty
        if one && many {
            add(p, "sets both stableIngress and stableIngresses", "keep one of them (stableIngresses for several Ingresses)")
        } else if !one && !many {
            add("\(p).stableIngress", "is missing", "name the Ingress that routes to the stableService")
        }
        for key in ["additionalIngressAnnotations", "canaryIngressAnnotations"] {
            for (k, v) in n[key].objectValue ?? [:] where v.stringValue == nil {
                add("\(p).\(key).\(k)", "is not a string", "quote the annotation value")
            }
        }
    }
}

extension RolloutValidator {
    /// Argo's `trafficRouting.alb`: an Ingress and the servicePort; per-Ingress servicePorts are
    /// not supported by Serin yet (header routes: checkALBHeaderRoute).
    mutating func checkALB(_ r: RolloutTrafficRouting, path p: String) {
        let a = r.alb ?? .null
        let one = a["ingress"].stringValue.map { !$0.isEmpty } ?? false
        if !one && (a["ingresses"].arrayValue ?? []).isEmpty {
            add("\(p).ingress", "is missing", "name the Ingress whose ALB action Serin sets")
        }
        if a["servicePort"].intValue == nil {
            add("\(p).servicePort", "is missing", "set the port the canary and stable Services listen on")
        }
        if a["servicePorts"] != .null {
            add("\(p).servicePorts", "per-Ingress service ports are not supported by Serin yet", "use servicePort")
        }
        let sticky = a["stickinessConfig"]
        if sticky["enabled"].boolValue == true {
            let d = sticky["durationSeconds"].intValue ?? 0
            if !(1...604_800).contains(d) {
                add("\(p).stickinessConfig.durationSeconds", "\(d) is out of range",
                    "set between 1 and 604800 seconds (7 days), AWS's limit")
            }
        }
    }
}

extension RolloutValidator {
    /// Header routes through ALB are ALB listener conditions, which match exact header values (as Argo writes them).
    mutating func checkALBHeaderRoute(_ h: RolloutSetHeaderRoute, routing r: RolloutTrafficRouting, path p: String) {
        guard r.alb.map({ $0 != .null }) ?? false else { return }
        for (j, m) in (h.match ?? []).enumerated() where m.headerValue.exact == nil && m.headerValue.count == 1 {
            add("\(p).match[\(j)].headerValue", "regex and prefix header matches are not supported by the alb router (ALB conditions match exact values)",
                "use headerValue: {exact: VALUE}")
        }
    }

    /// Mirror routes need a router that mirrors: ALB cannot (nor does Argo's ALB router).
    mutating func checkALBMirrorRoute(_ r: RolloutTrafficRouting, path p: String) {
        let alb = r.alb.map { $0 != .null } ?? false
        guard alb, r.istio == nil, r.gatewayHTTPRoutes.isEmpty else { return }
        add(p, "mirror routes are not supported by the alb router (ALB cannot mirror requests; Argo's sets none either)",
            "remove the setMirrorRoute step, or route with istio or plugins.\(RolloutTrafficRouting.gatewayAPIPlugin) as well")
    }
}
