import Analysis
import Delivery
import Foundation
import KubeCore
import KubeRuntime
import Logging
import SerinAPI
import Traffic
import Workloads

/// One process-wide Prometheus client: its HTTP client must outlive every reconciler.
enum SharedClients {
    static let prometheus = PrometheusClient()
}

/// Observe → decide → act for one Canary.
///
/// Reads the Canary and the workloads from the informer caches, the routes from the API
/// server, runs the query actions the decision asks for (webhooks, metric checks) and decides
/// again with their results, writes status (the intent) through the status subresource,
/// records the decision's Events, carries out the effects, and requeues when the decision says.
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

    init(api: any KubeAPI, caches: CanaryCaches, clock: any RuntimeClock, events: EventRecorder,
         fence: @escaping @Sendable () throws -> Void, config: CanaryControllerConfig) {
        self.api = api
        self.caches = caches
        self.clock = clock
        self.events = events
        self.fence = fence
        self.config = config
        decider = CanaryDecider(defaultProvider: config.defaultProvider, pollSeconds: config.pollSeconds)
        webhooks = WebhookCaller(retryDelay: config.webhookRetryDelay)
        let evaluator = CanaryMetricEvaluator(
            client: SharedClients.prometheus, defaultAddress: config.metricsServer,
            builtinOptions: config.builtinQueryOptions, timeout: config.metricQueryTimeoutSeconds,
            now: { [clock] in clock.now() })
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

        // Decide; run the queries it asks for and decide again with their answers.
        var o = observation
        var decision = decider.decide(canary, observed: o.world, now: now)
        var rounds = 0
        while decision.needsResults {
            rounds += 1
            if rounds > 8 {
                log.error("decision still asks for results after 8 rounds")
                return .error(CanaryActuator.ActuatorError.undecided("the decision core keeps asking for results"))
            }
            o.world = await runQueries(decision.queries, o)
            decision = decider.decide(canary, observed: o.world, now: now)
        }

        // Intent first: the status (the decision's only memory) is written before its effects.
        // An effect carried out whose status write was then lost (a 409, a crash) would
        // otherwise be decided again from the old status: traffic moved back a step, a
        // rollback undone. The decision core is level-based, so from the new status it
        // re-derives any effect that did not happen. The finalizer is the exception: it is
        // metadata, added before and removed after (the object may then be gone).
        let actuator = CanaryActuator(writer: writer, logger: log)
        let removing = decision.actions.contains(.removeFinalizer)
        let early = decision.actions.filter { $0 == .addFinalizer }
        let effects = decision.actions.filter { $0 != .addFinalizer }
        if let failure = await perform(early, actuator, o, canary, json, log) { return failure }
        if !removing, decision.newStatus != canary.status {
            do {
                try await writeStatus(json, decision.newStatus)
            } catch let e as KubeAPIError where e.isConflict || e.isNotFound {
                log.debug("status write lost a race; deciding again", metadata: ["error": "\(e)"])
                return .requeue(after: .zero)
            } catch {
                log.warning("status write failed", metadata: ["error": "\(error)"])
                return .error(error)
            }
        }
        // The events describe the status just written, whatever happens to the effects next.
        gauges.record(key, status: decision.newStatus, releaseSeconds: Self.finishedRelease(old: canary.status, new: decision.newStatus, now: now))
        for e in decision.events {
            await events.record(json, type: e.type == .warning ? .warning : .normal, reason: e.reason, message: e.message)
            log.info("\(e.reason): \(e.message)")
        }
        notifyEventHooks(decision.events, canary: canary, checksum: o.world.releaseChecksum ?? "")
        notifyAlerts(decision.events, canary: canary, status: decision.newStatus)
        if let failure = await perform(effects, actuator, o, canary, json, log) { return failure }

        guard let after = decision.requeueAfter else { return .done }
        return .requeue(afterSeconds: after)
    }

    /// Carries out `actions` in order, stopping at the first failure (reported as an Event;
    /// the next attempt re-derives what is still missing). Notifications are fire and forget.
    func perform(_ actions: [CanaryAction], _ actuator: CanaryActuator, _ o: CanaryObservation, _ canary: Canary,
                 _ json: JSONValue, _ log: Logger) async -> ReconcileResult? {
        for action in actions {
            switch action {
            case .notifyWebhook(let hook, let payload):
                let caller = webhooks
                let recorder = events
                Task {
                    let r = await caller.call(hook, payload: payload)
                    if !r.passed {
                        await recorder.record(json, type: .warning, reason: "WebhookFailed",
                                              message: "\(hook.effectiveType.rawValue) webhook \(hook.name) failed: \(r.message.isEmpty ? "HTTP \(r.statusCode ?? 0)" : r.message)")
                    }
                }
            default:
                do {
                    try await actuator.perform(action, o)
                } catch {
                    log.warning("action failed", metadata: ["action": "\(Self.describe(action))", "error": "\(error)"])
                    await events.record(json, type: .warning, reason: "SyncFailed",
                                        message: "\(Self.describe(action)) failed for \(canary.name).\(canary.namespace): \(Self.short(error))")
                    return .error(error)
                }
            }
        }
        return nil
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
        // The Deployment is the only workload the caches hold; any other kind is reported by validation.
        let workload = Workloads.deployment
        let target = caches.deployments.get(namespace: ns, name: spec.targetRef.name)
        let primary = caches.deployments.get(namespace: ns, name: names.primary)
        var world = ObservedWorld(
            name: canary.name, namespace: ns, generation: canary.generation, annotations: canary.annotations,
            deleting: json.deletionTimestamp != nil, hasFinalizer: json.finalizers.contains(CanaryController.finalizer))
        var o = CanaryObservation(
            canaryJSON: json, canary: canary, names: names, router: router, workload: workload, target: target, primary: primary,
            ownerReference: json.ownerReference(apiVersion: Canary.apiVersionString, kind: Canary.kindName), world: world)
        if let target {
            guard let selector = SelectorLabel(target: target) else {
                await reportBlocked(json, canary, reason: "TargetSelectorMissing",
                    message: "Deployment \(spec.targetRef.name) has no selector label Serin can rewrite: add app.kubernetes.io/name, app or name to its spec.selector.matchLabels")
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
        if let primary {
            world.primary = workload.state(primary)
            world.primaryChecksum = primary.annotations[PrimaryDeploymentBuilder.checksumAnnotation]
        }
        if let router, let selector = o.selector {
            let weightObject = router.weightObject(names: names)
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

    func runQueries(_ queries: [CanaryAction], _ o: CanaryObservation) async -> ObservedWorld {
        var world = o.world
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
                default:
                    continue
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
        await reportBlocked(json, nil, reason: "InvalidSpec", message: message)
        return .done  // a spec change (a watch event) is the only fix
    }

    /// Sets `SpecValid=False` with `reason` and `message` (event once per new message).
    func reportBlocked(_ json: JSONValue, _ canary: Canary?, reason: String, message: String) async {
        let log = ReconcileContext.logger
        let now = KubeTime.format(clock.now())
        var status = json["status"].objectValue.map(JSONValue.object) ?? [:]
        var conditions = (try? status["conditions"].decode(as: [Condition].self)) ?? []
        let before = conditions[type: CanaryStatus.specValidCondition]
        if before?.status == .false, before?.reason == reason, before?.message == message { return }
        conditions.set(Condition(type: CanaryStatus.specValidCondition, status: .false, reason: reason, message: message,
                                 lastTransitionTime: now, observedGeneration: json.generation))
        status["conditions"] = (try? JSONValue(encoding: conditions)) ?? .null
        status["message"] = .string(message)
        status["observedGeneration"] = json.generation.map { .int(Int64($0)) } ?? .null
        do {
            try await writer.writeStatus(.canaries, json, status: status, cache: caches.canaries, catchUp: config.cacheCatchUp)
        } catch {
            log.warning("could not write status", metadata: ["error": "\(error)"])
        }
        await events.record(json, type: .warning, reason: reason, message: message)
        log.warning("\(reason): \(message)")
    }

    // MARK: - Events and metrics

    /// POSTs each event to the `event` webhooks (fire and forget), as Flagger does.
    func notifyEventHooks(_ list: [CanaryEvent], canary: Canary, checksum: String) {
        let hooks = canary.spec.effectiveAnalysis.webhooks(of: .event)
        guard !hooks.isEmpty, !list.isEmpty else { return }
        let caller = webhooks
        let phase = canary.status?.phase ?? .initializing
        let stamp = String(Int64(clock.now().timeIntervalSince1970 * 1000))
        Task {
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
        case .callWebhook(let h, _): return "call webhook \(h.name)"
        case .runMetricChecks: return "run metric checks"
        case .notifyWebhook(let h, _): return "notify webhook \(h.name)"
        case .revertTarget: return "revert target"
        case .addFinalizer: return "add finalizer"
        case .removeFinalizer: return "remove finalizer"
        }
    }

    static func short(_ error: any Error) -> String {
        let t = "\(error)"
        return t.count > 300 ? String(t.prefix(300)) + "…" : t
    }
}
