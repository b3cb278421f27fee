import Foundation
import KubeCore
import Logging
import Metrics
import Synchronization

public struct ManagerOptions: Sendable {
    /// Namespaces to watch; nil watches all.
    public var namespaces: [String]?
    /// Leader election; nil reconciles without electing (a single replica, tests).
    public var leaderElection: LeaderElectionConfig?
    /// Defaults for every informer the manager creates (page size, transform, backoff).
    /// Its `namespaces` is replaced by the manager's.
    public var informerDefaults: InformerOptions
    public var clock: any RuntimeClock
    public var logger: Logger
    /// Where controller metrics go; nil uses `MetricsSystem.factory`.
    public var metricsFactory: (any MetricsFactory)?
    /// Called when this replica starts or stops leading (the operator's gauge and log line).
    public var onLeadershipChange: (@Sendable (Bool) -> Void)?
    /// A label selector added to every informer of these API groups (sharding: the operator's
    /// own kinds, so several instances split a cluster); nil adds none.
    public var ownSelector: (groups: Set<String>, selector: String)?

    public init(
        namespaces: [String]? = nil, leaderElection: LeaderElectionConfig? = nil,
        informerDefaults: InformerOptions = InformerOptions(), clock: any RuntimeClock = SystemClock(),
        logger: Logger = Logger(label: "serin.manager"), metricsFactory: (any MetricsFactory)? = nil
    ) {
        self.metricsFactory = metricsFactory
        self.namespaces = namespaces
        self.leaderElection = leaderElection
        self.informerDefaults = informerDefaults
        self.clock = clock
        self.logger = logger
    }
}

