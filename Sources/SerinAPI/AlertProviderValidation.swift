import KubeCore

extension AlertProviderSpec {
    /// Every problem of the spec (empty when valid); paths start at `spec.`.
    public func validate() -> [CanarySpecProblem] {
        var out: [CanarySpecProblem] = []
        func add(_ path: String, _ message: String, _ fix: String) {
            out.append(CanarySpecProblem(path: "spec." + path, message: message, fix: fix))
        }
        let types = AlertProviderType.allCases.map(\.rawValue).joined(separator: ", ")
        if providerType == nil {
            add("type", "\"\(type)\" is not a provider type", "use one of \(types)")
        }
        let kind = providerType
        let hasAddress = !(address ?? "").isEmpty
        if !hasAddress, secretRef == nil, kind?.defaultAddress == nil {
            add("address", "neither address nor secretRef is set",
                "set secretRef.name to a Secret with the key address (or set address)")
        }
        // The address is not echoed back: it is often a credential (Slack, Discord).
        if hasAddress, let a = address {
            if kind == .email, !Self.isSMTPURL(a) {
                add("address", "is not an smtp:// URL", "write the mail server as smtp://host:587")
            } else if kind != .email, !Self.isHTTPURL(a) {
                add("address", "is not an http(s) URL", "write the webhook URL, starting with https://")
            }
        }
        if let kind, kind.needsToken, secretRef == nil {
            add("secretRef", "the \(kind.rawValue) type needs a token", "set secretRef.name to a Secret with the key token")
        }
        if kind == .telegram, (channel ?? "").isEmpty {
            add("channel", "the telegram type needs a chat id", "set channel to the chat id (-1001234567890 or @channel)")
        }
        if kind == .email {
            if let e = email {
                if !Self.isMailbox(e.from) {
                    add("email.from", "\"\(e.from)\" is not a mail address", "write it as serin@example.com")
                }
                if e.to.isEmpty { add("email.to", "is empty", "list at least one recipient") }
                for (i, to) in e.to.enumerated() where !Self.isMailbox(to) {
                    add("email.to[\(i)]", "\"\(to)\" is not a mail address", "write it as oncall@example.com")
                }
            } else {
                add("email", "the email type needs a sender and recipients", "set email.from and email.to")
            }
        } else if email != nil, let kind {
            add("email", "is only read by the email type, not \(kind.rawValue)", "remove it or set type: email")
        }
        if let t = template {
            do { _ = try AlertTemplate(parsing: t) } catch {
                add("template", error.message, "write text with placeholders such as {{ .Name }}")
            }
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

    /// Whether `text` is `smtp://host[:port]`.
    public static func isSMTPURL(_ text: String) -> Bool {
        let lower = text.lowercased()
        return lower.hasPrefix("smtp://") && lower.count > "smtp://".count
    }

    /// A plain `local@domain` address (no display name, no spaces or angle brackets, which
    /// would let one address smuggle SMTP commands).
    static func isMailbox(_ text: String) -> Bool {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { return false }
        return !text.contains { $0.isWhitespace || "<>,;\"\r\n".contains($0) }
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
