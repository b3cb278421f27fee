import Foundation
import KubeCore
import SerinAPI
@testable import Delivery

/// A small cluster for the Rollout decision core: it carries out actions the way the
/// controller and the Kubernetes controllers would (ReplicaSets get their pods available one
/// tick after a scale, AnalysisRuns end as the test scripts), keeps the status between
/// decisions, and records what a user would watch: phases, selectors, weights.
struct RolloutSim {
    var spec: RolloutSpec
    var status = RolloutStatus()
    var annotations: [String: String] = [:]
    var generation = 1
    var now = Date(timeIntervalSince1970: 1_800_000_000)
    var decider = RolloutDecider(pollSeconds: 5)

    var replicaSets: [String: RolloutReplicaSetState] = [:]
    /// Template each ReplicaSet was created with (what the API server stores, with a default added).
    var services: [String: String?]
    var runs: [String: RolloutRunState] = [:]
    /// How runs end: by kind, the phase they reach when first looked at after creation.
    var runOutcome: @Sendable (RolloutAnalysisRequest) -> AnalysisPhase = { _ in .successful }
    var createdRuns: [RolloutAnalysisRequest] = []
    /// Experiments of experiment steps (a test moves their phase), and those created.
    var experiments: [String: RolloutExperimentState] = [:]
    var createdExperiments: [JSONValue] = []
    var terminated: [String] = []
    var weight: Int?
    var traffic: [RolloutTraffic] = []
    var events: [RolloutEvent] = []
    var actionLog: [RolloutAction] = []
    /// Pods do not become available (a broken version) for ReplicaSets of these hashes.
    var neverReady: Set<String> = []
    /// At most this many pods become available, for ReplicaSets of these hashes (a node short).
    var availableCap: [String: Int] = [:]
    var podsToRestart: Int? = nil
    /// workloadRef: the Deployment's template and replicas.
    var workloadTemplate: JSONValue?
    var workload: RolloutWorkloadState?
    /// workloadRef StatefulSet: its state, and its pods' revisions by ordinal (what the
    /// StatefulSet controller keeps).
    var statefulSet: RolloutStatefulSetState?
    var podRevisions: [String] = []
    var lastDecision: RolloutDecision?
    /// Violations of the invariants checked on every decision.
    var violations: [String] = []

    init(spec: RolloutSpec, services: [String] = []) {
        self.spec = spec
        self.services = Dictionary(uniqueKeysWithValues: services.map { ($0, String?.none) })
    }

    static let name = "web"
    static let namespace = "apps"

    static func template(image: String) -> JSONValue {
        ["metadata": ["labels": ["app": "web"]], "spec": ["containers": [["name": "web", "image": .string(image)]]]]
    }

    static func blueGreen(replicas: Int = 5, auto: Bool = false, pre: Bool = true, post: Bool = true,
                          previewReplicaCount: Int? = nil, autoPromotionSeconds: Int? = nil) -> RolloutSpec {
        var b = RolloutBlueGreenStrategy(activeService: "web-active", previewService: "web-preview")
        b.autoPromotionEnabled = auto
        b.autoPromotionSeconds = autoPromotionSeconds
        b.previewReplicaCount = previewReplicaCount
        if pre { b.prePromotionAnalysis = .template("rate", args: ["service-name": "web-preview"]) }
        if post { b.postPromotionAnalysis = .template("rate", args: ["service-name": "web-active"]) }
        return RolloutSpec(replicas: replicas, selector: ["matchLabels": ["app": "web"]], template: template(image: "web:1"),
                           strategy: RolloutStrategy(blueGreen: b))
    }

    static func canary(replicas: Int = 10, steps: [RolloutCanaryStep], routed: Bool = false) -> RolloutSpec {
        var c = RolloutCanaryStrategy(canaryService: "web-canary", stableService: "web-stable", steps: steps)
        if routed {
            c.trafficRouting = RolloutTrafficRouting(
                istio: RolloutIstioRouting(virtualService: RolloutIstioVirtualService(name: "web")))
        }
        return RolloutSpec(replicas: replicas, selector: ["matchLabels": ["app": "web"]], template: template(image: "web:1"),
                           strategy: RolloutStrategy(canary: c))
    }

    var world: RolloutWorld {
        RolloutWorld(
            name: Self.name, namespace: Self.namespace, generation: generation, annotations: annotations,
            template: spec.template ?? workloadTemplate, workload: workload, replicaSets: Array(replicaSets.values),
            services: Dictionary(uniqueKeysWithValues: services.map { ($0.key, RolloutServiceState(name: $0.key, selectorHash: $0.value)) }),
            runs: runs, podsToRestart: podsToRestart, experiments: experiments, statefulSet: statefulSet)
    }

