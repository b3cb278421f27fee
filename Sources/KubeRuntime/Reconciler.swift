import KubeCore
import Logging

/// What a reconcile asks of the controller next.
public enum ReconcileResult: Sendable {
    /// Converged: forget the key's error backoff; run again only when something changes.
    case done
    /// Run again after this delay (timers that live in status: analysis intervals, pauses).
    case requeue(after: Duration)
    /// Failed: run again with the key's exponential backoff.
    case error(any Error)
}

/// Brings the world in line with one object. Must be idempotent: it can run any number of
/// times for the same state, and after a restart at any point.
public protocol Reconciler: Sendable {
    func reconcile(_ key: ObjectKey) async -> ReconcileResult
}

/// A reconciler from a closure.
public struct ClosureReconciler: Reconciler {
    let body: @Sendable (ObjectKey) async -> ReconcileResult
    public init(_ body: @escaping @Sendable (ObjectKey) async -> ReconcileResult) { self.body = body }
    public func reconcile(_ key: ObjectKey) async -> ReconcileResult { await body(key) }
}

/// Values the controller sets for the duration of one reconcile.
public enum ReconcileContext {
    /// A logger carrying `controller`, `reconcile_id`, `namespace` and `name` metadata.
    @TaskLocal public static var logger = Logger(label: "serin.reconcile")
    /// The id of the reconcile in progress (also in the logger's metadata).
    @TaskLocal public static var reconcileID: String? = nil
}
