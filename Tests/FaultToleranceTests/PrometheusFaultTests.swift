import Foundation
import KubeCore
import SerinAPI
import Testing

/// Prometheus down, slow beyond the query timeout, answering HTML or broken JSON, or
/// answering nothing: each check fails (or holds, for no data with onNoData Hold), the
/// reason is in status and in Events, and nothing is promoted on missing data.
@Suite("Fault tolerance: Prometheus faults", .serialized)
struct PrometheusFaultTests {
    struct Case: Sendable {
        var name: String
        /// Words the failure reason must contain, in status and in the Halt event.
        var reason: String
        var onNoData: String? = nil
        /// The canary holds (no failure counted) instead of failing.
        var holds = false
    }

    static let cases = [
        Case(name: "down", reason: "connection refused"),
        Case(name: "down-nodata-pass", reason: "connection refused", onNoData: "Pass"),
        Case(name: "slow", reason: "did not answer within 0.5s"),
        Case(name: "html", reason: "not a Prometheus API answer"),
        Case(name: "broken-json", reason: "not a Prometheus API answer"),
        Case(name: "error-status", reason: "many-to-many matching not allowed"),
        Case(name: "nodata", reason: "no data"),
        Case(name: "nodata-hold", reason: "no data", onNoData: "Hold", holds: true),
    ]

    @Test("each fault fails or holds the check, says why in status and Events, and never promotes", .timeLimit(.minutes(2)))
    func faults() async throws {
        let cluster = try await FaultCluster.start(readyDelay: .milliseconds(20))
        let ns = cluster.namespace
        // One Prometheus per fault, each behind its own MetricTemplate address.
        let dead = try await ScriptedPrometheus.start()
        await dead.stop()
        let faulty = try await ScriptedPrometheus.start()
        faulty.setScript { q in
            let which = q.split(separator: "|").first.map(String.init) ?? ""
            switch which {
            case "slow": return .delayed(.seconds(3), .value(100))
            case "html": return .raw(status: 200, contentType: "text/html", body: "<html><body><h1>Welcome to nginx!</h1></body></html>")
            case "broken-json": return .raw(status: 200, contentType: "application/json", body: #"{"status":"success","data":{"resultType":"vec"#)
            case "error-status":
                return .raw(status: 422, contentType: "application/json",
                            body: #"{"status":"error","errorType":"execution","error":"many-to-many matching not allowed"}"#)
            case "nodata", "nodata-hold": return .value(nil)
            default: return .value(100)
            }
        }
        let op = try await InProcessOperator(cluster: cluster, metricQueryTimeout: 0.5)
        for c in Self.cases {
            let address = c.name.hasPrefix("down") ? dead.address : faulty.address
            _ = try await cluster.api.create(.metricTemplates, namespace: ns, [
                "apiVersion": "serin.dev/v1alpha1", "kind": "MetricTemplate",
                "metadata": ["name": .string(c.name), "namespace": .string(ns)],
                // The query's first word tells the scripted Prometheus which fault to play.
                "spec": ["provider": ["type": "prometheus", "address": .string(address)],
                         "query": .string("\(c.name)|sum(rate(requests{app=\"{{ target }}\"}[{{ interval }}]))")],
            ])
            var metric: JSONValue = ["name": "availability", "templateRef": ["name": .string(c.name)], "interval": "1m",
                                     "thresholdRange": ["min": 99]]
            if let p = c.onNoData { metric["onNoData"] = .string(p) }
            try await cluster.createDeployment(c.name)
            try await cluster.createCanary(FaultCluster.canary(c.name, namespace: ns, metrics: [metric]))
        }
        let names = Self.cases.map(\.name)
        let routes = try await ObjectRecorder.start(api: cluster.api, resource: .virtualServices, namespace: ns,
                                                    projection: CanaryView.istioWeight)
        let canaries = try await ObjectRecorder.start(api: cluster.api, resource: .canaries, namespace: ns,
                                                      projection: CanaryView.projection)
        @Sendable func phasesAre(_ want: @escaping @Sendable (String) -> String) async -> Bool {
            let now = await cluster.phases(names)
            return names.allSatisfy { now[$0] == want($0) }
        }
        let initialized = await op.drive { await phasesAre { _ in "Initialized" } }
        let afterInit = await cluster.phases(names)
        #expect(initialized, "\(afterInit)")
        for n in names { try await cluster.setImage(n, "app:2") }

        // Failing faults reach Failed (threshold 2); the holding one stays Progressing.
        let settled = await op.drive(timeout: .seconds(60)) {
            let phasesOK = await phasesAre { $0 == "nodata-hold" ? "Progressing" : "Failed" }
            let stepped = await cluster.canaryStatus("nodata-hold")["lastStepTime"].stringValue != nil
            return phasesOK && stepped
        }
        let afterFaults = await cluster.phases(names)
        #expect(settled, "\(afterFaults)")
        // Several more intervals of holding: no failure counted, no step taken.
        let heldFrom = await cluster.canaryStatus("nodata-hold")
        _ = await op.drive(timeout: .seconds(3)) { false }
        let held = await cluster.canaryStatus("nodata-hold")

        for c in Self.cases {
            let status = await cluster.canaryStatus(c.name)
            let result = status["metricResults"][0]
            let vs = canaries.versions(of: c.name)
            #expect(!CanaryView.phases(vs).contains("Promoting"), "\(c.name) was promoted")
            let weights = CanaryView.weights(vs)
            let maxWeight = weights.max() ?? 0
            #expect(maxWeight <= 25, "\(c.name) advanced past the first step: \(weights)")
            #expect((result["message"].stringValue ?? "").contains(c.reason), "\(c.name): \(result)")
            let events = await cluster.events(about: c.name)
            if c.holds {
                #expect(result["verdict"] == "Hold")
                #expect(held["failedChecks"] == 0)
                #expect(held["canaryWeight"] == 25 && heldFrom["canaryWeight"] == 25)
                #expect(held["lastStepTime"] != heldFrom["lastStepTime"], "no further interval was held")
                let holdEvents = events.filter { $0["reason"] == "Hold" && ($0["message"].stringValue ?? "").contains("no data") }
                let messages = events.map { $0["message"] }
                #expect(!holdEvents.isEmpty, "no Hold event: \(messages)")
            } else {
                #expect(result["verdict"] == (c.name.hasPrefix("nodata") ? "Fail" : "Error"), "\(c.name): \(result)")
                #expect(status["failedChecks"] == 2)
                #expect((status["message"].stringValue ?? "").contains(c.reason), "\(c.name): \(status["message"])")
                let halts = events.filter { $0["reason"] == "Halt" }.compactMap { $0["message"].stringValue }
                let namingHalts = halts.filter { $0.contains(c.reason) }
                #expect(!namingHalts.isEmpty, "\(c.name) Halt events: \(halts)")
                let rollbacks = events.filter { $0["reason"] == "RollingBack" }
                #expect(!rollbacks.isEmpty, "\(c.name): no RollingBack event")
                // Traffic back on the primary.
                #expect(routes.latest(c.name).map(CanaryView.istioWeight) == 0, "\(c.name) route not back to primary")
            }
        }

        // The data comes back: the held canary continues and is promoted.
        faulty.setScript { _ in .value(100) }
        let promoted = await op.drive(timeout: .seconds(30)) { await cluster.phase("nodata-hold") == "Succeeded" }
        let heldStatus = await cluster.canaryStatus("nodata-hold")
        #expect(promoted, "\(heldStatus)")

        canaries.stop()
        routes.stop()
        await op.stop()
        await faulty.stop()
        await cluster.stop()
    }
}
