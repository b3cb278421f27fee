import Foundation
import Metrics

/// A de-duplicating work queue with per-key error backoff, in the shape of client-go's.
///
/// - A key waits in the queue at most once, however often it is added.
/// - A key handed out by `get()` is *processing* until `done(_:)`; it is never handed to a
///   second worker meanwhile. Adding it while it is processing marks it dirty, and it is
///   queued once more when `done(_:)` is called.
/// - `addRateLimited(_:)` re-adds after a per-key exponential delay; `forget(_:)` resets it.
/// - `shutDown()` stops handing out work; `drain()` waits for the keys in flight.
public actor WorkQueue<Key: Hashable & Sendable> {
    private var ready: [Key] = []
    private var readyHead = 0
    private var dirty: Set<Key> = []
    private var processing: Set<Key> = []
    private var waiters: [(id: Int, continuation: CheckedContinuation<Key?, Never>)] = []
    private var nextWaiterID = 0
    private var failures: [Key: Int] = [:]
    private var delayed: [Key: (readyAt: Date, token: Int, task: Task<Void, Never>)] = [:]
    private var nextToken = 0
    private var shuttingDown = false
    private var drainWaiters: [CheckedContinuation<Void, Never>] = []

    private let clock: any RuntimeClock
    public nonisolated let backoff: Backoff
    private let depthGauge: Gauge?

    /// - Parameters:
    ///   - name: when set, the queue's depth is exported as `serin_workqueue_depth{controller=name}`.
    ///   - backoff: the per-key delay for `addRateLimited`.
    ///   - metricsFactory: where the depth gauge goes; nil uses `MetricsSystem.factory`.
    public init(
        name: String? = nil, backoff: Backoff = .workQueueDefault, clock: any RuntimeClock = SystemClock(),
        metricsFactory: (any MetricsFactory)? = nil
    ) {
        self.clock = clock
        self.backoff = backoff
        let factory = metricsFactory ?? MetricsSystem.factory
        self.depthGauge = name.map { Gauge(label: "serin_workqueue_depth", dimensions: [("controller", $0)], factory: factory) }
        depthGauge?.record(0)
    }

    // MARK: Adding

    /// Queues `key` unless it is already waiting; if it is processing it runs once more afterwards.
    public func add(_ key: Key) {
        guard !shuttingDown else { return }
        guard dirty.insert(key).inserted else { return }
        if processing.contains(key) { return }
        ready.append(key)
        dispatch()
        recordDepth()
    }

    /// Queues `key` after `delay`. A pending delayed add is kept if it is due earlier.
    public func addAfter(_ key: Key, delay: Duration) {
        guard !shuttingDown else { return }
        guard delay > .zero else { return add(key) }
        let readyAt = clock.now().addingTimeInterval(delay.seconds)
        if let existing = delayed[key] {
            if existing.readyAt <= readyAt { return }
            existing.task.cancel()
        }
        nextToken += 1
        let token = nextToken
        let clock = self.clock
        let task = Task {
            do { try await clock.sleep(for: delay) } catch { return }
            self.fireDelayed(key, token: token)
        }
        delayed[key] = (readyAt, token, task)
    }

    private func fireDelayed(_ key: Key, token: Int) {
        guard let entry = delayed[key], entry.token == token else { return }
        delayed.removeValue(forKey: key)
        add(key)
    }

    /// Re-adds `key` after its backoff delay, which doubles with every call until `forget(_:)`.
    public func addRateLimited(_ key: Key) {
        let attempt = (failures[key] ?? 0) + 1
        failures[key] = attempt
        addAfter(key, delay: backoff.delay(attempt: attempt))
    }

    /// Resets the backoff of `key` (call after it was processed successfully).
    public func forget(_ key: Key) {
        failures.removeValue(forKey: key)
    }

    /// How many times `key` was re-added with backoff since it was last forgotten.
    public func numRequeues(_ key: Key) -> Int { failures[key] ?? 0 }

    // MARK: Taking

    /// The next key to process, waiting for one if needed; nil once the queue is shut down
    /// (or the calling task is cancelled). Call `done(_:)` with the key when finished.
    public func get() async -> Key? {
        if let key = popReady() { return key }
        if shuttingDown { return nil }
        nextWaiterID += 1
        let id = nextWaiterID
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (cont: CheckedContinuation<Key?, Never>) in
                if Task.isCancelled || shuttingDown {
                    cont.resume(returning: nil)
                } else {
                    waiters.append((id, cont))
                }
            }
        } onCancel: {
            Task { await self.cancelWaiter(id) }
        }
    }

    private func cancelWaiter(_ id: Int) {
        if let i = waiters.firstIndex(where: { $0.id == id }) {
            waiters.remove(at: i).continuation.resume(returning: nil)
        }
    }

    /// Marks `key` as no longer processing; if it was added meanwhile it is queued again.
    public func done(_ key: Key) {
        guard processing.remove(key) != nil else { return }
        if dirty.contains(key) {
            if shuttingDown {
                dirty.remove(key)
            } else {
                ready.append(key)
                dispatch()
            }
        }
        recordDepth()
        if processing.isEmpty {
            for w in drainWaiters { w.resume() }
            drainWaiters.removeAll()
        }
    }

    private func popReady() -> Key? {
        guard !shuttingDown, readyHead < ready.count else { return nil }
        let key = ready[readyHead]
        readyHead += 1
        // Compact now and then so popping stays O(1) amortised.
        if readyHead > 1024, readyHead * 2 > ready.count {
            ready.removeFirst(readyHead)
            readyHead = 0
        }
        dirty.remove(key)
        processing.insert(key)
        recordDepth()
        return key
    }

    private func dispatch() {
        while !waiters.isEmpty, let key = popReady() {
            waiters.removeFirst().continuation.resume(returning: key)
        }
    }

    // MARK: Shutting down

    /// Stops handing out keys: waiting `get()` calls return nil, delayed adds are dropped.
    /// Keys in flight may still call `done(_:)`.
    public func shutDown() {
        guard !shuttingDown else { return }
        shuttingDown = true
        for w in waiters { w.continuation.resume(returning: nil) }
        waiters.removeAll()
        for (_, d) in delayed { d.task.cancel() }
        delayed.removeAll()
        ready.removeAll()
        readyHead = 0
        dirty.removeAll()
        recordDepth()
    }

    /// Shuts down and waits until every key in flight is `done`.
    public func shutDownAndDrain() async {
        shutDown()
        if processing.isEmpty { return }
        await withCheckedContinuation { drainWaiters.append($0) }
    }

    public var isShuttingDown: Bool { shuttingDown }

    // MARK: Introspection

    /// Keys waiting to be handed out (the exported depth).
    public var depth: Int { ready.count - readyHead }
    /// Keys handed out and not yet `done`.
    public var processingCount: Int { processing.count }
    /// Keys waiting for a delayed add.
    public var delayedCount: Int { delayed.count }
    public func isProcessing(_ key: Key) -> Bool { processing.contains(key) }

    private func recordDepth() {
        depthGauge?.record(depth)
    }
}
