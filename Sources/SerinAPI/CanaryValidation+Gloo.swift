import KubeCore

extension CanarySpec {
    /// What a Gloo route matcher can express for A/B: headers by exact value or regex, and the method.
    func validateGloo(_ a: CanaryAnalysis, add: (String, String, String) -> Void) {
        if let ref = upstreamRef, ref.kind != "Upstream" {
            add("upstreamRef.kind", "\"\(ref.kind)\" is not a Gloo Upstream", "name a gloo.solo.io/v1 Upstream, kind: Upstream")
        }
        guard a.strategy == .abTesting, let match = a.match?.arrayValue else { return }
        for (i, m) in match.enumerated() {
            let p = "analysis.match[\(i)]"
            for key in (m.objectValue ?? [:]).keys.sorted() where key != "headers" && key != "method" {
                add("\(p).\(key)", "provider gloo routes A/B traffic by headers and method only",
                    "remove \(key) and match on headers, e.g. {headers: {x-canary: {exact: insider}}}")
            }
            for (name, cond) in (m["headers"].objectValue ?? [:]).sorted(by: { $0.key < $1.key }) {
                let kinds = (cond.objectValue ?? [:]).keys.sorted()
                if kinds != ["exact"] && kinds != ["regex"] {
                    add("\(p).headers.\(name)", "provider gloo matches a header by exact value or regex",
                        "write {exact: VALUE} or {regex: PATTERN}")
                }
            }
            if !m["method"].isNull, m["method"]["exact"].stringValue == nil {
                add("\(p).method", "provider gloo matches a method exactly", "write method: {exact: GET}")
            }
        }
    }
}
