import Delivery
import Foundation
import KubeCore
import Logging
import SerinAPI
import Traffic
import Workloads

/// Carries out the effects of a Canary decision. Each is idempotent: it reads the current object
/// from the API server, builds what Serin wants (merged into what is there), and writes only
/// when something differs. Objects Serin creates carry an ownerReference to the Canary;
/// objects a user made (an existing Service or HTTPRoute) are merged into and never adopted.
struct CanaryActuator: Sendable {
    let writer: ObjectWriter
    let logger: Logger

    enum ActuatorError: Error, CustomStringConvertible {
        case targetMissing(String)
        case noSelector(String)
        case noRouter(String)
        var description: String {
            switch self {
            case .targetMissing(let m), .noSelector(let m), .noRouter(let m): return m
            }
        }
    }

    func perform(_ action: CanaryAction, _ o: CanaryObservation) async throws {
        switch action {
        case .initializePrimary: try await initializePrimary(o, checksum: nil)
        case .reconcileRouting: try await reconcileRouting(o)
        case .scaleTargetUp: try await scaleTarget(o, up: true)
        case .scaleTargetToZero: try await scaleTarget(o, up: false)
        case .promote(let checksum): try await initializePrimary(o, checksum: checksum, promote: true)
        case .setRoutes(let weights): try await setRoutes(o, weights)
        case .holdPrimaryCapacity(let replicas): try await holdPrimaryCapacity(o, replicas: replicas)
        case .releasePrimaryCapacity: try await copyAutoscaler(o)
        case .revertTarget: try await revertTarget(o)
        case .addFinalizer, .removeFinalizer:
            try await writer.setFinalizer(CanaryController.finalizer, present: action == .addFinalizer, on: o.canaryJSON,
                                          resource: .canaries)
        case .notifyWebhook:
            break  // fire and forget, sent by the Canary's world
        }
    }

    private func requireTarget(_ o: CanaryObservation) throws -> (JSONValue, SelectorLabel) {
        guard let t = o.target else {
            throw ActuatorError.targetMissing("target Deployment \(o.spec.targetRef.name) not found in \(o.namespace)")
        }
        guard let sel = o.selector else {
            throw ActuatorError.noSelector("Deployment \(o.spec.targetRef.name) has no selector label Serin can rewrite")
        }
        return (t, sel)
    }

    // MARK: - Primary

    /// `<target>-primary` (a faithful copy of the target), `-primary` copies of the configs it
    /// references, and `<hpa>-primary`, stamped with the release checksum. Done while
    /// initializing, on promotion, and when the primary is missing.
    func initializePrimary(_ o: CanaryObservation, checksum: String?, promote: Bool = false) async throws {
        let (target, selector) = try requireTarget(o)
        let existing = try await writer.get(o.workload.resource, namespace: o.namespace, name: o.names.primary)
        let phase = o.canary.status?.phase
        if existing != nil, !promote, phase != nil, phase != .initializing {
            // Past initialization the primary runs what was promoted last: the target's current
            // template (and configs) reach it only through a promotion.
            return
        }
        for cm in o.configMaps { try await copyConfig(cm, resource: .configMaps, o) }
        for s in o.secrets { try await copyConfig(s, resource: .secrets, o) }
        let stamp = checksum ?? o.world.releaseChecksum
        var primary = o.workload.primary(
            from: target, selector: selector, existing: existing, configMaps: o.configMapRenames,
            secrets: o.secretRenames, checksum: stamp, ownerReference: o.ownerReference)
        if let stamp, !(o.configMaps.isEmpty && o.secrets.isEmpty) {
            // A release may change only config data: the pod template must change too, so the
            // primary's pods restart and read the new copies.
            primary[path: ["spec", "template", "metadata", "annotations", PrimaryDeploymentBuilder.checksumAnnotation]] =
                .string(stamp)
        }
        if try await writer.apply(o.workload.resource, primary, existing: existing) {
            logger.info(promote ? "promoted primary" : "primary written", metadata: ["deployment": "\(o.names.primary)"])
        }
        try await copyAutoscaler(o)
    }

    private func copyConfig(_ config: JSONValue, resource: ResourceType, _ o: CanaryObservation) async throws {
        let name = "\(config.name ?? "")-primary"
        let existing = try await writer.get(resource, namespace: o.namespace, name: name)
        var copy = PrimaryDeploymentBuilder.configCopy(of: config, ownerReference: o.ownerReference)
        if let existing {
            // Keep the server's metadata of the copy; take data from the original.
            var merged = existing
            for k in ["data", "binaryData", "stringData", "type", "immutable"] { merged[k] = copy[k] }
            merged[path: ["metadata", "ownerReferences"]] = copy[path: ["metadata", "ownerReferences"]]
            copy = merged
        }
        try await writer.apply(resource, copy, existing: existing)
    }

