import Foundation
import KubeCore
import KubeTestServer
import SerinAPI
import Synchronization
import Testing
import SerinTestSupport

/// The real `serin operator` binary, started with the container args of manifests/deployment.yaml
/// against an audited test API server, driven through the lives of the objects it manages:
/// a Canary promoted (Istio, HPA, ConfigMap and Secret copies, deleted with revertOnDeletion),
/// a Canary rolled back (Gateway API, a MetricTemplate with credentials), and an AnalysisRun
/// with Secret-sourced arguments. What it asked of the API server is what RBAC must grant.
/// A real Prometheus scrapes the operator meanwhile and answers the metric checks, so the
/// alert rules and dashboard queries can be run against the operator's real series.
struct OperatorRunRecord: Sendable {
    var requests: [AuditedRequest]
    /// The exposition of `/metrics` at the end of the run.
    var metrics: String
    var log: String
    /// Outcomes, for the failure messages of the tests that use the record.
    var outcomes: [String: String]
    /// Each alert and dashboard expression (by its name) as a real Prometheus, which scraped
    /// the operator during the run, answered it: the response document.
    var queries: [String: JSONValue]
}

/// One run shared by the tests that need it (a run takes about a minute of real time: the
/// Canary's shortest allowed interval is 10s).
actor OperatorRun {
    static let shared = OperatorRun()
    private var task: Task<OperatorRunRecord, any Error>?

    func record() async throws -> OperatorRunRecord {
        if let task { return try await task.value }
        let t = Task { try await Self.perform() }
        task = t
        return try await t.value
    }

    static let namespace = "shop"
    /// Nothing listens here: metric queries and webhooks fail at once (connection refused).
    static let deadAddress = "http://127.0.0.1:9"

    /// The operator's container args from the manifest, with addresses on loopback port 0 and
    /// short lease timings so the test does not wait on them.
    static func arguments(kubeconfig: String) throws -> [String] {
        let deployment = try #require(Repository.object(try Repository.manifestObjects(), kind: "Deployment"))
        let container = try #require(deployment[path: ["spec", "template", "spec", "containers"]].arrayValue?.first)
        var args = (container["args"].arrayValue ?? []).compactMap(\.stringValue)
        let overrides = [
            "--metrics-address": "127.0.0.1:0", "--health-address": "127.0.0.1:0", "--lease-duration": "3",
            "--renew-deadline": "2", "--retry-period": "0.25", "--shutdown-grace": "5",
        ]
        args = args.map { a in
            let flag = String(a.split(separator: "=", maxSplits: 1).first ?? "")
            return overrides[flag].map { "\(flag)=\($0)" } ?? a
        }
        // The Deployment sets these through its env (the pod's namespace); here they are flags.
        return args + ["--kubeconfig", kubeconfig, "--identity", "install-test", "--lease-namespace", "serin-system",
                       "--metrics-server", deadAddress]
    }

    static var binary: String? {
        let dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for candidate in [dir.appendingPathComponent("serin").path,
                          dir.deletingLastPathComponent().appendingPathComponent("serin").path,
                          Repository.path(".build/debug/serin")]
        where FileManager.default.isExecutableFile(atPath: candidate) {
            return candidate
        }
        return nil
    }

    private static func perform() async throws -> OperatorRunRecord {
        let binary = try #require(binary, "build the serin executable first (swift build)")
        try #require(PrometheusProcess.isInstalled, "\(PrometheusProcess.binary) is missing: run hack/setup")
        let server = try await TestAPIServer.start()
        let dir = NSTemporaryDirectory() + "serin-install-run-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try server.writeKubeconfig(to: dir + "/kubeconfig")
        let api = server.api
        var prometheus: PrometheusProcess?
        do {
            try await World.install(api)
            let child = try OperatorChild(binary: binary, arguments: try arguments(kubeconfig: dir + "/kubeconfig"),
                                          logPath: dir + "/operator.log")
            defer { child.kill9() }
            let started = await eventually(timeout: .seconds(20)) { child.metricsPort != nil }
            let port = try #require(child.metricsPort, "no metrics_port in the operator's log (started: \(started)):\n\(child.log.suffix(2000))")
            let prom = try await PrometheusProcess.start(scraping: "127.0.0.1:\(port)")
            prometheus = prom
            try await World.installAnalysis(api, prometheus: prom.address)
            let outcomes = try await World.drive(api, child: child)
            let metrics = await child.scrape(containing: "serin_canary_duration_seconds")
            // Two more scrapes, so the last state is in Prometheus too.
            try? await Task.sleep(for: .seconds(2.5))
            var queries: [String: JSONValue] = [:]
            for (name, expr) in try Monitoring.expressions() {
                queries[name] = (try? await prom.query(expr)) ?? ["status": "error", "error": "no answer"]
            }
            // After the queries: a deleted Canary's series go away with it.
            try await World.deleteCanaries(api, child: child)
            child.terminate()
            let code = await child.waitForExit(timeout: .seconds(15))
            #expect(code == 0, "serin operator exited \(code.map(String.init) ?? "late"):\n\(child.log.suffix(2000))")
            let record = OperatorRunRecord(
                requests: server.audit.requests.filter { $0.userAgent.hasPrefix("serin/") }, metrics: metrics,
                log: child.log, outcomes: outcomes, queries: queries)
            prom.stop()
            try? await server.stop()
            return record
        } catch {
            prometheus?.stop()
            try? await server.stop()
            throw error
        }
    }
}

