import Delivery
import Foundation
import KubeCore
import KubeRuntime
import Logging

extension ReconcileResult {
    /// What the work queue does after one pass of the delivery driver that decided at
    /// `decidedAt`: a requeue counts from then, not from the end of the pass (measuring and
    /// writing take time), so looks stay on the schedule status gives.
    init(_ outcome: DriverOutcome, decidedAt: Date, clock: any RuntimeClock, log: Logger) {
        switch outcome {
        case .done(let after?): self = .requeue(afterSeconds: max(0, after - clock.now().timeIntervalSince(decidedAt)))
        case .done(nil): self = .done
        case .retryNow: self = .requeue(after: .zero)
        case .failed(let error): self = .error(error)
        case .undecided:
            log.error("the decision core still asks for results after its last round")
            self = .error(ReconcileFailure.undecided)
        }
    }
}

/// Failures of a reconcile that are not an API error.
enum ReconcileFailure: Error, CustomStringConvertible {
    case undecided

    var description: String { "the decision core keeps asking for results" }

    /// An error's text cut for an Event message.
    static func short(_ error: any Error) -> String {
        let t = "\(error)"
        return t.count > 300 ? String(t.prefix(300)) + "…" : t
    }
}

extension ObjectWriter {
    /// Runs a status write and says how it went: a 409 or a vanished object is a lost race
    /// (decide again at once from the cache), anything else a failure.
    func statusWrite(log: Logger, _ write: () async throws -> Void) async -> StatusWrite {
        do {
            try await write()
            return .written
        } catch let e as KubeAPIError where e.isConflict || e.isNotFound {
            log.debug("status write lost a race; deciding again", metadata: ["error": "\(e)"])
            return .lostRace
        } catch {
            log.warning("status write failed", metadata: ["error": "\(error)"])
            return .failed(error)
        }
    }
}
