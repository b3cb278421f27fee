import KubeCore
import Synchronization

/// Who the bearer token is, as far as authorization goes: a configurable identity whose
/// denied rules a test sets (everything is allowed by default). It answers
/// SelfSubjectAccessReviews, and the router refuses a denied request with 403, so what a
/// client is told it may do and what it can do agree.
public final class AccessPolicy: Sendable {
    /// One request as RBAC sees it.
    public struct Attributes: Sendable, Hashable {
        public var verb: String
        public var group: String
        public var resource: String
        public var namespace: String?
        public var name: String?
    }

    /// A denial: `verb` on `group/resource` (nil namespace: in every namespace).
    public struct Rule: Sendable, Hashable {
        public var verb: String
        public var group: String
        public var resource: String
        public var namespace: String?
        public init(verb: String, group: String, resource: String, namespace: String? = nil) {
            self.verb = verb
            self.group = group
            self.resource = resource
            self.namespace = namespace
        }
    }

    private let denied = Mutex<Set<Rule>>([])
    private let reviews = Mutex(0)

    public init() {}

    public func deny(_ rule: Rule) { denied.withLock { _ = $0.insert(rule) } }
    public func allowAll() { denied.withLock { $0.removeAll() } }
    /// SelfSubjectAccessReviews answered so far.
    public var reviewCount: Int { reviews.withLock { $0 } }

    public func allows(_ a: Attributes) -> Bool {
        !denied.withLock { rules in
            rules.contains { r in
                (r.verb == a.verb || r.verb == "*") && r.group == a.group && (r.resource == a.resource || r.resource == "*")
                    && (r.namespace == nil || r.namespace == a.namespace)
            }
        }
    }

    /// The status of a `SelfSubjectAccessReview` whose spec is `review["spec"]`.
    func review(_ review: JSONValue) -> JSONValue {
        reviews.withLock { $0 += 1 }
        let attrs = review["spec"]["resourceAttributes"]
        let a = Attributes(verb: attrs["verb"].stringValue ?? "", group: attrs["group"].stringValue ?? "",
                           resource: attrs["resource"].stringValue ?? "", namespace: attrs["namespace"].stringValue,
                           name: attrs["name"].stringValue)
        var out = review
        out["apiVersion"] = "authorization.k8s.io/v1"
        out["kind"] = "SelfSubjectAccessReview"
        let allowed = allows(a)
        out["status"] = allowed ? ["allowed": true] : ["allowed": false, "reason": "denied by the test server's access policy"]
        return out
    }
}
