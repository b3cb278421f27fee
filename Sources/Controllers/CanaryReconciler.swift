import Analysis
import Delivery
import Foundation
import KubeCore
import KubeRuntime
import Logging
import SerinAPI
import Traffic
import Workloads

/// Observe → decide → act for one Canary.
///
/// Reads the Canary and the workloads from the informer caches and the routes from the API
/// server, and hands them to the delivery driver over the cluster (`CanaryClusterWorld`):
/// queries (webhooks, metric checks) answered until the core decides, then status (the
/// intent), events, effects, and a requeue when the decision says.
public struct CanaryReconciler: Reconciler {
    let api: any KubeAPI
    let caches: CanaryCaches
    let clock: any RuntimeClock
    let events: EventRecorder
    let fence: @Sendable () throws -> Void
    let config: CanaryControllerConfig
    let decider: CanaryDecider
    let webhooks: WebhookCaller
    let metrics: CanaryMetricRunner
    let gauges = CanaryMetrics()
    let limiter: ReleaseLimiter

    init(api: any KubeAPI, caches: CanaryCaches, clock: any RuntimeClock, events: EventRecorder,
         fence: @escaping @Sendable () throws -> Void, config: CanaryControllerConfig) {
        self.api = api
        self.caches = caches
        self.clock = clock
        self.events = events
        self.fence = fence
        self.config = config
        limiter = ReleaseLimiter(clusterLimit: config.maxConcurrentReleases,
                                 namespaceLimit: config.maxConcurrentReleasesPerNamespace)
        decider = CanaryDecider(defaultProvider: config.defaultProvider, pollSeconds: config.pollSeconds)
        webhooks = WebhookCaller(retryDelay: config.webhookRetryDelay, clients: config.clients)
        var evaluator = CanaryMetricEvaluator(
            client: config.clients.prometheus, http: config.clients.metricHTTP, defaultAddress: config.metricsServer,
            builtinOptions: config.builtinQueryOptions, timeout: config.metricQueryTimeoutSeconds,
            now: { [clock] in clock.now() })
        // Keptn and external metrics read the Kubernetes API.
        evaluator.clients.kube = api
        metrics = CanaryMetricRunner(api: api, evaluator: evaluator)
    }

    var writer: ObjectWriter { ObjectWriter(api: api, fence: fence) }

    public func reconcile(_ key: ObjectKey) async -> ReconcileResult {
        var log = ReconcileContext.logger
        log[metadataKey: "kind"] = "Canary"
        return await ReconcileContext.$logger.withValue(log) { await reconcile(key, log: log) }
    }

    func reconcile(_ key: ObjectKey, log: Logger) async -> ReconcileResult {
        guard let json = caches.canaries.get(key) else {
            gauges.forget(key)  // deleted: owned objects are garbage-collected by the API server
            return .done
        }
        let canary: Canary
        do {
            canary = try Canary(json: json)
        } catch {
            return await reportUndecodable(json, error)
        }
        let now = clock.now()
        let observation: CanaryObservation
        do {
            guard let o = try await observe(json, canary) else {
                return .requeue(after: .seconds(canary.spec.effectiveAnalysis.intervalSeconds))
            }
            observation = o
        } catch {
            log.warning("could not observe the canary's objects", metadata: ["error": "\(error)"])
            return .error(error)
        }

        let input = CanaryInput(spec: canary.spec, status: canary.status, world: observation.world)
        var world = CanaryClusterWorld(reconciler: self, observation: observation, log: log)
        let (_, outcome) = await DeliveryDriver(decider).run(input, now: now, in: &world)
        return ReconcileResult(outcome, decidedAt: now, clock: clock, log: log)
    }

    // MARK: - Observe

    /// Another Canary that delivers the same Deployment and came first (older, or the same age
    /// and an earlier name): both would own `<target>-primary` and the Services, each undoing
    /// the other's writes, so the later one is refused, naming the first.
    func otherCanaryDelivering(_ json: JSONValue, _ canary: Canary) -> [CanarySpecProblem] {
        let target = canary.spec.targetRef.name
        let mine = (json[path: ["metadata", "creationTimestamp"]].stringValue ?? "", canary.name)
        let earlier = caches.canaries.byIndex(CanaryController.targetIndex, "\(canary.namespace)/\(target)")
            .filter { $0.name != canary.name && ($0[path: ["metadata", "creationTimestamp"]].stringValue ?? "", $0.name ?? "") < mine }
            .compactMap(\.name).sorted()
        guard let first = earlier.first else { return [] }
        return [CanarySpecProblem(
            path: "spec.targetRef.name", message: "Deployment \(target) is already delivered by Canary \(first)",
            fix: "deliver each Deployment with one Canary: delete this one or point it at another Deployment")]
    }

