import KubeCore

/// The pod label Serin rewrites for the primary (`app: podinfo` → `app: podinfo-primary`).
public struct SelectorLabel: Sendable, Hashable {
    public var key: String
    /// The target's value; the primary's is `<value>-primary`.
    public var value: String

    public init(key: String, value: String) {
        self.key = key
        self.value = value
    }

    public var primaryValue: String { "\(value)-primary" }

    /// Label keys Flagger accepts, in its order of preference.
    public static let candidateKeys = ["app.kubernetes.io/name", "app", "name"]

    /// The selector label of a target Deployment: the first candidate key in
    /// `spec.selector.matchLabels`, else any single matchLabel.
    public init?(target: JSONValue) {
        let matchLabels = target[path: ["spec", "selector", "matchLabels"]].objectValue ?? [:]
        for key in Self.candidateKeys {
            if let v = matchLabels[key]?.stringValue {
                self.init(key: key, value: v)
                return
            }
        }
        guard matchLabels.count == 1, let (k, v) = matchLabels.first, let s = v.stringValue else { return nil }
        self.init(key: k, value: s)
    }
}