/// The objects of the run and the steps that move them.
enum World {
    static let ns = OperatorRun.namespace

    static func install(_ api: any KubeAPI) async throws {
        var crds = try Repository.crds().map(\.crd)
        crds += try Repository.documents("hack/dev-crds/routers.yaml")
        for crd in crds { _ = try await api.create(.customResourceDefinitions, namespace: nil, crd) }
        for r in [ResourceType.canaries, .analysisRuns, .rollouts, .alertProviders, .clusterAnalysisTemplates, .httpRoutes,
                  .virtualServices, .destinationRules] {
            let served = await eventually(timeout: .seconds(5)) { (try? await api.list(r, namespace: nil)) != nil }
            #expect(served, "\(r.plural) is not served")
        }
        for name in ["serin-system", ns] {
            _ = try await api.create(.namespaces, namespace: nil, ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": .string(name)]])
        }
        for obj in objects() {
            let kind = obj["kind"].stringValue ?? ""
            let r = try #require(resource(kind), "no resource for \(kind)")
            _ = try await api.create(r, namespace: r.namespaced ? ns : nil, obj)
        }
    }

    /// The MetricTemplate and AnalysisRun, once Prometheus (which scrapes the operator) runs.
    static func installAnalysis(_ api: any KubeAPI, prometheus: String) async throws {
        for obj in analysisObjects(prometheus: prometheus) {
            let kind = obj["kind"].stringValue ?? ""
            let r = try #require(resource(kind), "no resource for \(kind)")
            _ = try await api.create(r, namespace: r.namespaced ? ns : nil, obj)
        }
    }

    static func resource(_ kind: String) -> ResourceType? {
        [ResourceType.deployments, .configMaps, .secrets, .services, .horizontalPodAutoscalers, .canaries,
         .metricTemplates, .analysisRuns, .analysisTemplates, .clusterAnalysisTemplates, .alertProviders, .rollouts]
            .first { $0.kind == kind }
    }

    static func deployment(_ name: String, image: String, configs: Bool) -> JSONValue {
        var container: JSONValue = ["name": "app", "image": .string(image), "ports": [["containerPort": 8080]]]
        if configs {
            container["envFrom"] = [["configMapRef": ["name": "app-config"]], ["secretRef": ["name": "app-secret"]]]
        }
        return [
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": ["name": .string(name), "namespace": .string(ns), "labels": ["app": .string(name)]],
            "spec": [
                "replicas": 2, "selector": ["matchLabels": ["app": .string(name)]],
                "template": ["metadata": ["labels": ["app": .string(name)]], "spec": ["containers": [container]]],
            ],
        ]
    }

    static func objects() -> [JSONValue] {
        [
            ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "app-config"], "data": ["MODE": "fast"]],
            ["apiVersion": "v1", "kind": "Secret", "metadata": ["name": "app-secret"], "data": ["TOKEN": "c2VjcmV0"]],
            ["apiVersion": "v1", "kind": "Secret", "metadata": ["name": "prom-auth"], "data": ["token": "cHJvbS10b2tlbg=="]],
            // The address of a chat webhook that does not answer: deliveries fail (and are counted).
            ["apiVersion": "v1", "kind": "Secret", "metadata": ["name": "alert-url"],
             "data": ["address": .string(Data("\(OperatorRun.deadAddress)/hook".utf8).base64EncodedString())]],
            ["apiVersion": "serin.dev/v1alpha1", "kind": "AlertProvider", "metadata": ["name": "ops"],
             "spec": ["type": "generic", "secretRef": ["name": "alert-url"]]],
            deployment("cart", image: "cart:1", configs: true),
            deployment("checkout", image: "checkout:1", configs: false),
            [
                "apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": ["name": "cart"],
                "spec": ["scaleTargetRef": ["apiVersion": "apps/v1", "kind": "Deployment", "name": "cart"],
                         "minReplicas": 2, "maxReplicas": 4],
            ],
            // Promoted: Istio, with an HPA and config copies; reverted when deleted.
            [
                "apiVersion": "serin.dev/v1alpha1", "kind": "Canary", "metadata": ["name": "cart"],
                "spec": [
                    "provider": "istio", "revertOnDeletion": true,
                    "targetRef": ["apiVersion": "apps/v1", "kind": "Deployment", "name": "cart"],
                    "autoscalerRef": ["apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "name": "cart"],
                    "service": ["port": 80, "targetPort": 8080, "hosts": ["cart.example.com"]],
                    "analysis": ["interval": "10s", "threshold": 2, "stepWeight": 50, "maxWeight": 50],
                ],
            ],
            // Rolled back: Gateway API; its metric fails three times (the same Halt Warning twice:
            // aggregated into one Event by a patch). Reverted when deleted.
            [
                "apiVersion": "serin.dev/v1alpha1", "kind": "Canary", "metadata": ["name": "checkout"],
                "spec": [
                    "provider": "gatewayapi", "revertOnDeletion": true,
                    "targetRef": ["apiVersion": "apps/v1", "kind": "Deployment", "name": "checkout"],
                    "service": ["port": 80, "targetPort": 8080, "gatewayRefs": [["name": "public", "namespace": "gateways"]]],
                    "analysis": ["interval": "10s", "threshold": 3, "stepWeight": 20, "maxWeight": 60,
                                 "metrics": [["name": "latency", "templateRef": ["name": "latency"], "interval": "1m",
                                              "thresholdRange": ["max": 500]]],
                                 "alerts": [["name": "ops", "severity": "info", "providerRef": ["name": "ops"]]]],
                ],
            ],
            service("orders-active"), service("orders-preview"),
            // Blue-green with analysis before (AnalysisTemplate) and after (ClusterAnalysisTemplate)
            // promotion; one old revision kept (for an undo), finished runs not kept.
            [
                "apiVersion": "serin.dev/v1alpha1", "kind": "Rollout", "metadata": ["name": "orders"],
                "spec": [
                    "replicas": 2, "revisionHistoryLimit": 1,
                    "analysis": ["successfulRunHistoryLimit": 0, "unsuccessfulRunHistoryLimit": 0],
                    "selector": ["matchLabels": ["app": "orders"]],
                    "template": ["metadata": ["labels": ["app": "orders"]],
                                 "spec": ["containers": [["name": "orders", "image": "orders:1"]]]],
                    "strategy": ["blueGreen": [
                        "activeService": "orders-active", "previewService": "orders-preview",
                        "autoPromotionEnabled": true, "scaleDownDelaySeconds": 1,
                        "prePromotionAnalysis": ["templates": [["templateName": "orders-check"]]],
                        "postPromotionAnalysis": ["templates": [["templateName": "orders-cluster-check", "clusterScope": true]]],
                    ]],
                ],
            ],
        ]
    }

