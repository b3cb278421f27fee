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

extension ReconcileResult {
    /// Requeue after `seconds` of a timer kept in status. NaN or negative means now; more than a
    /// year (an absurd interval in a user's spec) means a year: no spec value can trap the
    /// conversion to `Duration` and take the operator down.
    public static func requeue(afterSeconds seconds: Double) -> ReconcileResult {
        .requeue(after: .clampedSeconds(seconds))
    }
}

extension Duration {
    /// A year: longer than any timer a reconcile needs, far inside `Duration`'s range.
    public static let longestTimer: Duration = .seconds(365 * 24 * 3600)

    /// `seconds` as a Duration, clamped to 0…`limit` (NaN is 0): safe for values read from a spec.
    public static func clampedSeconds(_ seconds: Double, limit: Duration = .longestTimer) -> Duration {
        guard seconds > 0 else { return .zero }
        guard seconds < limit.seconds else { return limit }
        return .milliseconds(Int64((seconds * 1000).rounded(.up)))
    }
}
