import KubeCore

/// events.k8s.io/v1 Event ⇄ core/v1 Event: the same stored objects under two schemas.
enum EventConversion {
    /// (events.k8s.io/v1 field, core/v1 field) pairs that only differ in name.
    static let renamed: [(String, String)] = [
        ("regarding", "involvedObject"), ("note", "message"), ("reportingController", "reportingComponent"),
        ("deprecatedSource", "source"), ("deprecatedFirstTimestamp", "firstTimestamp"),
        ("deprecatedLastTimestamp", "lastTimestamp"), ("deprecatedCount", "count"),
    ]

    static func toCore(_ v1: JSONValue) -> JSONValue {
        var o = v1
        for (new, old) in renamed {
            let value = o[new]
            o[new] = .null
            if !value.isNull { o[old] = value }
        }
        o["apiVersion"] = "v1"
        return o
    }

    static func toEventsV1(_ core: JSONValue) -> JSONValue {
        var o = core
        if o["reportingComponent"].isNull, let c = o["source"]["component"].stringValue { o["reportingComponent"] = .string(c) }
        if o["reportingInstance"].isNull, let h = o["source"]["host"].stringValue { o["reportingInstance"] = .string(h) }
        for (new, old) in renamed {
            let value = o[old]
            o[old] = .null
            if !value.isNull { o[new] = value }
        }
        return o
    }
}
