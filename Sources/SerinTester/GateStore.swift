import Synchronization

/// Manual gates per canary (`name.namespace`), as Flagger's loadtester keeps them: closed
/// until opened. Rollback gates live beside them under their own keys. In memory: a restart
/// closes every gate, which holds a canary rather than letting it through.
public final class GateStore: Sendable {
    private let open = Mutex<Set<String>>([])

    public init() {}

    public static func key(name: String, namespace: String) -> String { "\(name).\(namespace)" }
    public static func rollbackKey(name: String, namespace: String) -> String { "rollback.\(name).\(namespace)" }

    public func isOpen(_ key: String) -> Bool { open.withLock { $0.contains(key) } }
    public func setOpen(_ key: String, _ value: Bool) {
        open.withLock { if value { $0.insert(key) } else { $0.remove(key) } }
    }
}
