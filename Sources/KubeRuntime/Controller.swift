import Foundation
import KubeCore
import Logging
import Metrics

/// Runs a `Reconciler` for the keys its watches produce, with N workers over one work queue.
///
/// `runSources()` feeds the queue from the informers; `runWorkers()` reconciles. The manager
/// runs the sources always (so a follower's queue is full when it becomes leader) and the
/// workers only while leading; `run()` does both for a controller used on its own.
public final class Controller: Sendable {
    public let name: String
    public let queue: WorkQueue<ObjectKey>
    public let primary: Informer
    public let sources: [WatchSource]
    public let workers: Int
    private let reconciler: any Reconciler
    private let logger: Logger
    private let durationTimer: Metrics.Timer
    private let successCounter: Counter
    private let requeueCounter: Counter
    private let errorCounter: Counter

    /// - Parameters:
    ///   - primary: the informer of the reconciled resource; its events enqueue their own key.
    ///   - sources: further watches (owned objects, mappers).
    ///   - backoff: per-key delay after `.error` results.
    public init(
        name: String, primary: Informer, reconciler: any Reconciler, sources: [WatchSource] = [], workers: Int = 1,
        primaryPredicate: (@Sendable (InformerEvent) -> Bool)? = nil, backoff: Backoff = .workQueueDefault,
        clock: any RuntimeClock = SystemClock(), logger: Logger = Logger(label: "serin.controller"),
        metricsFactory: (any MetricsFactory)? = nil
    ) {
        let factory = metricsFactory ?? MetricsSystem.factory
        self.name = name
        self.primary = primary
        self.reconciler = reconciler
        self.sources = [WatchSource.primary(primary, predicate: primaryPredicate)] + sources
        self.workers = max(1, workers)
        self.queue = WorkQueue(name: name, backoff: backoff, clock: clock, metricsFactory: factory)
        var logger = logger
        logger[metadataKey: "controller"] = "\(name)"
        self.logger = logger
        durationTimer = Metrics.Timer(
            label: "serin_reconcile_duration_seconds", dimensions: [("controller", name)], factory: factory)
        successCounter = Counter(
            label: "serin_reconcile_total", dimensions: [("controller", name), ("result", "success")], factory: factory)
        requeueCounter = Counter(
            label: "serin_reconcile_total", dimensions: [("controller", name), ("result", "requeue")], factory: factory)
        errorCounter = Counter(
            label: "serin_reconcile_total", dimensions: [("controller", name), ("result", "error")], factory: factory)
    }

    /// Every informer this controller reads.
    public var informers: [Informer] { sources.map(\.informer) }

    /// Sources and workers together, until cancelled.
    public func run() async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.runSources() }
            group.addTask { await self.runWorkers() }
            await group.next()
            group.cancelAll()
        }
    }

    /// Feeds the queue from every source until cancelled (or the informers stop).
    public func runSources() async {
        await withTaskGroup(of: Void.self) { group in
            for source in sources {
                group.addTask {
                    let events = await source.informer.subscribe()
                    for await event in events {
                        if Task.isCancelled { break }
                        for key in source.keys(for: event) { await self.queue.add(key) }
                    }
                }
            }
        }
    }

    /// Queues every object of the primary resource (on becoming leader, after a resync).
    public func enqueueAll() async {
        for key in primary.store.keys { await queue.add(key) }
    }

    /// Waits until every informer has synced, then reconciles with `workers` workers until the
    /// task is cancelled or the queue is shut down. A reconcile in progress is allowed to finish.
    public func runWorkers() async {
        for informer in informers {
            while !informer.hasSynced {
                // Shutdown must not wait for caches that may never sync (a CRD not installed).
                if Task.isCancelled { return }
                if await queue.isShuttingDown { return }
                _ = await informer.waitForSync(timeout: .milliseconds(100))
            }
        }
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<workers {
                group.addTask { await self.work() }
            }
        }
    }

    private func work() async {
        while !Task.isCancelled, let key = await queue.get() {
            await process(key)
            await queue.done(key)
        }
    }

    private func process(_ key: ObjectKey) async {
        let id = Self.newReconcileID()
        var log = logger
        log[metadataKey: "reconcile_id"] = "\(id)"
        log[metadataKey: "name"] = "\(key.name)"
        if let ns = key.namespace { log[metadataKey: "namespace"] = "\(ns)" }
        let start = ContinuousClock.now
        let result = await ReconcileContext.$logger.withValue(log) {
            await ReconcileContext.$reconcileID.withValue(id) {
                await reconciler.reconcile(key)
            }
        }
        durationTimer.recordInterval(since: start)
        switch result {
        case .done:
            successCounter.increment()
            await queue.forget(key)
            log.debug("reconciled")
        case .requeue(let after) where after <= .zero:
            // "Again at once" (a lost race, a conflict): through the key's backoff (5 ms, doubling),
            // so a write that conflicts every time backs off instead of spinning.
            requeueCounter.increment()
            await queue.addRateLimited(key)
            log.debug("reconciled; requeue at once (rate limited)")
        case .requeue(let after):
            requeueCounter.increment()
            await queue.forget(key)
            await queue.addAfter(key, delay: after)
            log.debug("reconciled; requeue", metadata: ["after_seconds": "\(after.seconds)"])
        case .error(let error):
            errorCounter.increment()
            await queue.addRateLimited(key)
            let attempts = await queue.numRequeues(key)
            log.warning("reconcile failed", metadata: ["error": "\(error)", "attempt": "\(attempts)"])
        }
    }

    private static func newReconcileID() -> String {
        var g = SystemRandomNumberGenerator()
        let n = g.next() as UInt64
        let hex = String(n, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}

extension Metrics.Timer {
    fileprivate func recordInterval(since start: ContinuousClock.Instant) {
        let d = ContinuousClock.now - start
        let c = d.components
        recordNanoseconds(c.seconds * 1_000_000_000 + c.attoseconds / 1_000_000_000)
    }
}
