import Foundation
import KubeCore
import KubeTestServer
import SerinAPI
import SerinTestApp

/// The world the operator runs against: the test API server on 127.0.0.1 (with its workload
/// simulator making Deployments ready), Serin's CRDs, and a scripted Prometheus that answers
/// every query with a healthy value and keeps every query it was sent.
final class BenchCluster: Sendable {
    let server: TestAPIServer
    let prometheus: CannedServer
    let kubeconfig: String
    let tracker: CanaryTracker
    private let trackerTask: Task<Void, Never>

    var api: any KubeAPI { server.api }

    private init(server: TestAPIServer, prometheus: CannedServer, kubeconfig: String, tracker: CanaryTracker,
                 trackerTask: Task<Void, Never>) {
        self.server = server
        self.prometheus = prometheus
        self.kubeconfig = kubeconfig
        self.tracker = tracker
        self.trackerTask = trackerTask
    }

    /// The value every query gets: a success rate of 100 % and a duration of 100 ms both pass.
    static let healthyAnswer = #"{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[0,"100"]}]}}"#

    static func start(options: BenchOptions, crds: [JSONValue], label: String) async throws -> BenchCluster {
        var serverOptions = TestAPIServer.Options()
        serverOptions.tls = options.tls
        // Room for a burst of 10,000 canaries' writes without watches falling out of history.
        serverOptions.historyLimit = 200_000
        // kube-apiserver sends a bookmark about once a minute.
        serverOptions.bookmarkInterval = .seconds(60)
        let server = try await TestAPIServer.start(serverOptions)
        let prometheus: CannedServer
        do {
            let answer = SmallHTTPResponse(contentType: "application/json", body: healthyAnswer)
            prometheus = try await CannedServer.start(routes: ["/api/v1/query": answer])
        } catch {
            try? await server.stop()
            throw error
        }
        let kubeconfig = options.workDirectory + "/kubeconfig-\(label)"
        let tracker = CanaryTracker()
        let api = server.api
        do {
            try server.writeKubeconfig(to: kubeconfig)
            for ns in [BenchManifests.namespace, BenchManifests.leaseNamespace] {
                _ = try await api.create(.namespaces, namespace: nil, BenchManifests.namespaceObject(ns))
            }
            for crd in crds { _ = try await api.create(.customResourceDefinitions, namespace: nil, crd) }
            let deadline = BenchDeadline(seconds: 20)
            for r in [ResourceType.canaries, .analysisRuns, .httpRoutes] {
                let served = await deadline.wait(limit: .seconds(20)) { (try? await api.list(r, namespace: nil)) != nil }
                if !served { throw BenchFailure("\(r.plural).\(r.group) is not served after applying the CRDs") }
            }
        } catch {
            await prometheus.stop()
            try? await server.stop()
            throw error
        }
        let task = Task { await tracker.follow(api: api) }
        return BenchCluster(server: server, prometheus: prometheus, kubeconfig: kubeconfig, tracker: tracker, trackerTask: task)
    }

    func stop() async {
        trackerTask.cancel()
        await prometheus.stop()
        try? await server.stop()
    }

    // MARK: - Objects

    /// Creates canaries `range` with their Deployments through the in-process API (no HTTP:
    /// 10,000 of them take seconds, and the request counters see only the operator).
    func createCanaries(_ range: Range<Int>, options: BenchOptions) async throws {
        for i in range {
            _ = try await api.create(.deployments, namespace: BenchManifests.namespace, BenchManifests.deployment(i))
            _ = try await api.create(
                .canaries, namespace: BenchManifests.namespace,
                BenchManifests.canary(i, intervalSeconds: options.intervalSeconds, stepWeight: options.stepWeight,
                                      maxWeight: options.maxWeight))
        }
    }

    /// A release: the Deployment's image tag (and an env var) move to `revision`.
    func release(_ i: Int, revision: Int) async throws {
        let ns = BenchManifests.namespace
        for _ in 0..<5 {
            var d = try await api.get(.deployments, namespace: ns, name: BenchManifests.name(i))
            let fresh = BenchManifests.deployment(i, revision: revision)
            d[path: ["spec", "template"]] = fresh[path: ["spec", "template"]]
            do {
                _ = try await api.update(.deployments, namespace: ns, d)
                return
            } catch let e as KubeAPIError where e.isConflict {
                continue  // the workload simulator wrote status in between
            }
        }
        throw BenchFailure("could not update Deployment \(BenchManifests.name(i)): conflicts")
    }

    // MARK: - What the operator caches