    static func service(_ name: String) -> JSONValue {
        ["apiVersion": "v1", "kind": "Service", "metadata": ["name": .string(name)],
         "spec": ["selector": ["app": "orders"], "ports": [["port": 80, "targetPort": 8080]]]]
    }

    /// One measurement of a constant that passes.
    static func template(_ kind: String, _ name: String, prometheus: String) -> JSONValue {
        ["apiVersion": "serin.dev/v1alpha1", "kind": .string(kind), "metadata": ["name": .string(name)],
         "spec": ["metrics": [["name": "up", "count": 1, "successCondition": "result[0] >= 1",
                               "provider": ["prometheus": ["address": .string(prometheus), "query": "vector(1)"]]]]]]
    }

    /// A metric that fails (750 > 500) and a run that fails (5 is not < 1): constant PromQL, so
    /// the real Prometheus answers with values and the operator exports them.
    static func analysisObjects(prometheus: String) -> [JSONValue] {
        [
            template("AnalysisTemplate", "orders-check", prometheus: prometheus),
            template("ClusterAnalysisTemplate", "orders-cluster-check", prometheus: prometheus),
            [
                "apiVersion": "serin.dev/v1alpha1", "kind": "MetricTemplate", "metadata": ["name": "latency"],
                "spec": ["provider": ["type": "prometheus", "address": .string(prometheus), "secretRef": ["name": "prom-auth"]],
                         "query": "vector(750)"],
            ],
            // Secret-sourced argument and credentials.
            [
                "apiVersion": "serin.dev/v1alpha1", "kind": "AnalysisRun", "metadata": ["name": "checkout-run"],
                "spec": [
                    "args": [["name": "token", "valueFrom": ["secretKeyRef": ["name": "prom-auth", "key": "token"]]]],
                    "metrics": [[
                        "name": "errors", "count": 1, "successCondition": "result[0] < 1",
                        "provider": ["prometheus": ["address": .string(prometheus), "query": "vector(5)",
                                                    "headers": [["key": "X-Token", "value": "{{args.token}}"]],
                                                    "authentication": ["secretRef": ["name": "prom-auth"]]]],
                    ]],
                ],
            ],
        ]
    }

