import Analysis
import Delivery
import Foundation
import KubeCore
import KubeRuntime
import Logging
import SerinAPI

/// The cluster as the delivery driver sees it for one AnalysisRun: measurements are real
/// provider queries, the status goes through the status subresource, events become
/// Kubernetes Events.
struct AnalysisRunClusterWorld: DeliveryWorld {
    typealias Core = AnalysisRunCore

    let reconciler: AnalysisRunReconciler
    let json: JSONValue
    let namespace: String
    let log: Logger

    func answer(_ queries: [AnalysisRunCore.Query], into input: inout AnalysisRunCore.Input, now: Date) async throws {
        for case .measure(let metrics, let base) in queries {
            do {
                input.measured = try await reconciler.measure(
                    metrics, base: base, spec: input.spec, namespace: namespace, now: now,
                    run: AnalysisRunIdentity(name: json.name ?? input.name, namespace: namespace, uid: json.uid ?? ""))
            } catch {
                log.warning("could not read the run's Secrets", metadata: ["error": "\(error)"])
                throw error
            }
        }
    }

    func writeStatus(_ status: AnalysisRunStatus, input: AnalysisRunCore.Input) async -> StatusWrite {
        await reconciler.writer.statusWrite(log: log) { try await reconciler.writeStatus(json, status) }
    }

    func record(_ decision: DeliveryDecision<AnalysisRunCore.Query, AnalysisRunCore.Effect, AnalysisRunStatus>,
                input: AnalysisRunCore.Input, now: Date) async {
        for e in decision.events {
            await reconciler.events.record(json, type: e.type == .warning ? .warning : .normal, reason: e.reason, message: e.message)
            if e.type == .warning { log.warning("\(e.message)") } else { log.info("\(e.message)") }
        }
    }

    func perform(_ effect: AnalysisRunCore.Effect, input: AnalysisRunCore.Input) async throws {}
}