    /// Resources the operator opened watches on (counted at the server), with the total JSON
    /// size of their objects as its informers keep them (managedFields and last-applied dropped).
    func watchedObjectSizes() async -> [(resource: String, objects: Int, bytes: Int)] {
        var out: [(String, Int, Int)] = []
        for r in RequestTally.knownResources where server.faults.requestCount(verb: "watch", resource: r.plural) > 0 {
            guard let list = try? await api.list(r, namespace: nil) else { continue }
            var bytes = 0
            for item in list.items { bytes += Self.stripped(item).serializedBytes().count }
            out.append((r.plural, list.items.count, bytes))
        }
        return out
    }

    static func stripped(_ obj: JSONValue) -> JSONValue {
        var o = obj
        o[path: ["metadata", "managedFields"]] = .null
        o[path: ["metadata", "annotations", "kubectl.kubernetes.io/last-applied-configuration"]] = .null
        return o
    }

    // MARK: - Scripted Prometheus

    /// Queries received so far.
    var queryCount: Int { prometheus.requests.count }

    /// Queries with positions in `range` (in arrival order), by canary index (read from the query text).
    func queriesByCanary(_ range: Range<Int>) -> [Int: Int] {
        let all = prometheus.requests
        var out: [Int: Int] = [:]
        for r in all[range.clamped(to: all.indices)] {
            if let i = Self.canaryIndex(inQuery: r) { out[i, default: 0] += 1 }
        }
        return out
    }

    /// The canary a query is about: the builtin gatewayapi queries select `.*bench.app-N.*`.
    static func canaryIndex(inQuery r: SmallHTTPRequest) -> Int? {
        var text = r.query["query"] ?? ""
        if text.isEmpty {
            let form = String(decoding: r.body, as: UTF8.self).replacingOccurrences(of: "+", with: " ")
            for pair in form.split(separator: "&") where pair.hasPrefix("query=") {
                text = String(pair.dropFirst(6)).removingPercentEncoding ?? ""
            }
        }
        let marker = "\(BenchManifests.namespace).app-"
        guard let at = text.range(of: marker) else { return nil }
        let digits = text[at.upperBound...].prefix { $0.isNumber }
        return Int(digits)
    }
}

/// Requests the server answered, by verb and resource (the operator's only: the bench itself
/// and the workload simulator use the in-process API, which is not counted).
struct RequestTally: Sendable {
    var counts: [String: Int] = [:]

    static let verbs = ["get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"]
    static let writeVerbs: Set<String> = ["create", "update", "patch", "delete", "deletecollection"]
    static let knownResources: [ResourceType] = [
        .canaries, .deployments, .services, .configMaps, .secrets, .analysisRuns, .analysisTemplates,
        .clusterAnalysisTemplates, .metricTemplates, .rollouts, .replicaSets, .pods, .events, .leases, .httpRoutes,
        .namespaces, .horizontalPodAutoscalers, .ingresses,
    ]

    static func snapshot(_ server: TestAPIServer) -> RequestTally {
        var t = RequestTally()
        var known = 0
        let plurals = Set(knownResources.map(\.plural))
        for v in verbs {
            for r in plurals {
                let n = server.faults.requestCount(verb: v, resource: r)
                if n > 0 { t.counts["\(v) \(r)"] = n }
                known += n
            }
        }
        let other = server.faults.requestCount() - known
        if other > 0 { t.counts["other"] = other }
        return t
    }

    static func - (a: RequestTally, b: RequestTally) -> RequestTally {
        var t = RequestTally()
        for (k, v) in a.counts where v - (b.counts[k] ?? 0) != 0 { t.counts[k] = v - (b.counts[k] ?? 0) }
        return t
    }

    var total: Int { counts.values.reduce(0, +) }

    func sum(_ include: (_ verb: String, _ resource: String) -> Bool) -> Int {
        counts.reduce(0) { acc, kv in
            let parts = kv.key.split(separator: " ", maxSplits: 1).map(String.init)
            let verb = parts.first ?? "", resource = parts.count > 1 ? parts[1] : ""
            return include(verb, resource) ? acc + kv.value : acc
        }
    }

    var writes: Int { sum { v, _ in Self.writeVerbs.contains(v) } }

    /// `update canaries 1000, create events 1000, …`, largest first.
    func describe(per divisor: Double = 1) -> String {
        counts.sorted { $0.value > $1.value }.map { k, v in
            divisor == 1 ? "\(k) \(v)" : "\(k) \(BenchFigure.format(Double(v) / divisor))"
        }.joined(separator: ", ")
    }
}