    static func phase(_ api: any KubeAPI, _ r: ResourceType, _ name: String) async -> String? {
        (try? await api.get(r, namespace: ns, name: name))?["status"]["phase"].stringValue
    }

    static func setImage(_ api: any KubeAPI, _ name: String, _ image: String, resource: ResourceType = .deployments) async throws {
        let d = try await api.get(resource, namespace: ns, name: name)
        var containers = d[path: ["spec", "template", "spec", "containers"]].arrayValue ?? []
        containers[0]["image"] = .string(image)
        _ = try await api.patch(resource, namespace: ns, name: name, type: .merge,
                                ["spec": ["template": ["spec": ["containers": .array(containers)]]]])
    }

    static func annotate(_ api: any KubeAPI, _ r: ResourceType, _ name: String, _ key: String, _ value: String) async throws {
        _ = try await api.patch(r, namespace: ns, name: name, type: .merge, ["metadata": ["annotations": [key: .string(value)]]])
    }

    static func rolloutStatus(_ api: any KubeAPI) async -> JSONValue {
        ((try? await api.get(.rollouts, namespace: ns, name: "orders")) ?? .null)["status"]
    }

    /// Waits until the Rollout is Healthy on a stable revision other than `notOn` (or `on`).
    static func rolloutSettles(_ api: any KubeAPI, on: String? = nil, notOn: String? = nil) async -> String? {
        let settled = await eventually(timeout: .seconds(40), every: .milliseconds(100)) {
            let st = await rolloutStatus(api)
            guard st["phase"] == "Healthy", let stable = st["stableRS"].stringValue else { return false }
            return st["currentPodHash"].stringValue == stable && (on == nil || stable == on) && (notOn == nil || stable != notOn)
        }
        return settled ? await rolloutStatus(api)["stableRS"].stringValue : nil
    }

