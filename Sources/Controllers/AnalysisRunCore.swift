import Analysis
import Delivery
import Foundation
import KubeCore
import SerinAPI

/// The AnalysisRun's decision core: assess the run, ask for the measurements that are due,
/// and decide the status from them. Pure over `AnalysisRunEvaluator`.
struct AnalysisRunCore: DecisionCore {
    struct Input: Sendable {
        var name: String
        var spec: AnalysisRunSpec
        var status: AnalysisRunStatus?
        /// The status with this pass's measurements recorded; nil until they are taken.
        var measured: AnalysisRunStatus?
        var generation: Int?
    }

    enum Query: Sendable, Hashable {
        /// Take one measurement of each metric named, on top of `base` (the assessed status).
        case measure(metrics: [String], base: AnalysisRunStatus)
    }

    /// An AnalysisRun only measures and writes its status.
    enum Effect: DeliveryEffect {}

    func decide(_ input: Input, now: Date) -> DeliveryDecision<Query, Effect, AnalysisRunStatus> {
        // A measurement a provider left Running (a Job) is looked at again at each pass.
        let assessed = AnalysisRunner.pollingRunning(
            AnalysisRunEvaluator.evaluate(spec: input.spec, status: input.measured ?? input.status, now: now), now: now)
        if input.measured == nil, !assessed.due.isEmpty || AnalysisRunner.hasRunning(assessed.status) {
            return DeliveryDecision(newStatus: input.status ?? AnalysisRunStatus(),
                                    queries: [.measure(metrics: assessed.due, base: assessed.status)], requeueAfter: 0)
        }
        var status = assessed.status
        status.conditions = input.status?.conditions
        Self.setReadiness(&status, generation: input.generation, now: now)
        var events: [DeliveryEvent] = []
        if let phase = status.phase, phase != input.status?.phase {
            let warning = [.failed, .error, .inconclusive].contains(phase)
            events.append(DeliveryEvent(warning ? .warning : .normal, "AnalysisRun\(phase.rawValue)",
                                        AnalysisRunEventText.message(run: input.name, spec: input.spec, status: status)))
        }
        // A finished run is a record: nothing to look at again.
        let requeue = status.phase?.isCompleted == true ? nil : assessed.nextMeasurementAt.map { max(0, $0.timeIntervalSince(now)) }
        return DeliveryDecision(newStatus: status, events: events, requeueAfter: requeue)
    }

    func storedStatus(_ input: Input) -> AnalysisRunStatus? { input.status }

    /// kstatus: Ready once Successful; Stalled when it ended any other way; else Reconciling.
    static func setReadiness(_ status: inout AnalysisRunStatus, generation: Int?, now: Date) {
        let phase = status.phase ?? .pending
        let message = status.message ?? "AnalysisRun is \(phase.rawValue)"
        let readiness: Readiness
        switch phase {
        case .successful: readiness = .ready(message: message)
        case .pending, .running: readiness = .reconciling(reason: phase.rawValue, message: message)
        default: readiness = .stalled(reason: phase.rawValue, message: message)
        }
        var conditions = status.conditions ?? []
        conditions.setReadiness(readiness, at: KubeTime.format(now), generation: generation)
        status.conditions = conditions
    }
}
