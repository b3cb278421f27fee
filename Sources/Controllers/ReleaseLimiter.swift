import Delivery
import Foundation
import KubeCore
import KubeRuntime
import SerinAPI
import Synchronization

/// How many Canary releases may run at once (flagger#1069): `--max-concurrent-releases`
/// cluster-wide and `--max-concurrent-releases-per-namespace`. A release that would exceed a
/// limit waits in `Waiting` (`waitingFor: release-slot`) and starts in the order it queued
/// (`status.queuedSince`), its status naming the releases it waits for.
///
/// The Canary cache is the record of who runs; a slot this process granted is also counted
/// until the cache shows the release running (four workers decide at once), for a few seconds.
final class ReleaseLimiter: Sendable {
    let clusterLimit: Int?
    let namespaceLimit: Int?
    private let granted = Mutex<[ObjectKey: Date]>([:])
    /// Long enough for a granted release's status to reach the cache.
    static let grantLifetime = 10.0

    init(clusterLimit: Int?, namespaceLimit: Int?) {
        self.clusterLimit = clusterLimit
        self.namespaceLimit = namespaceLimit
    }

    var isLimited: Bool { clusterLimit != nil || namespaceLimit != nil }

    /// A release holds a slot from its first analysis step until its traffic is back home.
    static func holdsSlot(phase: CanaryPhase?, handover: Bool) -> Bool {
        if handover { return true }
        switch phase {
        case .progressing?, .waitingPromotion?, .promoting?, .finalising?: return true
        default: return false
        }
    }

    /// The status fields the limiter reads, without decoding whole statuses.
    struct Entry {
        var key: ObjectKey
        var holdsSlot: Bool
        var queuedSince: String?

        init?(_ json: JSONValue) {
            guard let name = json.name else { return nil }
            key = ObjectKey(namespace: json.namespace, name: name)
            let status = json["status"]
            let phase = status["phase"].stringValue.flatMap(CanaryPhase.init(rawValue:))
            holdsSlot = ReleaseLimiter.holdsSlot(phase: phase, handover: status["handover"].objectValue != nil)
            queuedSince = status["waitingFor"].stringValue == "release-slot" ? status["queuedSince"].stringValue : nil
        }
    }

    /// Whether this Canary's decision may start a release now: nil when it is not about to
    /// start one (or no limit is set).
    func slot(for canary: Canary, checksum: String?, canaries: [JSONValue], now: Date) -> ReleaseSlot? {
        guard isLimited, Self.wantsToStart(canary, checksum: checksum) else { return nil }
        let me = ObjectKey(namespace: canary.namespace, name: canary.name)
        let entries = canaries.compactMap(Entry.init)
        return granted.withLock { grants -> ReleaseSlot in
            grants = grants.filter { now.timeIntervalSince($0.value) < Self.grantLifetime }
            for e in entries where e.holdsSlot { grants[e.key] = nil }  // the cache shows it now
            let running = entries.filter { $0.key != me && ($0.holdsSlot || grants[$0.key] != nil) }.map(\.key)
            let myTurn = canary.status?.queuedSince ?? KubeTime.format(now)
            let ahead = entries.filter { e in
                guard e.key != me, !running.contains(e.key), let since = e.queuedSince else { return false }
                return (since, e.key.description) < (myTurn, me.description)
            }.map(\.key)
            if let limit = clusterLimit, let why = Self.full(running, ahead, limit: limit, scope: "in the cluster") {
                return ReleaseSlot(waitsFor: why)
            }
            if let limit = namespaceLimit {
                let inNamespace = { (k: ObjectKey) in k.namespace == canary.namespace }
                if let why = Self.full(running.filter(inNamespace), ahead.filter(inNamespace), limit: limit,
                                       scope: "in namespace \(canary.namespace)") {
                    return ReleaseSlot(waitsFor: why)
                }
            }
            grants[me] = now
            return .free
        }
    }

    /// The decision the slot was granted for did not start a release.
    func returnGrant(_ key: ObjectKey) {
        granted.withLock { _ = $0.removeValue(forKey: key) }
    }

    /// Why a scope is full for the next release, or nil when it has a slot for it.
    static func full(_ running: [ObjectKey], _ ahead: [ObjectKey], limit: Int, scope: String) -> String? {
        guard running.count + ahead.count >= limit else { return nil }
        var text = "\(running.count) of \(limit) concurrent releases \(scope) run (\(names(running)))"
        if !ahead.isEmpty { text += "; queued before it: \(names(ahead))" }
        return text
    }

    static func names(_ keys: [ObjectKey]) -> String {
        keys.isEmpty ? "none" : keys.sorted().map(\.description).joined(separator: ", ")
    }

    /// The decision would start a release: a new revision, a retry, or a queued release.
    static func wantsToStart(_ canary: Canary, checksum: String?) -> Bool {
        guard let status = canary.status, status.handover == nil else { return false }
        switch status.phase {
        case .waiting?:
            return true
        case .initialized?, .succeeded?, .failed?:
            if let checksum, checksum != status.lastAppliedSpec { return true }
            let retry = canary.annotations[CanaryAnnotations.retry]
            return status.phase == .failed && retry != nil && status.handledAnnotations?[CanaryAnnotations.retry] != retry
        default:
            return false
        }
    }
}