    /// MetricTemplates the spec names that do not exist, as spec problems. Looked up before
    /// the first release, and while the spec is reported invalid (so the report clears);
    /// during a release a missing template is that check's error.
    func missingTemplates(_ canary: Canary) async throws -> [CanarySpecProblem] {
        let phase = canary.status?.phase
        let invalid = canary.status?.conditions?[type: CanaryStatus.specValidCondition]?.status == .false
        guard phase == nil || phase == .initializing || invalid else { return [] }
        var out: [CanarySpecProblem] = []
        for (i, m) in (canary.spec.effectiveAnalysis.metrics ?? []).enumerated() {
            guard let ref = m.templateRef else { continue }
            let ns = ref.namespace ?? canary.namespace
            guard let found = try await writer.get(.metricTemplates, namespace: ns, name: ref.name) else {
                out.append(CanarySpecProblem(
                    path: "spec.analysis.metrics[\(i)].templateRef", message: "MetricTemplate \(ns)/\(ref.name) not found",
                    fix: "create the MetricTemplate or fix templateRef.name"))
                continue
            }
            // Flagger's other provider types are accepted by the CRD; Serin runs those in its registry.
            if let type = found[path: ["spec", "provider", "type"]].stringValue, MetricProviders.type(named: type) == nil {
                out.append(CanarySpecProblem(
                    path: "spec.analysis.metrics[\(i)].templateRef",
                    message: "MetricTemplate \(ns)/\(ref.name) uses the \(type) metric provider, which is not supported by Serin yet",
                    fix: "use a MetricTemplate with provider.type: \(MetricProviders.names.joined(separator: " or "))"))
            }
        }
        return out
    }

    /// The world as the decision core needs it; nil when the target exists but cannot be
    /// delivered (no selector label): reported on the Canary, looked at again later.
    func observe(_ json: JSONValue, _ canary: Canary) async throws -> CanaryObservation? {
        let ns = canary.namespace
        let spec = canary.spec
        let names = CanaryNames(canaryName: canary.name, namespace: ns, spec: spec)
        let router = TrafficRouters.router(forProvider: spec.effectiveProvider(default: config.defaultProvider))
        // A kind Serin has no workload for is reported by validation; the Deployment stands in.
        let workload = Workloads.workload(forKind: spec.targetRef.kind ?? "Deployment") ?? Workloads.deployment
        let store = caches.targets(of: workload)
        let target = store.get(namespace: ns, name: spec.targetRef.name)
        let primary = store.get(namespace: ns, name: names.primary)
        let kind = workload.kinds.first ?? "Deployment"
        var world = ObservedWorld(
            name: canary.name, namespace: ns, generation: canary.generation, annotations: canary.annotations,
            deleting: json.deletionTimestamp != nil, hasFinalizer: json.finalizers.contains(CanaryController.finalizer))
        var o = CanaryObservation(
            canaryJSON: json, canary: canary, names: names, router: router, workload: workload, target: target, primary: primary,
            ownerReference: json.ownerReference(apiVersion: Canary.apiVersionString, kind: Canary.kindName), world: world)
        if let target {
            guard let selector = SelectorLabel(target: target) else {
                await reportBlocked(json, reason: "TargetSelectorMissing",
                    message: "\(kind) \(spec.targetRef.name) has no selector label Serin can rewrite: add app.kubernetes.io/name, app or name to its spec.selector.matchLabels")
                return nil
            }
            o.selector = selector
            let configs = CanaryObserver.referencedConfigs(target: target, workload: workload, namespace: ns, caches: caches)
            o.configMaps = configs.configMaps
            o.secrets = configs.secrets
            world.target = workload.state(target)
            world.releaseChecksum = workload.checksum(target, configs: configs.configMaps + configs.secrets)
        }
        world.missingReferences = try await missingTemplates(canary) + otherCanaryDelivering(json, canary)
        if limiter.isLimited {
            world.releaseSlot = limiter.slot(for: canary, checksum: world.releaseChecksum,
                                             canaries: caches.canaries.list(), now: clock.now())
        }
        if canary.status?.handover?.kind == .rollback, let ref = spec.autoscalerRef,
           let hpa = try await writer.get(.horizontalPodAutoscalers, namespace: ns, name: "\(ref.name)-primary") {
            world.primaryScaleLimit = hpa[path: ["spec", "maxReplicas"]].intValue.map { Int($0) }
        }
        if let primary {
            world.primary = workload.state(primary)
            world.primaryChecksum = primary.annotations[PrimaryDeploymentBuilder.checksumAnnotation]
        }
        if let router, let selector = o.selector {
            let weightObject = router.weightObject(spec: spec, names: names)
            do {
                let obj = try await writer.get(weightObject.resource, namespace: ns, name: weightObject.name)
                world.routes = router.readWeights(names: names, selector: selector, object: obj)
            } catch let e as KubeAPIError where e.isNotFound {
                world.routes = nil
            }
        }
        o.world = world
        return o
    }

