import KubeCore

/// Words for the steps of a Rollout's canary strategy (Argo's step kinds).
enum RolloutStepText {
    static func describe(_ step: JSONValue) -> String {
        if let w = step["setWeight"].intValue { return "setWeight \(w)%" }
        if step["pause"] != .null {
            if let d = durationText(step["pause"]["duration"]) { return "pause \(d)" }
            return "pause (until serin promote)"
        }
        if step["analysis"] != .null {
            let names = (step["analysis"]["templates"].arrayValue ?? []).compactMap { $0["templateName"].stringValue }
            return "analysis " + (names.isEmpty ? "(no templates)" : names.joined(separator: ", "))
        }
        if step["setCanaryScale"] != .null {
            let s = step["setCanaryScale"]
            if let w = s["weight"].intValue { return "setCanaryScale weight \(w)%" }
            if let r = s["replicas"].intValue { return "setCanaryScale \(r) replicas" }
            if s["matchTrafficWeight"].boolValue == true { return "setCanaryScale matchTrafficWeight" }
            return "setCanaryScale"
        }
        if step["setHeaderRoute"] != .null { return "setHeaderRoute \(step["setHeaderRoute"]["name"].stringValue ?? "")" }
        if step["setMirrorRoute"] != .null { return "setMirrorRoute \(step["setMirrorRoute"]["name"].stringValue ?? "")" }
        if let key = step.objectValue?.keys.sorted().first { return key }
        return "(empty step)"
    }

    /// A pause duration as written (`30s`, `1h`) or as Argo's bare integer seconds.
    static func durationText(_ v: JSONValue) -> String? {
        if let i = v.intValue { return "\(i)s" }
        if let s = v.stringValue, !s.isEmpty { return Int(s).map { "\($0)s" } ?? s }
        return nil
    }

    /// The weight set by the last `setWeight` before `index` (100 once every step is done).
    static func setWeight(steps: [JSONValue], index: Int) -> Int {
        if index >= steps.count { return 100 }
        return steps.prefix(index).compactMap { $0["setWeight"].intValue }.last ?? 0
    }
}