    func rs(_ hash: String?) -> RolloutReplicaSetState? { replicaSets.values.first { $0.podHash == hash } }
    func selector(_ service: String) -> String? { services[service] ?? nil }

    /// One decision, carried out by the operator's driver over this cluster.
    @discardableResult
    mutating func step() async -> RolloutDecision {
        let driver = DeliveryDriver(decider)
        let input = RolloutInput(spec: spec, status: status, world: world)
        let (decision, _) = await driver.run(input, now: now, in: &self)
        let d = decision!  // the Rollout core asks no queries
        lastDecision = d
        return d
    }

    /// The StatefulSet controller: one pod at a time from the top ordinal down, every pod at or
    /// above the partition to updateRevision; currentRevision follows once all run it.
    mutating func settleStatefulSet() {
        guard var sts = statefulSet else { return }
        if podRevisions.count != sts.replicas {
            podRevisions = Array(podRevisions.prefix(sts.replicas))
            while podRevisions.count < sts.replicas { podRevisions.append(sts.currentRevision) }
        }
        if let i = podRevisions.indices.reversed().first(where: { $0 >= sts.partition && podRevisions[$0] != sts.updateRevision }) {
            podRevisions[i] = sts.updateRevision
        }
        sts.updatedReplicas = podRevisions.filter { $0 == sts.updateRevision }.count
        let broken = neverReady.contains(sts.updateRevision) && sts.updateRevision != sts.currentRevision ? sts.updatedReplicas : 0
        sts.readyReplicas = sts.replicas - broken
        sts.availableReplicas = sts.readyReplicas
        if sts.updatedReplicas == sts.replicas, broken == 0 { sts.currentRevision = sts.updateRevision }
        sts.observed = true
        statefulSet = sts
    }

    /// A new pod template for the StatefulSet: a new updateRevision.
    mutating func setStatefulSetRevision(_ revision: String) {
        statefulSet?.updateRevision = revision
        statefulSet?.generation += 1
        statefulSet?.observed = false
    }

    /// The kubelet and the analysis controller catch up.
    mutating func settle() {
        settleStatefulSet()
        for (k, var rs) in replicaSets {
            rs.observed = true
            rs.statusReplicas = rs.replicas
            let ready = neverReady.contains(rs.podHash) ? 0 : min(rs.replicas, availableCap[rs.podHash] ?? rs.replicas)
            rs.readyReplicas = ready
            rs.availableReplicas = ready
            replicaSets[k] = rs
        }
        for (k, var r) in runs where r.phase == .pending {
            r.phase = .running
            runs[k] = r
        }
    }

    /// Decide, let the cluster catch up, move the clock `dt` seconds; `n` times.
    mutating func run(_ n: Int = 1, dt: Double = 1) async {
        for _ in 0..<n {
            await step()
            settle()
            now = now.addingTimeInterval(dt)
        }
    }

    /// Ends every running run with its scripted outcome.
    mutating func finishRuns() {
        for (k, var r) in runs where r.phase?.isCompleted != true && !r.terminating {
            let req = createdRuns.last { $0.name == k }
            r.phase = req.map(runOutcome) ?? .successful
            r.message = r.phase == .failed ? "success-rate 0.9 (result[0] >= 0.95 is false)" : nil
            runs[k] = r
        }
    }

    mutating func annotate(_ key: String, _ value: String) { annotations[key] = value }

    mutating func setImage(_ image: String) {
        spec.template = Self.template(image: image)
        generation += 1
    }