    func copyAutoscaler(_ o: CanaryObservation) async throws {
        guard let ref = o.spec.autoscalerRef else { return }
        if ref.isScaledObject {
            try await copyScaledObject(ref, o)
            return
        }
        guard let hpa = try await writer.get(.horizontalPodAutoscalers, namespace: o.namespace, name: ref.name) else {
            logger.warning("autoscalerRef not found", metadata: ["hpa": "\(ref.name)"])
            return
        }
        let existing = try await writer.get(.horizontalPodAutoscalers, namespace: o.namespace, name: "\(ref.name)-primary")
        let copy = PrimaryDeploymentBuilder.autoscalerCopy(
            of: hpa, primaryName: o.names.primary, existing: existing, ownerReference: o.ownerReference,
            replicas: ref.primaryScalerReplicas)
        try await writer.apply(.horizontalPodAutoscalers, copy, existing: existing)
    }

    /// `<scaledobject>-primary` targeting the primary (Flagger's KEDA support).
    private func copyScaledObject(_ ref: CanaryAutoscalerRef, _ o: CanaryObservation) async throws {
        guard let so = try await writer.get(.kedaScaledObjects, namespace: o.namespace, name: ref.name) else {
            logger.warning("autoscalerRef not found", metadata: ["scaledobject": "\(ref.name)"])
            return
        }
        let existing = try await writer.get(.kedaScaledObjects, namespace: o.namespace, name: "\(ref.name)-primary")
        let copy = PrimaryScaledObjectBuilder.copy(
            of: so, targetName: o.names.target, primaryName: o.names.primary, existing: existing,
            ownerReference: o.ownerReference, replicas: ref.primaryScalerReplicas, queries: ref.primaryScalerQueries)
        try await writer.apply(.kedaScaledObjects, copy, existing: existing)
    }

    /// While the target is idle its ScaledObject is paused at 0 replicas (KEDA would scale it
    /// back up otherwise); for a release the pause is lifted. Only the annotation is written.
    private func pauseTargetScaledObject(_ o: CanaryObservation, paused: Bool) async throws {
        guard let ref = o.spec.autoscalerRef, ref.isScaledObject,
            let so = try await writer.get(.kedaScaledObjects, namespace: o.namespace, name: ref.name) else { return }
        let key = PrimaryScaledObjectBuilder.pausedReplicasAnnotation
        let current = so.annotations[key]
        if paused, current == "0" { return }
        if !paused, current == nil { return }
        try await writer.mergePatch(.kedaScaledObjects, namespace: o.namespace, name: ref.name,
                                    ["metadata": ["annotations": [key: paused ? "0" : .null]]])
    }

    // MARK: - Scaling

    func scaleTarget(_ o: CanaryObservation, up: Bool) async throws {
        guard let target = o.target else { return }
        var replicas = 0
        if up {
            let primaryReplicas = o.primary.flatMap { o.workload.replicas($0) } ?? 1
            replicas = max(1, primaryReplicas)
            if let ref = o.spec.autoscalerRef, !ref.isScaledObject,
                let hpa = try await writer.get(.horizontalPodAutoscalers, namespace: o.namespace, name: ref.name),
                let min = hpa[path: ["spec", "minReplicas"]].intValue
            {
                replicas = max(1, min)
            }
            if let ref = o.spec.autoscalerRef, ref.isScaledObject,
                let so = try await writer.get(.kedaScaledObjects, namespace: o.namespace, name: ref.name),
                let min = PrimaryScaledObjectBuilder.minReplicas(so)
            {
                replicas = max(1, min)
            }
        }
        // Resumed before scaling up (KEDA takes over from the count written), paused after scaling to zero.
        if up { try await pauseTargetScaledObject(o, paused: false) }
        if o.workload.replicas(target) == replicas {
            if !up { try await pauseTargetScaledObject(o, paused: true) }
            return
        }
        try await writer.mergePatch(o.workload.resource, namespace: o.namespace, name: o.names.target,
                                    o.workload.scalePatch(replicas: replicas))
        logger.info("scaled target", metadata: ["deployment": "\(o.names.target)", "replicas": "\(replicas)"])
        if !up { try await pauseTargetScaledObject(o, paused: true) }
    }

    // MARK: - Routing

    /// The apex, primary and canary Services and the router's objects at the weights the
    /// router has now (primary 100% when it has none).
    func reconcileRouting(_ o: CanaryObservation) async throws {
        let (_, selector) = try requireTarget(o)
        guard let router = o.router else { throw ActuatorError.noRouter("unknown provider") }
        for role in router.serviceRoles {
            let name = role == .apex ? o.names.apexService : role == .primary ? o.names.primaryService : o.names.canaryService
            let existing = try await writer.get(.services, namespace: o.namespace, name: name)
            let svc = ServiceBuilder.service(role, spec: o.spec, names: o.names, selector: selector, existing: existing,
                                             ownerReference: owner(for: existing, o))
            try await writer.apply(.services, svc, existing: existing)
        }
        try await setRoutes(o, o.world.routes ?? .primaryOnly)
    }

