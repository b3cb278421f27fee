/// The annotations the CLI writes and GitOps users can set on a Canary or a Rollout, so manual
/// control never needs a spec edit. Triggers act once per new value (the handled value is
/// recorded in status); `paused` is a state that holds while its value is `"true"`.
public enum ManualControlAnnotations {
    /// Canary: skip the rest of the analysis and promote. Rollout: leave the current pause or
    /// step (Argo's `promote`).
    public static let promote = "serin.dev/promote"
    /// Rollout: skip every remaining step and analysis (Argo's `promote --full`).
    public static let promoteFull = "serin.dev/promote-full"
    /// Roll back now: traffic to the primary/stable, the new version scaled down.
    public static let abort = "serin.dev/abort"
    /// Start an aborted or failed release again from its first step.
    public static let retry = "serin.dev/retry"
    /// Rollout: roll back to a revision. The value is the revision number; `previous` or `0`
    /// means the revision before the current one. An optional `@token` suffix (the CLI adds a
    /// timestamp) makes a repeated undo to the same revision a new request.
    public static let undo = "serin.dev/undo"
    /// Rollout: restart every pod (like `spec.restartAt = now`).
    public static let restart = "serin.dev/restart"
    /// `"true"` pauses (Canary: like `spec.suspend`; Rollout: like `spec.paused`).
    public static let paused = "serin.dev/paused"

    /// Every trigger annotation (all but `paused`).
    public static let triggers = [promote, promoteFull, abort, retry, undo, restart]
}
