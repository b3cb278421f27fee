import Foundation
import KubeCore
import Logging
import Synchronization

public struct LeaderElectionConfig: Sendable {
    public var leaseName: String
    public var leaseNamespace: String
    /// This candidate's identity, written to `spec.holderIdentity`; unique per process.
    public var identity: String
    /// How long a lease is valid after its last observed change (`spec.leaseDurationSeconds`).
    public var leaseDuration: Duration
    /// A leader that has not renewed for this long stops leading.
    public var renewDeadline: Duration
    /// Time between acquire and renew attempts.
    public var retryPeriod: Duration

    public init(
        leaseName: String, leaseNamespace: String, identity: String = LeaderElectionConfig.defaultIdentity(),
        leaseDuration: Duration = .seconds(15), renewDeadline: Duration = .seconds(10), retryPeriod: Duration = .seconds(2)
    ) {
        self.leaseName = leaseName
        self.leaseNamespace = leaseNamespace
        self.identity = identity
        self.leaseDuration = leaseDuration
        self.renewDeadline = renewDeadline
        self.retryPeriod = retryPeriod
    }

    /// `<hostname>_<random>`: the pod name in a cluster, and unique across restarts.
    public static func defaultIdentity() -> String {
        "\(ProcessInfo.processInfo.hostName)_\(UUID().uuidString.lowercased().prefix(8))"
    }
}

public enum LeaderElectionError: Error, Sendable, CustomStringConvertible {
    /// This process does not hold the lease (or has not renewed it within the lease duration).
    case notLeader(identity: String)

    public var description: String {
        switch self {
        case .notLeader(let id): return "\(id) is not the leader: refusing to write"
        }
    }
}

/// Leader election on a `coordination.k8s.io/v1` Lease, in the manner of client-go.
///
/// A lease is free when its holder is empty, or when it has not changed for
/// `leaseDurationSeconds` as observed by *this* process's clock (clocks of different
/// machines are never compared). Writes use the Lease's resourceVersion, so two candidates
/// cannot both win. A leader that cannot renew within `renewDeadline` stops leading at once.
public final class LeaderElector: Sendable {
    public let config: LeaderElectionConfig
    private let api: any KubeAPI
    private let clock: any RuntimeClock
    private let logger: Logger

    private struct State {
        var leading = false
        var lastRenew: Date? = nil
        /// The lease spec last read, and when (local clock) it was first seen in that form.
        var observedSpec: JSONValue? = nil
        var observedAt: Date? = nil
        /// The last attempt failure reported at warning level, so a lasting cause is said once.
        var reportedFailure: String? = nil
        var subscribers: [Int: AsyncStream<Bool>.Continuation] = [:]
        var nextSubscriber = 0
    }
    private let state = Mutex(State())

    public init(
        api: any KubeAPI, config: LeaderElectionConfig, clock: any RuntimeClock = SystemClock(),
        logger: Logger = Logger(label: "serin.leader-election")
    ) {
        self.api = api
        self.config = config
        self.clock = clock
        var logger = logger
        logger[metadataKey: "lease"] = "\(config.leaseNamespace)/\(config.leaseName)"
        logger[metadataKey: "identity"] = "\(config.identity)"
        self.logger = logger
    }

    /// Whether this process currently leads.
    public var isLeader: Bool { state.withLock { $0.leading } }

    /// Throws unless this process leads and its last successful renew is within the renew
    /// deadline. Controllers call it before each batch of writes. A standby takes over no
    /// sooner than a full lease duration after the renew it last saw, so a write that passes
    /// here has `leaseDuration - renewDeadline` to land before anyone else may lead (the same
    /// margin client-go leaves by giving up at the renew deadline).
    public func fence() throws {
        let now = clock.now()
        let ok = state.withLock { s in
            guard s.leading, let last = s.lastRenew else { return false }
            return now < last.addingTimeInterval(config.renewDeadline.seconds)
        }
        if !ok { throw LeaderElectionError.notLeader(identity: config.identity) }
    }