    // MARK: - Queries

    func runQueries(_ queries: [CanaryQuery], _ o: CanaryObservation, world: ObservedWorld) async -> ObservedWorld {
        var world = world
        let provider = o.spec.effectiveProvider(default: config.defaultProvider)
        enum Answer: Sendable {
            case hook(String, WebhookResult)
            case metrics([MetricCheckResult])
        }
        let answers = await withTaskGroup(of: Answer?.self) { group in
            for q in queries {
                switch q {
                case .callWebhook(let hook, let payload):
                    group.addTask { .hook(hook.name, await self.webhooks.call(hook, payload: payload)) }
                case .runMetricChecks(let list):
                    let metricsProvider = self.config.metricsProvider ?? provider
                    group.addTask { .metrics(await self.metrics.run(list, canary: o.canary, provider: metricsProvider)) }
                }
            }
            var out: [Answer] = []
            for await a in group { if let a { out.append(a) } }
            return out
        }
        for a in answers {
            switch a {
            case .hook(let name, let r): world.webhookResults[name] = r
            case .metrics(let r): world.metricResults = r
            }
        }
        return world
    }

    // MARK: - Status

    func writeStatus(_ json: JSONValue, _ status: CanaryStatus) async throws {
        try await writer.writeStatus(
            .canaries, json, status: JSONValue(encoding: status), cache: caches.canaries, catchUp: config.cacheCatchUp)
    }

    /// A Canary whose JSON does not decode: the field path and a fix, as a condition and an Event.
    func reportUndecodable(_ json: JSONValue, _ error: CanaryDecodeError) async -> ReconcileResult {
        let where_ = error.path.isEmpty ? "spec" : error.path
        let message = "\(where_): \(error.message); fix the value at \(where_) to match the Canary schema (kubectl explain canary.\(where_))"
        return await reportBlocked(json, reason: "InvalidSpec", message: message)
    }

    /// Sets `SpecValid=False` with `reason` and `message` (event once per new message).
    @discardableResult
    func reportBlocked(_ json: JSONValue, reason: String, message: String) async -> ReconcileResult {
        let report = StatusReport(writer: writer, events: events, resource: .canaries, cache: caches.canaries,
                                  catchUp: config.cacheCatchUp)
        let now = clock.now()
        return await report.write(json, reason: reason, message: message, log: ReconcileContext.logger) { status in
            guard StatusReport.setCondition(&status, type: CanaryStatus.specValidCondition, .false, reason: reason,
                                            message: message, generation: json.generation, now: now) else { return false }
            status["message"] = .string(message)
            return true
        }
    }

    // MARK: - Events and metrics

    /// POSTs each event to the `event` webhooks (fire and forget), as Flagger does.
    func notifyEventHooks(_ list: [CanaryEvent], canary: Canary, checksum: String) {
        let hooks = canary.spec.effectiveAnalysis.webhooks(of: .event)
        guard !hooks.isEmpty, !list.isEmpty else { return }
        let caller = webhooks
        let phase = canary.status?.phase ?? .initializing
        let stamp = String(Int64(clock.now().timeIntervalSince1970 * 1000))
        config.clients.notifications.enqueue {
            for e in list {
                for h in hooks {
                    var meta = h.metadata ?? [:]
                    meta["eventMessage"] = e.message
                    meta["eventType"] = e.type.rawValue
                    meta["eventReason"] = e.reason
                    meta["timestamp"] = stamp
                    let payload = WebhookPayload(name: canary.name, namespace: canary.namespace, phase: phase,
                                                 checksum: checksum, metadata: meta)
                    _ = await caller.call(h, payload: payload)
                }
            }
        }
    }

    /// Seconds the release took, when this decision ended it.
    static func finishedRelease(old: CanaryStatus?, new: CanaryStatus, now: Date) -> Double? {
        guard let phase = new.phase, phase == .succeeded || phase == .failed, old?.phase != phase,
            let start = new.releaseStartTime, let date = KubeTime.parse(start)
        else { return nil }
        return max(0, now.timeIntervalSince(date))
    }

    static func describe(_ action: CanaryAction) -> String {
        switch action {
        case .initializePrimary: return "initialize primary"
        case .reconcileRouting: return "reconcile routing"
        case .scaleTargetUp: return "scale target up"
        case .scaleTargetToZero: return "scale target to zero"
        case .promote: return "promote"
        case .setRoutes(let w): return "set routes (\(w))"
        case .holdPrimaryCapacity(let n): return "hold primary capacity (\(n) replicas)"
        case .releasePrimaryCapacity: return "release primary capacity"
        case .notifyWebhook(let h, _): return "notify webhook \(h.name)"
        case .revertTarget: return "revert target"
        case .addFinalizer: return "add finalizer"
        case .removeFinalizer: return "remove finalizer"
        }
    }
}
