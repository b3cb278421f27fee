/// A status condition as the Kubernetes API conventions define it, so that
/// `kubectl wait --for=condition=Promoted` works.
public struct Condition: Codable, Sendable, Hashable {
    public enum Status: String, Codable, Sendable { case `true` = "True", `false` = "False", unknown = "Unknown" }

    public var type: String
    public var status: Status
    /// CamelCase.
    public var reason: String
    public var message: String
    /// RFC 3339.
    public var lastTransitionTime: String
    public var lastUpdateTime: String?
    public var observedGeneration: Int?

    public init(
        type: String, status: Status, reason: String, message: String, lastTransitionTime: String,
        lastUpdateTime: String? = nil, observedGeneration: Int? = nil
    ) {
        self.type = type
        self.status = status
        self.reason = reason
        self.message = message
        self.lastTransitionTime = lastTransitionTime
        self.lastUpdateTime = lastUpdateTime
        self.observedGeneration = observedGeneration
    }
}

extension Array where Element == Condition {
    public subscript(type type: String) -> Condition? { first { $0.type == type } }

    /// Sets a condition, keeping `lastTransitionTime` when the status did not change.
    public mutating func set(_ c: Condition) {
        if let i = firstIndex(where: { $0.type == c.type }) {
            var n = c
            if self[i].status == c.status { n.lastTransitionTime = self[i].lastTransitionTime }
            self[i] = n
        } else {
            append(c)
        }
    }
}
