import KubeCore

extension CanarySpec {
    /// What ingress-nginx's canary annotations can express (Flagger's nginx provider): a weight,
    /// or for A/B one header (exact value or regex) and/or one cookie (mirroring is refused with the other providers that cannot).
    func validateNginx(_ a: CanaryAnalysis, add: (String, String, String) -> Void) {
        if ingressRef == nil {
            add("ingressRef", "is required by provider nginx",
                "name the Ingress that routes to the apex Service, e.g. {apiVersion: networking.k8s.io/v1, kind: Ingress, name: podinfo}")
        }
        guard a.strategy == .abTesting, let match = a.match?.arrayValue else { return }
        var headers: Set<String> = [], cookies = 0
        for (i, m) in match.enumerated() {
            let p = "analysis.match[\(i)]"
            for key in (m.objectValue ?? [:]).keys.sorted() where key != "headers" {
                add("\(p).\(key)", "provider nginx routes A/B traffic by a header or a cookie only",
                    "remove \(key) and match on headers (a header, or cookie: {exact: NAME})")
            }
            for (name, cond) in m["headers"].objectValue ?? [:] {
                let kinds = (cond.objectValue ?? [:]).keys.sorted()
                if name == "cookie" {
                    cookies += 1
                    if kinds != ["exact"] {
                        add("\(p).headers.cookie", "provider nginx matches a cookie by its name only (canary-by-cookie)",
                            "write cookie: {exact: NAME}; requests whose cookie NAME is \"always\" go to the canary")
                    }
                } else {
                    headers.insert(name)
                    if kinds != ["exact"] && kinds != ["regex"] {
                        add("\(p).headers.\(name)", "provider nginx matches a header by exact value or regex (canary-by-header-value, canary-by-header-pattern)",
                            "write {exact: VALUE} or {regex: PATTERN}")
                    }
                }
            }
        }
        if headers.count > 1 {
            add("analysis.match", "provider nginx routes by one header (canary-by-header), not \(headers.sorted().joined(separator: ", "))",
                "keep one header in match")
        }
        if cookies > 1 { add("analysis.match", "provider nginx routes by one cookie (canary-by-cookie)", "keep one cookie in match") }
    }
}
