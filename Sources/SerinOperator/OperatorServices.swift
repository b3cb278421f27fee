import Foundation
import KubeRuntime
import Logging
import ServiceLifecycle
import Synchronization

/// When the operator must be gone: the shutdown grace, counted from the moment shutdown began,
/// shared by everything that drains (the manager's reconciles, then queued notifications).
public final class ShutdownDeadline: Sendable {
    let grace: Duration
    private let started = Mutex<ContinuousClock.Instant?>(nil)

    public init(grace: Duration) { self.grace = grace }

    func begin() { started.withLock { if $0 == nil { $0 = .now } } }

    /// What is left of the grace (all of it before shutdown began).
    public func remaining() -> Duration {
        guard let start = started.withLock({ $0 }) else { return grace }
        return max(.zero, grace - (ContinuousClock.now - start))
    }
}

/// The manager (informers, leader election, controllers) as a service: started with the
/// group, shut down gracefully (reconciles in flight finish, the lease is released).
struct ManagerService: Service {
    let manager: Manager
    let deadline: ShutdownDeadline

    func run() async throws {
        await manager.start()
        try? await gracefulShutdown()
        deadline.begin()
        await manager.shutdown(deadline: deadline.remaining())
    }
}

/// One ops endpoint (/metrics, /healthz, /readyz) as a service.
struct OpsServerService: Service {
    let server: OpsServer

    func run() async throws {
        try? await gracefulShutdown()
        await server.stop()
    }
}

/// Ends the group (gracefully) when `signal` returns: SIGTERM/SIGINT in the process, a
/// test's own trigger otherwise.
struct ShutdownTrigger: Service {
    let signal: @Sendable () async -> Void
    let deadline: ShutdownDeadline
    let logger: Logger

    func run() async throws {
        await cancelWhenGracefulShutdown { await signal() }
        deadline.begin()
        logger.info("signal received: shutting down", metadata: ["grace_seconds": "\(deadline.grace.components.seconds)"])
    }
}

/// Work the lifecycle must finish before the process ends, after the manager has stopped
/// (queued notifications, outgoing clients): `finish` gets what is left of the grace.
public struct DrainService: Service {
    let name: String
    let finish: @Sendable (Duration) async -> Void
    let deadline: ShutdownDeadline

    public init(name: String, deadline: ShutdownDeadline, finish: @escaping @Sendable (Duration) async -> Void) {
        self.name = name
        self.deadline = deadline
        self.finish = finish
    }

    public func run() async throws {
        try? await gracefulShutdown()
        deadline.begin()
        await finish(deadline.remaining())
    }
}
