import KubeCore

extension AlertProviderSpec {
    /// Every problem of the spec (empty when valid); paths start at `spec.`.
    public func validate() -> [CanarySpecProblem] {
        var out: [CanarySpecProblem] = []
        func add(_ path: String, _ message: String, _ fix: String) {
            out.append(CanarySpecProblem(path: "spec." + path, message: message, fix: fix))
        }
        let types = AlertProviderType.allCases.map(\.rawValue).joined(separator: ", ")
        if AlertProviderType.flaggerOnly.contains(type) {
            add("type", "the \(type) alert provider is not supported by Serin yet", "use one of \(types)")
        } else if providerType == nil {
            add("type", "\"\(type)\" is not a provider type", "use one of \(types)")
        }
        let hasAddress = !(address ?? "").isEmpty
        if !hasAddress, secretRef == nil {
            add("address", "neither address nor secretRef is set",
                "set secretRef.name to a Secret with the key address (or set address)")
        }
        // The address is not echoed back: it is often a credential (Slack, Discord).
        if hasAddress, let a = address, !Self.isHTTPURL(a) {
            add("address", "is not an http(s) URL", "write the webhook URL, starting with https://")
        }
        if let s = secretRef, s.name.isEmpty {
            add("secretRef.name", "is empty", "name a Secret in the provider's namespace")
        }
        if let p = proxy, !p.isEmpty, !Self.isHTTPURL(p) {
            add("proxy", "\"\(p)\" is not an http(s) URL", "write the proxy as http://host:port")
        }
        if let s = severity, AlertSeverity(rawValue: s) == nil {
            add("severity", "\"\(s)\" is not a severity", "use info, warn or error")
        }
        return out
    }

    /// Whether `text` starts with http:// or https:// and has something after it.
    public static func isHTTPURL(_ text: String) -> Bool {
        let lower = text.lowercased()
        for scheme in ["http://", "https://"] where lower.hasPrefix(scheme) {
            return lower.count > scheme.count
        }
        return false
    }
}

extension CanaryAlert {
    /// Problems of one `analysis.alerts` entry; `path` is its position (`spec.analysis.alerts[0]`).
    public func validate(path: String) -> [CanarySpecProblem] {
        var out: [CanarySpecProblem] = []
        if name.isEmpty {
            out.append(CanarySpecProblem(path: path + ".name", message: "is empty", fix: "name the alert"))
        }
        if providerRef.name.isEmpty {
            out.append(CanarySpecProblem(path: path + ".providerRef.name", message: "is empty",
                                         fix: "name an AlertProvider"))
        }
        // Flagger accepts an empty severity and reads it as info.
        if let s = severity, !s.isEmpty, AlertSeverity(rawValue: s) == nil {
            out.append(CanarySpecProblem(path: path + ".severity", message: "\"\(s)\" is not a severity",
                                         fix: "use info, warn or error"))
        }
        return out
    }
}