    /// Blue-green releases with analysis, an undo to the last stable revision, a third release
    /// (the oldest ReplicaSet beyond the history limit deleted), and a restart of every pod.
    static func driveRollout(_ api: any KubeAPI, child: OperatorChild, v1: String) async throws {
        let v2 = await rolloutSettles(api, notOn: v1)
        var status = await rolloutStatus(api).serialized()
        #expect(v2 != nil, "Rollout orders not promoted to revision 2: \(status)\n\(child.log.suffix(2000))")
        // Undo: revision 1's pod template comes back (as a new revision, with its analysis).
        try await annotate(api, .rollouts, "orders", ManualControlAnnotations.undo, "1")
        let back = await rolloutSettles(api, notOn: v2)
        let image = (try? await api.get(.rollouts, namespace: ns, name: "orders"))?[path: ["spec", "template", "spec", "containers"]][0]["image"]
        status = await rolloutStatus(api).serialized()
        #expect(back != nil && image == "orders:1", "undo did not bring revision 1's template back (image \(image ?? .null)): \(status)")
        // Revision 3's analysis waits an hour; promote-full skips it (the run is terminated).
        _ = try await api.patch(.analysisTemplates, namespace: ns, name: "orders-check", type: .json,
                                [["op": "add", "path": "/spec/metrics/0/initialDelay", "value": "1h"]])
        try await setImage(api, "orders", "orders:3", resource: .rollouts)
        let analysing = await eventually(timeout: .seconds(30)) {
            await rolloutStatus(api)[path: ["blueGreen", "prePromotionAnalysisRunStatus", "status"]] == "Running"
        }
        status = await rolloutStatus(api).serialized()
        #expect(analysing, "revision 3's pre-promotion analysis not running: \(status)")
        try await annotate(api, .rollouts, "orders", ManualControlAnnotations.promoteFull, "1")
        let v3 = await rolloutSettles(api, notOn: back)
        status = await rolloutStatus(api).serialized()
        #expect(v3 != nil && v3 != v2 && v3 != v1, "Rollout orders not promoted to orders:3: \(status)")
        let pruned = await eventually(timeout: .seconds(20)) {
            let sets = (try? await api.list(.replicaSets, namespace: ns, options: ListOptions(labelSelector: "app=orders")))?.items ?? []
            return sets.count <= 2
        }
        #expect(pruned, "old ReplicaSets beyond revisionHistoryLimit 1 not deleted")
        // Pods as a kubelet would have made them (the test server makes none), older than the restart.
        let hash = try #require(v3)
        for i in 1...2 {
            _ = try await api.create(.pods, namespace: ns, [
                "apiVersion": "v1", "kind": "Pod",
                "metadata": ["name": .string("orders-\(hash)-\(i)"), "labels": ["app": "orders", "rollouts-pod-template-hash": .string(hash)]],
                "spec": ["containers": [["name": "orders", "image": "orders:3"]]],
            ])
        }
        try await Task.sleep(for: .seconds(1.2))  // creationTimestamp has whole seconds
        try await annotate(api, .rollouts, "orders", ManualControlAnnotations.restart, "1")
        let restarted = await eventually(timeout: .seconds(30)) { await rolloutStatus(api)["restartedAt"].stringValue != nil }
        status = await rolloutStatus(api).serialized()
        #expect(restarted, "pods not restarted: \(status)")
        let remaining = (try? await api.list(.pods, namespace: ns))?.items.count ?? -1
        #expect(remaining == 0, "\(remaining) pods left after the restart")
    }

