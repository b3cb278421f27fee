import KubeCore

// `ResourceType.rollouts` and `.replicaSets` are declared in SerinResources.swift and KubeCore.

/// Labels and annotations Serin writes on the objects of a Rollout.
public enum RolloutLabels {
    /// The pod-template hash label (Argo's key, so existing queries and dashboards keep working):
    /// on each ReplicaSet, its selector and pods, and in the Services' selectors.
    public static let podTemplateHash = "rollouts-pod-template-hash"
    /// The operator instance an object belongs to (`serin operator --instance-id`); copied from
    /// a Rollout to the AnalysisRuns it creates.
    public static let controllerInstance = "serin.dev/controller-instance-id"
    /// The revision number of a ReplicaSet (1, 2, …; reusing an old template gives it a new number).
    public static let revision = "serin.dev/revision"
    /// RFC 3339: when an old ReplicaSet is to be scaled to zero (after scaleDownDelaySeconds).
    public static let scaleDownDeadline = "serin.dev/scale-down-deadline"
    /// Set on a ReplicaSet once it became stable, so an undo to it can skip steps and analysis.
    public static let wasStable = "serin.dev/was-stable"
    /// On a Service whose selector Serin manages: the Rollout's name.
    public static let managedBy = "serin.dev/managed-by"
    /// On AnalysisRuns: the Rollout, the kind of run (`Step`, `Background`, `PrePromotion`, `PostPromotion`) and the step.
    public static let rolloutName = "serin.dev/rollout"
    public static let analysisType = "serin.dev/analysis-type"
    public static let stepIndex = "serin.dev/step-index"
}