    /// The owner reference to add: on objects Serin creates or already owns, never on a user's.
    private func owner(for existing: JSONValue?, _ o: CanaryObservation) -> JSONValue? {
        // (Not a ternary: `nil` there would become JSONValue.null, a null owner.)
        if let existing, !ObjectWriter.isOwned(existing, by: o.canaryJSON.uid) { return nil }
        return o.ownerReference
    }

    func setRoutes(_ o: CanaryObservation, _ weights: RouteWeights) async throws {
        let (_, selector) = try requireTarget(o)
        guard let router = o.router else { throw ActuatorError.noRouter("unknown provider") }
        // Read what is there (fresh, not cached) so a user's fields and rules are kept.
        let wanted = router.routingObjects(spec: o.spec, names: o.names, selector: selector, weights: weights)
        var existing: [String: JSONValue] = [:]
        for ref in router.sourceObjects(spec: o.spec, names: o.names) {
            if let found = try await writer.get(ref.resource, namespace: ref.namespace ?? o.namespace, name: ref.name) {
                existing[TrafficRouters.key(found.kindFilled(ref.resource.kind))] = found
            }
        }
        for obj in wanted {
            let kind = obj["kind"].stringValue ?? ""
            guard let r = router.resource(of: obj), let name = obj.name else { continue }
            if let found = try await writer.get(r, namespace: o.namespace, name: name) {
                existing[TrafficRouters.key(found.kindFilled(kind))] = found
            }
        }
        if let problem = router.routingProblem(spec: o.spec, names: o.names, existing: existing) {
            throw ActuatorError.noRouter(problem)
        }
        for obj in wanted {
            guard let r = router.resource(of: obj) else { continue }
            let key = TrafficRouters.key(obj)
            let current = existing[key]
            let built = router.routingObjects(spec: o.spec, names: o.names, selector: selector, weights: weights,
                                              existing: existing, ownerReference: nil)
                .first { TrafficRouters.key($0) == key } ?? obj
            var final = built
            if let ref = owner(for: current, o) { final = Self.withOwner(final, ref) }
            try await writer.apply(r, final, existing: current)
        }
    }

    static func withOwner(_ obj: JSONValue, _ owner: JSONValue) -> JSONValue {
        var refs = obj.ownerReferences
        if !refs.contains(where: { $0["uid"] == owner["uid"] }) { refs.append(owner) }
        var out = obj
        out[path: ["metadata", "ownerReferences"]] = .array(refs)
        return out
    }

    // MARK: - Deletion

    /// revertOnDeletion: the target serves its Service again and Serin's routes go away.
    func revertTarget(_ o: CanaryObservation) async throws {
        // Read fresh, not from the cache: the scale-down just before the deletion may not be
        // in the cache yet, and a stale "2 replicas" would leave the target at zero.
        guard let target = try await writer.get(o.workload.resource, namespace: o.namespace, name: o.names.target) else { return }
        let replicas = max(1, o.primary.flatMap { o.workload.replicas($0) } ?? 1)
        if (o.workload.replicas(target) ?? 0) < 1 {
            try await writer.mergePatch(o.workload.resource, namespace: o.namespace, name: o.names.target,
                                        o.workload.scalePatch(replicas: replicas))
        }
        try await pauseTargetScaledObject(o, paused: false)  // KEDA scales the target again
        if let selector = o.selector,
            var apex = try await writer.get(.services, namespace: o.namespace, name: o.names.apexService)
        {
            let before = apex
            apex[path: ["spec", "selector"]] = .object([selector.key: .string(selector.value)])
            // The apex Service outlives the Canary: drop Serin's owner reference from it.
            let uid = o.canaryJSON.uid
            let refs = apex.ownerReferences.filter { $0["uid"].stringValue != uid }
            apex[path: ["metadata", "ownerReferences"]] = refs.isEmpty ? .null : .array(refs)
            try await writer.apply(.services, apex, existing: before)
        }
        guard let router = o.router else { return }
        for ref in router.cleanupObjects(spec: o.spec, names: o.names) {
            if let obj = try await writer.get(ref.resource, namespace: o.namespace, name: ref.name),
                ObjectWriter.isOwned(obj, by: o.canaryJSON.uid)
            {
                try await writer.delete(ref.resource, namespace: o.namespace, name: ref.name)
            }
        }
    }
}

extension JSONValue {
    /// This object with `kind` set when it came without one (list items).
    func kindFilled(_ kind: String) -> JSONValue {
        if self["kind"].stringValue != nil { return self }
        var o = self
        o["kind"] = .string(kind)
        return o
    }
}
