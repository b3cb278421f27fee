import Foundation
import KubeCore
import SerinAPI
import Testing

/// The seed Rollout applied with the real kubectl (the file as it is), and what `kubectl get`
/// and `kubectl wait` show for it.
@Suite("Rollout controller: kubectl", .serialized, .timeLimit(.minutes(2)))
struct RolloutKubectlTests {
    static let kubectl = "/usr/bin/kubectl"

    struct Output: CustomStringConvertible {
        var status: Int32
        var out: String
        var err: String
        var description: String { "exit \(status)\n\(out)\n\(err)" }
    }

    /// Runs kubectl against the test server (killed after 30 s).
    static func run(_ dir: String, _ args: [String]) async throws -> Output {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: kubectl)
        p.arguments = ["--kubeconfig", dir + "/kubeconfig", "--cache-dir", dir + "/cache", "--request-timeout", "20s"] + args
        let out = Pipe()
        let err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let deadline = ContinuousClock.now + .seconds(30)
        while p.isRunning {
            if ContinuousClock.now > deadline { p.terminate() }
            try? await Task.sleep(for: .milliseconds(10))
        }
        let o = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let e = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        return Output(status: p.terminationStatus, out: o, err: e)
    }

    @Test("kubectl apply of the seed file; get ro shows Desired/Current/Up-to-date/Available/Phase/Step/Weight; wait for Healthy")
    func seedThroughKubectl() async throws {
        guard FileManager.default.isExecutableFile(atPath: Self.kubectl) else { return }
        try await RolloutEnvironment.with { env in
            let dir = NSTemporaryDirectory() + "serin-rollout-kubectl-\(UUID().uuidString.prefix(8))"
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: dir) }
            try env.server.writeKubeconfig(to: dir + "/kubeconfig")
            try await env.createService("order-service-active", app: "order-service")
            try await env.createService("order-service-preview", app: "order-service")
            try await env.applySeedTemplate()

            let seed = Manifest.repoRoot.appendingPathComponent("examples/seed-rollout-bluegreen.yaml").path
            let applied = try await Self.run(dir, ["apply", "-f", seed])
            #expect(applied.status == 0, "\(applied)")
            #expect(applied.out.contains("rollout.serin.dev/order-service-rollout created"), "\(applied)")

            await env.startOperator()
            let healthy = await env.drive { await env.phase("order-service-rollout") == "Healthy" }
            #expect(healthy)

            let get = try await Self.run(dir, ["get", "ro", "-n", "microservices"])
            #expect(get.status == 0, "\(get)")
            let lines = get.out.split(separator: "\n").map(String.init)
            let header = lines.first?.split(separator: " ").map(String.init) ?? []
            #expect(header == ["NAME", "DESIRED", "CURRENT", "UP-TO-DATE", "AVAILABLE", "PHASE", "STEP", "WEIGHT", "AGE"], "\(get)")
            let row = lines.dropFirst().first?.split(separator: " ").map(String.init) ?? []
            #expect(Array(row.prefix(6)) == ["order-service-rollout", "5", "5", "5", "5", "Healthy"], "\(get)")

            let category = try await Self.run(dir, ["get", "serin", "-n", "microservices", "-o", "name"])
            #expect(category.out.contains("rollout.serin.dev/order-service-rollout"), "\(category)")

            let wait = try await Self.run(dir, ["wait", "--for=condition=Healthy", "rollout/order-service-rollout",
                                                "-n", "microservices", "--timeout=10s"])
            #expect(wait.status == 0, "\(wait)")
            // kstatus form, as Flux and `kubectl wait` read it.
            let ready = try await Self.run(dir, ["wait", "--for=condition=Ready", "rollout/order-service-rollout",
                                                 "-n", "microservices", "--timeout=10s"])
            #expect(ready.status == 0, "\(ready)")
            let conditions = await env.status("order-service-rollout")["conditions"].arrayValue ?? []
            let stalled = conditions.first { $0["type"] == "Stalled" }
            #expect(stalled?["status"] == "False")
            #expect(stalled?["observedGeneration"].intValue != nil)
        }
    }
}
