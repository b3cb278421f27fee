/// The object's health in kstatus form (sigs.k8s.io/cli-utils/pkg/kstatus), which Flux's
/// health checks, `kubectl wait --for=condition=Ready` and Argo CD health scripts read:
/// `Ready`, and the "abnormal-true" conditions `Reconciling` (work under way) and `Stalled`
/// (it will not get further without a person), each with observedGeneration.
public enum Readiness: Sendable, Hashable {
    case ready(message: String)
    case reconciling(reason: String, message: String)
    case stalled(reason: String, message: String)

    public static let readyCondition = "Ready"
    public static let reconcilingCondition = "Reconciling"
    public static let stalledCondition = "Stalled"
}

extension Array where Element == Condition {
    /// Sets `Ready`, `Reconciling` and `Stalled` for `readiness`; unchanged ones keep their times.
    public mutating func setReadiness(_ readiness: Readiness, at time: String, generation: Int?) {
        func put(_ type: String, _ status: Condition.Status, _ reason: String, _ message: String) {
            if let c = self[type: type], c.status == status, c.reason == reason, c.message == message,
               c.observedGeneration == generation { return }
            set(Condition(type: type, status: status, reason: reason, message: message, lastTransitionTime: time,
                          observedGeneration: generation))
        }
        switch readiness {
        case .ready(let message):
            put(Readiness.readyCondition, .true, "Ready", message)
            put(Readiness.reconcilingCondition, .false, "Ready", message)
            put(Readiness.stalledCondition, .false, "Ready", message)
        case .reconciling(let reason, let message):
            put(Readiness.readyCondition, .false, reason, message)
            put(Readiness.reconcilingCondition, .true, reason, message)
            put(Readiness.stalledCondition, .false, reason, message)
        case .stalled(let reason, let message):
            put(Readiness.readyCondition, .false, reason, message)
            put(Readiness.reconcilingCondition, .false, reason, message)
            put(Readiness.stalledCondition, .true, reason, message)
        }
    }
}
