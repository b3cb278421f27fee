import Foundation
import KubeCore
import KubeTestServer
import SerinAPI
import Synchronization
import Testing
import SerinTestSupport

/// A real `serin operator` against a test API server that fails 10% of requests with 500,
/// answers bursts of 409 and 429, drops every watch every two seconds and forgets its watch
/// history (410 on resume): the canaries still complete, the request rate stays bounded, and
/// what Serin does not own keeps every field.
@Suite("Fault tolerance: API server faults", .serialized)
struct APIServerFaultTests {
    static let istio = ["kilo", "lima"]
    static let gateway = "mike"

    /// The user's HTTPRoute: a rule of their own, labels, and a field no schema names.
    static let userRule: JSONValue = [
        "matches": [["path": ["type": "PathPrefix", "value": "/admin"]]],
        "backendRefs": [["name": "admin", "port": 8080]],
    ]

    /// Fields of the target Deployment Serin has no model for, which must survive its writes.
    static func enrich(_ d: inout JSONValue) {
        d[path: ["spec", "minReadySeconds"]] = 3
        d[path: ["spec", "revisionHistoryLimit"]] = 4
        d[path: ["spec", "strategy"]] = ["type": "RollingUpdate", "rollingUpdate": ["maxSurge": "50%", "maxUnavailable": 0]]
        d[path: ["spec", "template", "spec", "securityContext"]] = ["runAsNonRoot": true, "fsGroup": 2000]
        d[path: ["spec", "template", "spec", "x-future-field"]] = ["kept": true]
    }

