import Synchronization

/// One API request as RBAC sees it: who (User-Agent) did which verb on which
/// group/resource/subresource, where. Discovery and non-resource URLs are not recorded.
public struct AuditedRequest: Sendable, Hashable, CustomStringConvertible {
    /// "" for the core group.
    public var group: String
    public var version: String
    /// Plural, e.g. `deployments`.
    public var resource: String
    /// `status`, `scale`, or nil.
    public var subresource: String?
    /// Kubernetes verb: get, list, watch, create, update, patch, delete, deletecollection.
    public var verb: String
    /// Nil for cluster-scoped resources and for requests across all namespaces.
    public var namespace: String?
    public var userAgent: String

    public init(group: String, version: String, resource: String, subresource: String? = nil, verb: String,
                namespace: String? = nil, userAgent: String = "") {
        self.group = group
        self.version = version
        self.resource = resource
        self.subresource = subresource
        self.verb = verb
        self.namespace = namespace
        self.userAgent = userAgent
    }

    /// `resource/subresource` as an RBAC rule names it.
    public var rbacResource: String { subresource.map { "\(resource)/\($0)" } ?? resource }

    /// `verb group/resource[/sub] [ns]`, e.g. `patch apps/deployments ns=demo`.
    public var description: String {
        "\(verb) \(group.isEmpty ? "core" : group)/\(rbacResource)" + (namespace.map { " ns=\($0)" } ?? "")
    }
}

/// Records every resource request the server routes (over HTTP; the in-process `api` is not
/// audited), so a test can compare what a client really did with what its RBAC grants.
public final class RequestAudit: Sendable {
    private let log = Mutex<[AuditedRequest]>([])
    /// Keeps the audit bounded for long runs (a watch-heavy operator repeats itself).
    private let limit: Int

    init(limit: Int = 200_000) { self.limit = limit }

    /// Every request recorded so far, oldest first.
    public var requests: [AuditedRequest] { log.withLock { $0 } }

    public func reset() { log.withLock { $0.removeAll() } }

    func record(_ r: AuditedRequest) {
        log.withLock { l in
            if l.count < limit { l.append(r) }
        }
    }

    /// The hook the router calls once per resource request, before faults and serving.
    func record(_ req: HTTPRequest, _ t: Router.Target, verb: String) {
        record(AuditedRequest(
            group: t.resource.type.group, version: t.resource.type.version, resource: t.resource.type.plural,
            subresource: t.subresource, verb: verb, namespace: t.namespace,
            userAgent: req.headers.first(name: "User-Agent") ?? ""))
    }
}

extension TestAPIServer {
    /// What clients asked of this server over HTTP.
    public var audit: RequestAudit { core.audit }
}