/// Owns the shared informers, leader election, the event recorder and the controllers.
///
/// Informers run on every replica (followers keep their caches warm); controllers' workers
/// run only while this replica leads, and stop at once when leadership is lost.
public actor Manager {
    public nonisolated let api: any KubeAPI
    public nonisolated let options: ManagerOptions
    public nonisolated let elector: LeaderElector?
    public nonisolated let events: EventRecorder
    private let logger: Logger

    private struct InformerKey: Hashable {
        var resource: ResourceType
        var labelSelector: String?
    }
    private var informers: [InformerKey: Informer] = [:]
    /// Every informer, readable without awaiting (for `/readyz`).
    private let informerRegistry = Mutex<[Informer]>([])
    private var controllers: [Controller] = []
    private var started = false
    private var stopping = false
    private var sourceTasks: [Task<Void, Never>] = []
    private var workerTasks: [String: Task<Void, Never>] = [:]
    private var electionTask: Task<Void, Never>?
    private var leadershipTask: Task<Void, Never>?
    private let leadingFlag = Mutex(false)

    public init(api: any KubeAPI, options: ManagerOptions = ManagerOptions()) {
        self.api = api
        self.options = options
        self.logger = options.logger
        let elector = options.leaderElection.map {
            LeaderElector(api: api, config: $0, clock: options.clock, logger: options.logger)
        }
        self.elector = elector
        // Events name the replica that wrote them, and only the leader writes them.
        self.events = EventRecorder(
            api: api, reportingInstance: options.leaderElection?.identity ?? ProcessInfo.processInfo.hostName,
            clock: options.clock, logger: options.logger, fence: { try elector?.fence() })
    }

    // MARK: Informers

    /// The shared informer for `resource` (one per resource and label selector), created on
    /// first use. `indexers` of later callers are ignored: declare them on first use.
    public func informer(
        for resource: ResourceType, labelSelector: String? = nil, indexers: [String: IndexFunction] = [:]
    ) -> Informer {
        var labelSelector = labelSelector
        if let own = options.ownSelector, own.groups.contains(resource.group) {
            labelSelector = [labelSelector, own.selector].compactMap { $0 }.joined(separator: ",")
        }
        let key = InformerKey(resource: resource, labelSelector: labelSelector)
        if let existing = informers[key] { return existing }
        var opts = options.informerDefaults
        opts.namespaces = options.namespaces
        opts.labelSelector = labelSelector
        opts.indexers = opts.indexers.merging(indexers) { _, new in new }
        let informer = Informer(api: api, resource: resource, options: opts, clock: options.clock, logger: logger)
        informers[key] = informer
        informerRegistry.withLock { $0.append(informer) }
        if started { Task { await informer.start() } }
        return informer
    }

    /// True when every informer has listed at least once (`/readyz`).
    public nonisolated var isReady: Bool {
        informerRegistry.withLock { list in list.allSatisfy(\.hasSynced) }
    }

    /// True while this replica's controllers run (always true without leader election once started).
    public nonisolated var isLeader: Bool { leadingFlag.withLock { $0 } }

    /// Throws unless this replica holds the lease (no-op without leader election). Call before writes.
    public nonisolated func fence() throws {
        try elector?.fence()
    }

    // MARK: Controllers

    /// Adds a controller built on this manager's informers.
    public func add(_ controller: Controller) {
        controllers.append(controller)
        if started, !stopping {
            sourceTasks.append(Task { await controller.runSources() })
            if isLeader { startWorkers(controller) }
        }
    }

    /// Builds and adds a controller for `resource`, with watches on the resources it owns
    /// (mapped by ownerReferences to this resource's kind) and on mapped resources.
    @discardableResult
    public func addController(
        name: String, for resource: ResourceType, reconciler: any Reconciler, owns: [ResourceType] = [],
        watches: [(ResourceType, @Sendable (JSONValue) -> [ObjectKey])] = [], workers: Int = 1,
        primaryPredicate: (@Sendable (InformerEvent) -> Bool)? = nil, backoff: Backoff = .workQueueDefault
    ) -> Controller {
        let primary = informer(for: resource)
        var sources: [WatchSource] = []
        for owned in owns {
            sources.append(.owned(informer(for: owned), ownerKind: resource.kind, ownerAPIVersion: resource.apiVersion))
        }
        for (watched, map) in watches {
            sources.append(.mapped(informer(for: watched), map))
        }
        let controller = Controller(
            name: name, primary: primary, reconciler: reconciler, sources: sources, workers: workers,
            primaryPredicate: primaryPredicate, backoff: backoff, clock: options.clock, logger: logger,
            metricsFactory: options.metricsFactory)
        add(controller)
        return controller
    }

    // MARK: Lifecycle

    /// Starts informers, event feeds, leader election and (when leading) the workers. Returns at once.
    public func start() async {
        guard !started else { return }
        started = true
        for informer in informerRegistry.withLock({ $0 }) { await informer.start() }
        for controller in controllers {
            sourceTasks.append(Task { await controller.runSources() })
        }
        guard let elector else {
            setLeading(true)
            return
        }
        electionTask = Task { await elector.run() }
        leadershipTask = Task {
            for await leading in elector.changes() {
                self.setLeading(leading)
            }
        }
    }

    private func setLeading(_ leading: Bool) {
        guard !stopping else { return }
        let was = leadingFlag.withLock { f -> Bool in
            let was = f
            f = leading
            return was
        }
        guard was != leading else { return }
        options.onLeadershipChange?(leading)
        if leading {
            logger.info("leading: starting controllers")
            for c in controllers { startWorkers(c) }
        } else {
            logger.warning("not leading: stopping controllers")
            for (_, t) in workerTasks { t.cancel() }
            workerTasks.removeAll()
        }
    }

    private func startWorkers(_ controller: Controller) {
        workerTasks[controller.name]?.cancel()
        workerTasks[controller.name] = Task {
            // A new leader reconciles everything once: the previous leader may have stopped mid-way.
            await controller.enqueueAll()
            await controller.runWorkers()
        }
    }

    /// Stops taking work, lets reconciles in flight finish within `deadline` (then cancels
    /// them), releases the lease so the next replica takes over at once, and stops the informers.
    public func shutdown(deadline: Duration = .seconds(30)) async {
        guard started, !stopping else { return }
        stopping = true
        logger.info("shutting down")
        leadershipTask?.cancel()
        for c in controllers { await c.queue.shutDown() }

        let workers = Array(workerTasks.values)
        workerTasks.removeAll()
        let finished = await Self.finishes(within: deadline, clock: options.clock) {
            for t in workers { await t.value }
        }
        if !finished {
            logger.warning("reconciles still running at the shutdown deadline; cancelling them")
            for t in workers { t.cancel() }
        }

        if let elector {
            electionTask?.cancel()
            await electionTask?.value
            await elector.release()
        }
        if leadingFlag.withLock({ f in defer { f = false }; return f }) { options.onLeadershipChange?(false) }
        for t in sourceTasks { t.cancel() }
        for informer in informerRegistry.withLock({ $0 }) { await informer.stop() }
        for t in sourceTasks { await t.value }
        sourceTasks.removeAll()
        logger.info("shut down")
    }

    /// Whether `body` finishes within `limit`. Does not wait for `body` past the limit
    /// (a reconcile that ignores cancellation must not hold up shutdown).
    private nonisolated static func finishes(
        within limit: Duration, clock: any RuntimeClock, _ body: @escaping @Sendable () async -> Void
    ) async -> Bool {
        let race = Race()
        let result = await withCheckedContinuation { (cont: CheckedContinuation<Bool, Never>) in
            race.start(
                cont,
                Task {
                    await body()
                    race.finish(true)
                },
                Task {
                    try? await clock.sleep(for: limit)
                    race.finish(false)
                })
        }
        race.cancelAll()
        return result
    }
}

/// The first of several tasks to finish resumes a continuation.
private final class Race: Sendable {
    private struct State {
        var continuation: CheckedContinuation<Bool, Never>?
        var early: Bool?
        var tasks: [Task<Void, Never>] = []
    }
    private let state = Mutex(State())

    func start(_ cont: CheckedContinuation<Bool, Never>, _ tasks: Task<Void, Never>...) {
        let early = state.withLock { s -> Bool? in
            s.tasks = tasks
            if let e = s.early { return e }
            s.continuation = cont
            return nil
        }
        if let early { cont.resume(returning: early) }
    }

    func finish(_ value: Bool) {
        let cont = state.withLock { s -> CheckedContinuation<Bool, Never>? in
            if let c = s.continuation {
                s.continuation = nil
                s.early = value
                return c
            }
            if s.early == nil { s.early = value }
            return nil
        }
        cont?.resume(returning: value)
    }

    func cancelAll() {
        for t in state.withLock({ $0.tasks }) { t.cancel() }
    }
}