    @Test("canaries complete through 500s, 409/429 bursts, dropped watches and 410s", .timeLimit(.minutes(2)))
    func completesUnderFaults() async throws {
        let cluster = try await FaultCluster.start(readyDelay: .milliseconds(300))
        let ns = cluster.namespace
        let api = cluster.api
        let all = Self.istio + [Self.gateway]
        cluster.prometheus.setScript { _ in .value(99.9) }

        var targets: [String: JSONValue] = [:]
        for n in all {
            var d = FaultCluster.deployment(n, namespace: ns, image: "app:1")
            if var containers = d[path: ["spec", "template", "spec", "containers"]].arrayValue {
                containers[0]["resources"] = ["limits": ["cpu": "500m"]]
                d[path: ["spec", "template", "spec", "containers"]] = .array(containers)
            }
            Self.enrich(&d)
            targets[n] = try await api.create(.deployments, namespace: ns, d)
        }
        _ = try await api.create(.httpRoutes, namespace: ns, [
            "apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
            "metadata": ["name": .string(Self.gateway), "namespace": .string(ns), "labels": ["team": "web"],
                         "annotations": ["example.com/ticket": "OPS-1"]],
            "spec": ["parentRefs": [["name": "public", "namespace": "gateways"]], "rules": [Self.userRule],
                     "x-vendor-extension": ["keep": "me"]],
        ])
        for n in Self.istio { try await cluster.createCanary(FaultCluster.canary(n, namespace: ns, stepWeight: 50, maxWeight: 50)) }
        try await cluster.createCanary(FaultCluster.canary(Self.gateway, namespace: ns, provider: "gatewayapi:v1", stepWeight: 50,
                                                           maxWeight: 50))
        let canaries = try await ObjectRecorder.start(api: api, resource: .canaries, namespace: ns, projection: CanaryView.projection)

        // Faults from the first request on.
        let faults = cluster.server.faults
        faults.failRandomly(fraction: 0.1, status: 500)
        faults.dropWatchesEvery(.seconds(2))
        let bursts = Task {
            var i = 0
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(1.5))
                i += 1
                switch i % 3 {
                case 0: faults.failNext(5, status: 409, verb: "update")
                case 1: faults.failNext(5, status: 429, retryAfterSeconds: 1)
                default:
                    // History expires past a fresh write, then every watch drops: resuming from any
                    // resourceVersion seen before gets 410 Gone, and informers must list again.
                    _ = try? await api.create(.configMaps, namespace: "serin-system", [
                        "apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": .string("tick-\(i)")]])
                    faults.forgetHistory()
                    faults.closeAllWatches()
                }
            }
        }
        let rate = RequestRate(faults: faults)
        let routes = try await ObjectRecorder.start(api: api, resource: .virtualServices, namespace: ns, projection: CanaryView.istioWeight)
        let httpRoutes = try await ObjectRecorder.start(api: api, resource: .httpRoutes, namespace: ns, projection: CanaryView.gatewayWeight)

        let op = try cluster.startOperator(identity: "op-faults")
        @Sendable func phases() async -> [String: String] { await cluster.phases(all) }
        let initialized = await eventually(timeout: .seconds(40), every: .milliseconds(100)) {
            await phases().values.allSatisfy { $0 == "Initialized" }
        }
        let afterInit = await phases()
        #expect(initialized, "\(afterInit)\n\(op.log.suffix(3000))")
        for n in all { try await cluster.setImage(n, "app:2") }
        let succeeded = await eventually(timeout: .seconds(60), every: .milliseconds(100)) {
            await phases().values.allSatisfy { $0 == "Succeeded" }
        }
        let afterRelease = await phases()
        #expect(succeeded, "\(afterRelease)\n\(op.log.suffix(3000))")

        bursts.cancel()
        faults.clear()
        faults.dropWatchesEvery(nil)
        let perSecond = rate.stop()
        let faulted = faults.requestCount()
        let audit = cluster.server.audit.requests
        // Informers list and watch again after every forced drop or 410, and the lease is renewed every
        // 0.25 s (test flags): what is left is the reconcilers' own work, which a loop would inflate.
        let work = audit.filter { $0.verb != "watch" && $0.verb != "list" && $0.resource != "leases" }.count
        op.terminate()
        let exit = await op.waitForExit(timeout: .seconds(15))
        #expect(exit == 0, "\(op.log.suffix(2000))")

        // Bounded: no second beyond what the forced watch drops and the client's burst explain, and the
        // operator's own requests (not watches, not the lease) average under the client's 20 qps.
        let peak = perSecond.max() ?? 0
        let seconds = Double(max(1, perSecond.count))
        let average = Double(perSecond.reduce(0, +)) / seconds
        let workRate = Double(work) / seconds
        let byKind = Dictionary(grouping: audit, by: \.description).mapValues(\.count)
            .sorted { $0.value > $1.value }.prefix(8).map { "\($0.value) \($0.key)" }
        print("APIServerFaultTests: \(faulted) requests in \(perSecond.count) s; per second peak \(peak), average \(average); work \(workRate)/s; busiest \(byKind)")
        // The faults were really met: watches re-opened after drops, lists again after 410s, 500s/409s/429s answered.
        let canaryWatches = audit.filter { $0.verb == "watch" && $0.resource == "canaries" }.count
        let canaryLists = audit.filter { $0.verb == "list" && $0.resource == "canaries" }.count
        #expect(canaryWatches >= 5, "watches of canaries: \(canaryWatches)")
        #expect(canaryLists >= 2, "lists of canaries (a 410 forces one): \(canaryLists)")
        #expect(peak <= 90, "request rate peaked at \(peak)/s: \(perSecond)")
        #expect(average <= 40, "average request rate \(average)/s: \(perSecond)")
        // Under the client's 20 qps: the rate limiter is not what holds the operator back (SustainedConflictTests
        // shows the same without any limiter).
        #expect(workRate <= 18, "the operator's own requests averaged \(workRate)/s")

        for n in all {
            let vs = canaries.versions(of: n)
            #expect(CanaryView.weights(vs) == [0, 50, 0], "\(n) weights")
            #expect(CanaryView.phases(vs).last == "Succeeded")
            let recorder = n == Self.gateway ? httpRoutes : routes
            let routeWeights = CanaryView.folded(recorder.versions(of: n).compactMap { $0.projection.intValue })
            #expect(routeWeights == [0, 50, 0], "\(n) route weights")
        }

        // Nothing lost from the user's Deployment: every field but the replicas Serin scales and the image the test changed.
        for n in all {
            let now = try await api.get(.deployments, namespace: ns, name: n)
            var want = try #require(targets[n])
            var containers = want[path: ["spec", "template", "spec", "containers"]].arrayValue ?? []
            containers[0]["image"] = "app:2"
            want[path: ["spec", "template", "spec", "containers"]] = .array(containers)
            var got = now
            for k in ["replicas"] {
                want[path: ["spec", k]] = .null
                got[path: ["spec", k]] = .null
            }
            #expect(got["spec"] == want["spec"], "\(n) spec changed:\n\(got["spec"].serialized())\nwas\n\(want["spec"].serialized())")
            #expect(now.labels["team"] == "payments")
            #expect(now.annotations["example.com/owner"] == "payments-oncall")
        }
        let route = try await api.get(.httpRoutes, namespace: ns, name: Self.gateway)
        let rules = route[path: ["spec", "rules"]].arrayValue ?? []
        #expect(rules.first == Self.userRule, "the user's rule is gone: \(rules)")
        #expect(rules.count == 2)
        #expect(route.labels["team"] == "web")
        #expect(route.annotations["example.com/ticket"] == "OPS-1")
        #expect(route[path: ["spec", "x-vendor-extension"]] == ["keep": "me"])
        #expect(route.ownerReferences.isEmpty, "the user's route was adopted")

        canaries.stop()
        routes.stop()
        httpRoutes.stop()
        await cluster.stop()
    }
}