    /// Initialization, a promotion, a rollback, a finished AnalysisRun and a deletion.
    static func drive(_ api: any KubeAPI, child: OperatorChild) async throws -> [String: String] {
        @Sendable func canary(_ name: String) async -> String? { await phase(api, .canaries, name) }
        @Sendable func both(_ cart: String, _ checkout: String) async -> Bool {
            let a = await canary("cart")
            let b = await canary("checkout")
            return a == cart && b == checkout
        }
        func phases() async -> String { "cart \(await canary("cart") ?? "-"), checkout \(await canary("checkout") ?? "-")" }
        let initialized = await eventually(timeout: .seconds(40)) { await both("Initialized", "Initialized") }
        let afterInit = await phases()
        #expect(initialized, "canaries not Initialized (\(afterInit)):\n\(child.log.suffix(3000))")
        let firstRevision = await rolloutSettles(api)
        let rolloutAtStart = await rolloutStatus(api).serialized()
        let v1 = try #require(firstRevision, "Rollout orders not Healthy: \(rolloutAtStart)\n\(child.log.suffix(2000))")

        // A release of each. Cart's also changes its ConfigMap and Secret (their copies are
        // updated on promotion), its HPA (copied again) and its routing policy (DestinationRules).
        _ = try await api.patch(.configMaps, namespace: ns, name: "app-config", type: .merge, ["data": ["MODE": "slow"]])
        _ = try await api.patch(.secrets, namespace: ns, name: "app-secret", type: .merge, ["data": ["TOKEN": "c2VjcmV0Mg=="]])
        _ = try await api.patch(.horizontalPodAutoscalers, namespace: ns, name: "cart", type: .merge, ["spec": ["maxReplicas": 6]])
        _ = try await api.patch(.canaries, namespace: ns, name: "cart", type: .merge,
                                ["spec": ["service": ["trafficPolicy": ["tls": ["mode": "ISTIO_MUTUAL"]]]]])
        try await setImage(api, "cart", "cart:2")
        try await setImage(api, "checkout", "checkout:2")
        try await setImage(api, "orders", "orders:2", resource: .rollouts)
        async let rollout: Void = driveRollout(api, child: child, v1: v1)
        let finished = await eventually(timeout: .seconds(90), every: .milliseconds(200)) { await both("Succeeded", "Failed") }
        let afterRelease = await phases()
        #expect(finished, "want cart Succeeded and checkout Failed, have \(afterRelease):\n\(child.log.suffix(3000))")
        let runDone = await eventually(timeout: .seconds(30)) {
            let p = await phase(api, .analysisRuns, "checkout-run") ?? ""
            return ["Error", "Failed", "Successful", "Inconclusive"].contains(p)
        }
        let runPhase = await phase(api, .analysisRuns, "checkout-run") ?? "-"
        #expect(runDone, "AnalysisRun not finished: \(runPhase)")
        try await rollout

        return ["canaries": afterRelease, "checkout-run": runPhase]
    }

    /// Deletion with revertOnDeletion: the finalizer comes off after the routes are removed.
    static func deleteCanaries(_ api: any KubeAPI, child: OperatorChild) async throws {
        for name in ["cart", "checkout"] {
            try await api.delete(.canaries, namespace: ns, name: name)
            let gone = await eventually(timeout: .seconds(30)) {
                (try? await api.get(.canaries, namespace: ns, name: name)) == nil
            }
            #expect(gone, "Canary \(name) still present after deletion:\n\(child.log.suffix(2000))")
        }
    }
}

extension OperatorChild {
    /// `/metrics` once it contains `text` (or what it has after a few seconds).
    func scrape(containing text: String) async -> String {
        var body = ""
        for _ in 0..<50 {
            if let port = metricsPort {
                body = (try? await ProcessResult.run("/usr/bin/curl", ["-s", "-m", "5", "http://127.0.0.1:\(port)/metrics"]))?.output ?? ""
                if body.contains(text) { break }
            }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return body
    }
}
