import Foundation
import KubeCore
import KubeRuntime
import Logging
import SerinAPI

/// The one way to report on an object what the driver cannot decide about (its JSON does
/// not decode, its target cannot be delivered): its status marked as the kind says (a
/// condition, a phase, the message), written once per new message, and a Warning Event.
struct StatusReport {
    let writer: ObjectWriter
    let events: EventRecorder
    let resource: ResourceType
    let cache: ObjectStore
    let catchUp: Duration

    /// `mark` edits the raw status and returns false when it already says this (nothing to write).
    func write(_ json: JSONValue, reason: String, message: String, log: Logger,
               mark: (inout JSONValue) -> Bool) async -> ReconcileResult {
        var status = json["status"].objectValue.map(JSONValue.object) ?? [:]
        guard mark(&status) else { return .done }
        do {
            try await writer.writeStatus(resource, json, status: status, cache: cache, catchUp: catchUp)
        } catch let e as KubeAPIError where e.isConflict || e.isNotFound {
            return .requeue(after: .zero)
        } catch {
            log.warning("could not write status", metadata: ["error": "\(error)"])
            return .error(error)
        }
        await events.record(json, type: .warning, reason: reason, message: message)
        log.warning("\(reason): \(message)")
        return .done  // a spec change (a watch event) is the only fix
    }

    /// Sets condition `type` (with `status`) unless it already carries `message`.
    static func setCondition(_ status: inout JSONValue, type: String, _ value: Condition.Status, reason: String,
                             message: String, generation: Int?, now: Date) -> Bool {
        var conditions = (try? status["conditions"].decode(as: [Condition].self)) ?? []
        let before = conditions[type: type]
        if before?.status == value, before?.reason == reason, before?.message == message { return false }
        conditions.set(Condition(type: type, status: value, reason: reason, message: message,
                                 lastTransitionTime: KubeTime.format(now), observedGeneration: generation))
        status["conditions"] = (try? JSONValue(encoding: conditions)) ?? .null
        status["observedGeneration"] = generation.map { .int(Int64($0)) } ?? .null
        return true
    }
}