/// Samples the server's request counter once a second.
final class RequestRate: Sendable {
    private final class Counts: Sendable {
        let values = Mutex<[Int]>([])
    }
    private let counts = Counts()
    private let task: Task<Void, Never>

    init(faults: FaultInjector) {
        let counts = self.counts
        task = Task {
            var last = faults.requestCount()
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(1))
                let now = faults.requestCount()
                counts.values.withLock { $0.append(now - last) }
                last = now
            }
        }
    }

    /// Requests in each whole second since the start.
    func stop() -> [Int] {
        task.cancel()
        return counts.values.withLock { $0 }
    }
}

/// A conflict on every status write for a while (another writer keeps changing the object):
/// the reconcile must back off per key instead of deciding and writing again in a tight loop.
@Suite("Fault tolerance: sustained conflicts", .serialized)
struct SustainedConflictTests {
    @Test("a status write that always conflicts is retried with backoff, then lands", .timeLimit(.minutes(1)))
    func backsOff() async throws {
        let cluster = try await FaultCluster.start(readyDelay: .milliseconds(20))
        let ns = cluster.namespace
        let name = "tango"
        cluster.prometheus.setScript { _ in .value(99.9) }
        try await cluster.createDeployment(name)
        try await cluster.createCanary(FaultCluster.canary(name, namespace: ns))
        // Unthrottled client: only the controller's own backoff stands between a conflict and a spin.
        let op = try await InProcessOperator(cluster: cluster, metricQueryTimeout: 2)
        let initialized = await op.drive { await cluster.phase(name) == "Initialized" }
        #expect(initialized)
        try await Task.sleep(for: .milliseconds(200))

        let faults = cluster.server.faults
        faults.failNext(100_000, status: 409, verb: "update", resource: "canaries")
        let before = cluster.server.audit.requests.count
        try await cluster.setImage(name, "app:2")
        // One second of real time and no clock movement: a backoff waits, a spin does not.
        try await Task.sleep(for: .seconds(1))
        let window = cluster.server.audit.requests.dropFirst(before)
        let statusWrites = window.filter { $0.verb == "update" && $0.resource == "canaries" }.count
        print("SustainedConflictTests: \(statusWrites) conflicting status writes, \(window.count) requests in 1 s")
        #expect(statusWrites <= 12, "status writes in a tight loop: \(statusWrites) in 1 s")
        #expect(window.count <= 100, "\(window.count) requests in 1 s")

        faults.clear()
        let progressed = await op.drive(timeout: .seconds(20)) { await cluster.phase(name) == "Succeeded" }
        let last = await cluster.canaryStatus(name)
        #expect(progressed, "\(last)")
        await op.stop()
        await cluster.stop()
    }
}