    /// Leadership as it changes: the current value first, then every change.
    public func changes() -> AsyncStream<Bool> {
        let (stream, continuation) = AsyncStream<Bool>.makeStream()
        let id = state.withLock { s -> Int in
            s.nextSubscriber += 1
            s.subscribers[s.nextSubscriber] = continuation
            continuation.yield(s.leading)
            return s.nextSubscriber
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.subscribers.removeValue(forKey: id) }
        }
        return stream
    }

    private func setLeading(_ leading: Bool, renewedAt: Date? = nil) {
        state.withLock { s in
            if let renewedAt { s.lastRenew = renewedAt }
            guard s.leading != leading else { return }
            s.leading = leading
            if !leading { s.lastRenew = nil }
            for (_, c) in s.subscribers { c.yield(leading) }
        }
    }

    // MARK: The election loop

    /// Acquires, then renews, the lease until the task is cancelled. Losing the lease goes
    /// back to acquiring. Cancelling does not release the lease; call `release()` for that.
    public func run() async {
        while !Task.isCancelled {
            var acquiredAt = clock.now()
            // Acquire.
            while !Task.isCancelled {
                if let at = await tryAcquireOrRenew(timeout: config.renewDeadline) {
                    acquiredAt = at
                    break
                }
                let jitter = Double.random(in: 0..<0.2)
                do { try await clock.sleep(for: config.retryPeriod * (1 + jitter)) } catch { return }
            }
            if Task.isCancelled { return }
            setLeading(true, renewedAt: acquiredAt)
            logger.info("acquired lease; leading")

            // Renew until a renew deadline passes without success.
            renewing: while !Task.isCancelled {
                do { try await clock.sleep(for: config.retryPeriod) } catch { return }
                while true {
                    let last = state.withLock { $0.lastRenew } ?? clock.now()
                    let remaining = last.addingTimeInterval(config.renewDeadline.seconds).timeIntervalSince(clock.now())
                    if remaining <= 0 {
                        setLeading(false)
                        logger.error("could not renew lease within the renew deadline; stopped leading")
                        break renewing
                    }
                    if let at = await tryAcquireOrRenew(timeout: .seconds(remaining)) {
                        setLeading(true, renewedAt: at)
                        break
                    }
                    if Task.isCancelled { return }
                    if !isLeaderAccordingToLastRead() {
                        // Someone else holds it now (we were too slow): stop at once.
                        setLeading(false)
                        logger.error("lease taken by another holder; stopped leading")
                        break renewing
                    }
                    let wait = min(config.retryPeriod.seconds, max(remaining, 0.001))
                    do { try await clock.sleep(for: .seconds(wait)) } catch { return }
                }
            }
        }
    }

    private func isLeaderAccordingToLastRead() -> Bool {
        state.withLock { s in
            guard let holder = s.observedSpec?["holderIdentity"].stringValue else { return true }
            return holder == config.identity
        }
    }

    /// One attempt: create the lease, renew it if ours, or take it over if free or expired.
    /// Returns the time the attempt started (what the lease's validity counts from) on success.
    private func tryAcquireOrRenew(timeout: Duration) async -> Date? {
        let started = clock.now()
        do {
            return try await withDeadline(timeout) { try await self.attempt() } ? started : nil
        } catch {
            // A lasting cause (no such namespace, no permission) is a warning said once, with the
            // fix; passing ones (timeouts, conflicts) stay at debug.
            let cause = Self.lastingCause(error, namespace: config.leaseNamespace)
            let report = state.withLock { s -> Bool in
                defer { s.reportedFailure = cause }
                return cause != nil && s.reportedFailure != cause
            }
            if report, let cause {
                logger.warning("cannot take the lease: \(cause)", metadata: ["error": "\(error)"])
            } else {
                logger.debug("lease attempt failed", metadata: ["error": "\(error)"])
            }
            return nil
        }
    }

    /// The fix for a lease failure that will not pass by itself; nil for passing ones.
    public static func lastingCause(_ error: any Error, namespace: String) -> String? {
        guard let e = error as? KubeAPIError else { return nil }
        if e.isNotFound {
            return "namespace \(namespace) does not exist; create it (kubectl create namespace \(namespace)) or set --lease-namespace"
        }
        if case .forbidden = e {
            return "forbidden to get or create leases in \(namespace); grant coordination.k8s.io leases get/create/update there"
        }
        return nil
    }

    private func attempt() async throws -> Bool {
        let ns = config.leaseNamespace
        let now = clock.now()
        let lease: JSONValue
        do {
            lease = try await api.get(.leases, namespace: ns, name: config.leaseName)
        } catch let error as KubeAPIError where error.isNotFound {
            let spec = newSpec(acquireTime: now, transitions: 0, now: now)
            let created = try await api.create(
                .leases, namespace: ns,
                [
                    "apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                    "metadata": ["name": .string(config.leaseName), "namespace": .string(ns)], "spec": spec,
                ])
            observe(created["spec"], at: now, force: true)
            return true
        }
        let spec = lease["spec"]
        observe(spec, at: now, force: false)
        let holder = spec["holderIdentity"].stringValue ?? ""
        let leaseSeconds = Double(spec["leaseDurationSeconds"].intValue ?? Int(config.leaseDuration.seconds))
        if !holder.isEmpty, holder != config.identity {
            let observedAt = state.withLock { $0.observedAt } ?? now
            if observedAt.addingTimeInterval(leaseSeconds) > now { return false }
        }
        let transitions = spec["leaseTransitions"].intValue ?? 0
        var updated = lease
        if holder == config.identity, let acquired = spec["acquireTime"].stringValue.flatMap(KubeTime.parse) {
            updated["spec"] = newSpec(acquireTime: acquired, transitions: transitions, now: now)
        } else {
            updated["spec"] = newSpec(acquireTime: now, transitions: transitions + 1, now: now)
            if holder.isEmpty || holder != config.identity {
                logger.info("taking over lease", metadata: ["previous_holder": "\(holder)"])
            }
        }
        let written = try await api.update(.leases, namespace: ns, updated)
        observe(written["spec"], at: now, force: true)
        return true
    }

    private func newSpec(acquireTime: Date, transitions: Int, now: Date) -> JSONValue {
        [
            "holderIdentity": .string(config.identity),
            "leaseDurationSeconds": .int(Int64(max(1, config.leaseDuration.seconds.rounded(.up)))),
            "acquireTime": .string(KubeTime.format(acquireTime, micro: true)),
            "renewTime": .string(KubeTime.format(now, micro: true)),
            "leaseTransitions": .int(Int64(transitions)),
        ]
    }

    private func observe(_ spec: JSONValue, at now: Date, force: Bool) {
        state.withLock { s in
            if force || s.observedSpec != spec {
                s.observedSpec = spec
                s.observedAt = now
            }
        }
    }

    // MARK: Release

    /// Gives the lease up so the next candidate takes over at once: clears `holderIdentity`
    /// and writes an expired renew time. Stop `run()` first. Never throws; failures are logged.
    public func release() async {
        let wasLeading = isLeader
        setLeading(false)
        guard wasLeading else { return }
        do {
            try await withDeadline(config.renewDeadline) {
                var lease = try await self.api.get(.leases, namespace: self.config.leaseNamespace, name: self.config.leaseName)
                guard lease["spec"]["holderIdentity"].stringValue == self.config.identity else { return }
                let now = self.clock.now()
                lease[path: ["spec", "holderIdentity"]] = ""
                lease[path: ["spec", "leaseDurationSeconds"]] = 1
                lease[path: ["spec", "renewTime"]] = .string(
                    KubeTime.format(now.addingTimeInterval(-self.config.leaseDuration.seconds - 1), micro: true))
                _ = try await self.api.update(.leases, namespace: self.config.leaseNamespace, lease)
            }
            logger.info("released lease")
        } catch {
            logger.warning("could not release lease", metadata: ["error": "\(error)"])
        }
    }

    /// Runs `body`, throwing `CancellationError` if it takes longer than `limit` on this elector's clock.
    private func withDeadline<T: Sendable>(_ limit: Duration, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        let clock = self.clock
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await body() }
            group.addTask {
                try await clock.sleep(for: limit)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let value = first else { throw CancellationError() }
            return value
        }
    }
}
