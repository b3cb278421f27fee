import Foundation
import KubeCore
import KubeTestServer
import SerinAPI
import Testing
import SerinTestSupport

@Suite("Canary controller: the real operator process", .serialized, .timeLimit(.minutes(2)))
struct OperatorProcessCanaryTests {
    /// Fetches a URL with curl (a real HTTP client, and no FoundationNetworking needed).
    static func fetch(_ url: String) -> String? {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        p.arguments = ["-s", "-m", "5", url]
        let out = Pipe()
        p.standardOutput = out
        guard (try? p.run()) != nil else { return nil }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    /// Runs kubectl against the test server; (exit code, output).
    static func kubectl(_ kubeconfig: String, _ args: [String]) -> (Int32, String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/kubectl")
        p.arguments = ["--kubeconfig", kubeconfig] + args
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        guard (try? p.run()) != nil else { return (-1, "kubectl did not start") }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    @Test("serin operator promotes a canary (10s interval) and exports its metrics")
    func onePromotion() async throws {
        let binary = try #require(OperatorChild.binary, "build the serin executable first")
        let server = try await TestAPIServer.start()
        let simulator = WorkloadSimulator(api: server.api, readyDelay: .milliseconds(50))
        simulator.start()
        let prometheus = try await FakePrometheus.start()
        let dir = NSTemporaryDirectory() + "serin-canary-op-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try server.writeKubeconfig(to: dir + "/kubeconfig")
        let api = server.api
        let ns = "microservices"

        var crds = [try Manifest.crd("canaries.yaml"), try Manifest.crd("metrictemplates.yaml")]
        crds += RouterCRDs.all
        for crd in crds { _ = try await api.create(.customResourceDefinitions, namespace: nil, crd) }
        for name in ["serin-system", ns] {
            _ = try await api.create(.namespaces, namespace: nil, ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": .string(name)]])
        }
        _ = try await api.create(.deployments, namespace: ns,
                                 CanaryEnvironment.deploymentManifest("podinfo", namespace: ns, image: "podinfo:1"))
        _ = try await api.create(.canaries, namespace: ns, [
            "apiVersion": "serin.dev/v1alpha1", "kind": "Canary",
            "metadata": ["name": "podinfo", "namespace": .string(ns)],
            "spec": [
                "targetRef": ["apiVersion": "apps/v1", "kind": "Deployment", "name": "podinfo"],
                "service": ["port": 80, "targetPort": 3000, "hosts": ["podinfo.example.com"]],
                "analysis": ["interval": "10s", "threshold": 2, "maxWeight": 50, "stepWeight": 50,
                             "metrics": [["name": "request-success-rate", "thresholdRange": ["min": 99]]]],
            ],
        ])

        let child = try OperatorChild(binary: binary, arguments: [
            "operator", "--kubeconfig", dir + "/kubeconfig", "--identity", "canary-op",
            "--metrics-address", "127.0.0.1:0", "--health-address", "127.0.0.1:0",
            "--lease-duration", "3", "--renew-deadline", "2", "--retry-period", "0.25",
            "--provider", "istio", "--metrics-server", prometheus.address,
        ], logPath: dir + "/operator.log")

        @Sendable func phase() async -> String? {
            (try? await api.get(.canaries, namespace: ns, name: "podinfo"))?["status"]["phase"].stringValue
        }
        let initialized = await eventually(timeout: .seconds(30), every: .milliseconds(50)) { await phase() == "Initialized" }
        #expect(initialized, "not Initialized:\n\(child.log.suffix(3000))")

        let d = try await api.get(.deployments, namespace: ns, name: "podinfo")
        var containers = d[path: ["spec", "template", "spec", "containers"]].arrayValue ?? []
        containers[0]["image"] = "podinfo:2"
        _ = try await api.patch(.deployments, namespace: ns, name: "podinfo", type: .merge,
                                ["spec": ["template": ["spec": ["containers": .array(containers)]]]])

        let recorder = try await RouteRecorder.start(api: api, resource: .virtualServices, namespace: ns, name: "podinfo",
                                                     weight: RouteRecorder.istioWeight)
        defer { recorder.stop() }
        let succeeded = await eventually(timeout: .seconds(60), every: .milliseconds(50)) { await phase() == "Succeeded" }
        #expect(succeeded, "not Succeeded:\n\(child.log.suffix(3000))")
        _ = await eventually(timeout: .seconds(2)) { recorder.last == 0 }
        #expect(recorder.sequence == [0, 50, 0])
        let primary = try await api.get(.deployments, namespace: ns, name: "podinfo-primary")
        #expect(primary[path: ["spec", "template", "spec", "containers"]][0]["image"] == "podinfo:2")

        // What an SRE types.
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/kubectl") {
            let kubeconfig = dir + "/kubeconfig"
            let wait = Self.kubectl(kubeconfig, ["-n", ns, "wait", "--for=condition=Promoted", "canary/podinfo", "--timeout=20s"])
            #expect(wait.0 == 0, "\(wait.1)")
            #expect(wait.1.contains("condition met"), "\(wait.1)")
            let table = Self.kubectl(kubeconfig, ["-n", ns, "get", "canaries"])
            #expect(table.0 == 0, "\(table.1)")
            #expect(table.1.contains("Succeeded"), "\(table.1)")
        }

        // The operator's own metrics about the canary.
        let port = try #require(child.metricsPort, "no metrics_port in the log:\n\(child.log.prefix(2000))")
        // Status is written just before the metrics are recorded: poll briefly.
        var metrics = ""
        for _ in 0..<50 {
            metrics = Self.fetch("http://127.0.0.1:\(port)/metrics") ?? ""
            if metrics.contains("serin_canary_duration_seconds_count") { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        let lines = metrics.split(separator: "\n").map(String.init).filter { $0.contains("name=\"podinfo\"") }
        let status = lines.first { $0.hasPrefix("serin_canary_status{") }
        let weight = lines.first { $0.hasPrefix("serin_canary_weight{") }
        let analysis = lines.first { $0.hasPrefix("serin_canary_metric_analysis{") }
        func value(_ line: String?) -> Double? { line?.split(separator: " ").last.flatMap { Double($0) } }
        #expect(value(status) == 1, "\(lines)")  // 1: Succeeded
        #expect(value(weight) == 0, "\(lines)")
        #expect(analysis?.contains("metric=\"request-success-rate\"") == true, "\(lines)")
        let duration = lines.filter { $0.hasPrefix("serin_canary_duration_seconds") }
        #expect(!duration.isEmpty, "\(lines)")

        child.terminate()
        let code = await child.waitForExit(timeout: .seconds(15))
        #expect(code == 0, "\(child.log.suffix(2000))")
        await simulator.stop()
        await prometheus.stop()
        try? await server.stop()
    }
}
