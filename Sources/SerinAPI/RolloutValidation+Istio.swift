import KubeCore

extension RolloutValidator {
    /// Argo's subset-level splitting: the DestinationRule and its two subset names.
    mutating func checkDestinationRule(_ dr: RolloutIstioDestinationRule, path p: String) {
        if dr.name.isEmpty { add("\(p).name", "is empty", "name the DestinationRule whose subsets Serin labels") }
        if dr.canarySubsetName.isEmpty { add("\(p).canarySubsetName", "is empty", "name the canary subset, e.g. canary") }
        if dr.stableSubsetName.isEmpty { add("\(p).stableSubsetName", "is empty", "name the stable subset, e.g. stable") }
        if !dr.canarySubsetName.isEmpty, dr.canarySubsetName == dr.stableSubsetName {
            add("\(p).stableSubsetName", "is the same subset as canarySubsetName", "use two different subsets")
        }
    }

    /// Argo's ping-pong pair: two different Services, instead of canaryService and stableService,
    /// through ALB or Istio (the routers Argo swaps them for).
    mutating func checkPingPong(_ pp: RolloutPingPong, canary c: RolloutCanaryStrategy, path p: String) {
        if pp.pingService.isEmpty { add("\(p).pingService", "is empty", "name the ping Service") }
        if pp.pongService.isEmpty { add("\(p).pongService", "is empty", "name the pong Service") }
        if !pp.pingService.isEmpty, pp.pingService == pp.pongService {
            add("\(p).pongService", "is the same Service as pingService", "use two different Services")
        }
        if c.canaryService != nil || c.stableService != nil {
            add(p, "is set together with canaryService/stableService",
                "keep one of them: the ping and pong Services take the canary and stable roles in turn")
        }
        let r = c.trafficRouting
        let alb = r?.alb.map { $0 != .null } ?? false
        if r == nil || (!alb && r?.istio == nil) {
            add(p, "ping-pong Services need the alb or istio router (as Argo)",
                "configure trafficRouting.alb or trafficRouting.istio, or name canaryService and stableService instead")
        }
        if r?.istio?.destinationRule != nil {
            add(p, "cannot be combined with istio.destinationRule (subset-level splitting routes by subsets, not Services)",
                "remove one of them")
        }
    }
}