    mutating func apply(_ a: RolloutAction) {
        actionLog.append(a)
        switch a {
        case .createReplicaSet(let obj):
            let name = obj.name ?? ""
            guard replicaSets[name] == nil else { return }
            var template = obj[path: ["spec", "template"]]
            // The API server defaults pod fields.
            template[path: ["spec", "restartPolicy"]] = "Always"
            replicaSets[name] = RolloutReplicaSetState(
                name: name, podHash: obj[path: ["metadata", "labels", RolloutLabels.podTemplateHash]].stringValue ?? "",
                revision: Int(obj[path: ["metadata", "annotations", RolloutLabels.revision]].stringValue ?? "") ?? 0,
                replicas: obj[path: ["spec", "replicas"]].intValue ?? 0, statusReplicas: 0, readyReplicas: 0,
                availableReplicas: 0, observed: false, template: template)
        case .scaleReplicaSet(let name, let n):
            replicaSets[name]?.replicas = n
            replicaSets[name]?.observed = false
        case .annotateReplicaSet(let name, let ann):
            for (k, v) in ann {
                switch k {
                case RolloutLabels.revision: replicaSets[name]?.revision = Int(v ?? "") ?? 0
                case RolloutLabels.scaleDownDeadline: replicaSets[name]?.scaleDownDeadline = v
                case RolloutLabels.wasStable: replicaSets[name]?.wasStable = v == "true"
                default: break
                }
            }
        case .deleteReplicaSet(let name):
            replicaSets[name] = nil
        case .setServiceSelector(let svc, let hash):
            services[svc] = hash
        case .setTraffic(let t):
            weight = t.canaryWeight
            traffic.append(t)
        case .createAnalysisRun(let req):
            createdRuns.append(req)
            if runs[req.name] == nil {
                runs[req.name] = RolloutRunState(name: req.name, phase: .pending, created: KubeTime.format(now))
            }
        case .terminateAnalysisRun(let name):
            terminated.append(name)
            if runs[name]?.phase?.isCompleted != true { runs[name]?.phase = .successful }
            runs[name]?.terminating = true
        case .deleteAnalysisRun(let name):
            runs[name] = nil
        case .scaleWorkload(_, let n):
            workload?.replicas = n
            statefulSet?.replicas = n
        case .setPartition(_, let p):
            statefulSet?.partition = p
            statefulSet?.observed = false
        case .revertStatefulSetPod(_, let revision):
            // The highest ordinal at `revision` is deleted and recreated (at the current revision
            // when below the partition).
            if let i = podRevisions.lastIndex(of: revision), let sts = statefulSet {
                podRevisions[i] = i >= sts.partition ? sts.updateRevision : sts.currentRevision
                statefulSet?.availableReplicas -= 1
                statefulSet?.readyReplicas -= 1
            }
        case .setPodTemplate(let t):
            spec.template = t
            generation += 1
        case .restartPods(_, let count):
            podsToRestart = max(0, (podsToRestart ?? 0) - count)
        case .createExperiment(let obj):
            let exName = obj.name ?? ""
            if experiments[exName] == nil {
                createdExperiments.append(obj)
                experiments[exName] = RolloutExperimentState(name: exName, phase: .running)
            }
        case .terminateExperiment(let exName):
            experiments[exName]?.terminate = true
            if experiments[exName]?.phase?.isCompleted != true { experiments[exName]?.phase = .successful }
        }
    }

    /// Invariants that hold after every decision.
    mutating func check(_ d: RolloutDecision) {
        let w = world
        for a in d.actions {
            // The active Service only ever points at a ReplicaSet whose pods are all available.
            if case .setServiceSelector(let svc, let hash) = a, let b = spec.strategy.blueGreen, svc == b.activeService {
                let r = spec.effectiveReplicas
                guard let rs = w.replicaSet(hash: hash), r == 0 || rs.isFullyAvailable(at: r) || rs.available >= r else {
                    violations.append("active Service switched to \(hash), which is not fully available")
                    continue
                }
            }
            if case .setTraffic(let t) = a, !(0...100).contains(t.canaryWeight) {
                violations.append("weight \(t.canaryWeight) outside 0...100")
            }
        }
        if d.newStatus.abort == true, let st = d.newStatus.canary?.weights, spec.strategy.canary?.trafficRouting != nil,
            st.canary.weight != 0, spec.strategy.canary?.dynamicStableScale != true {
            violations.append("aborted but the canary still has weight \(st.canary.weight)")
        }
    }

    var phase: RolloutPhase? { status.phase }
    var stableHash: String? { status.stableRS }

    /// Total pods wanted of the ReplicaSets with `hash`.
    func replicas(_ hash: String?) -> Int { rs(hash)?.replicas ?? 0 }
}

extension RolloutSim: DeliveryWorld {
    typealias Core = RolloutDecider

    func answer(_ queries: [Never], into input: inout RolloutInput, now: Date) async {}

    mutating func writeStatus(_ status: RolloutStatus, input: RolloutInput) async -> StatusWrite {
        self.status = status
        return .written
    }

    /// Events, and the invariants checked against the world before the effects.
    mutating func record(_ decision: RolloutDecision, input: RolloutInput, now: Date) async {
        check(decision)
        events += decision.events
    }

    mutating func perform(_ effect: RolloutAction, input: RolloutInput) async throws { apply(effect) }
}
