import Foundation
import KubeCore
import SerinTestApp
import Synchronization

/// The demo's "kubelet": makes each app instance behave as its Deployment's pod template
/// says. `podinfo` is the canary's pods, `podinfo-primary` the primary's; the template's image
/// is what the instance "runs", and its env vars DEMO_ERROR_RATE (0...1) and DEMO_LATENCY_MS
/// become the instance's error rate and added latency.
final class DemoKubelet: Sendable {
    struct Running: Equatable, Sendable {
        var image: String
        var config: TestApp.Config
    }

    let instances: [String: TestApp]
    private let timeline: DemoTimeline
    private let running = Mutex<[String: Running]>([:])

    /// `instances`: Deployment name → the app instance standing in for its pods.
    init(instances: [String: TestApp], timeline: DemoTimeline) {
        self.instances = instances
        self.timeline = timeline
    }

    /// What the instance standing in for `deployment` runs now.
    func running(_ deployment: String) -> Running? { running.withLock { $0[deployment] } }

    /// The image and app config a Deployment's pod template asks for.
    static func desired(_ deployment: JSONValue) -> Running? {
        guard let container = deployment[path: ["spec", "template", "spec", "containers"]].arrayValue?.first else {
            return nil
        }
        var env: [String: String] = [:]
        for e in container["env"].arrayValue ?? [] {
            if let n = e["name"].stringValue, let v = e["value"].stringValue { env[n] = v }
        }
        let rate = env[DemoManifests.errorRateEnv].flatMap(Double.init).map { min(max($0, 0), 1) } ?? 0
        let latency = env[DemoManifests.latencyEnv].flatMap(Double.init).map { min(max($0, 0), 60_000) } ?? 0
        return Running(image: container["image"].stringValue ?? "?", config: TestApp.Config(errorRate: rate, latencyMs: latency))
    }

    func apply(_ deployment: JSONValue) {
        guard let name = deployment.name, let app = instances[name], let want = Self.desired(deployment) else { return }
        let changed = running.withLock { r in
            defer { r[name] = want }
            return r[name] != want
        }
        guard changed else { return }
        if app.config != want.config { app.setConfig(want.config) }
        let short = want.image.split(separator: "/").last.map(String.init) ?? want.image
        let behaviour = "errors \(Self.percent(want.config.errorRate)), +\(Int(want.config.latencyMs))ms latency"
        timeline.line("kubelet", "\(name) pods run \(short) (\(behaviour))")
    }

    static func percent(_ fraction: Double) -> String { String(format: "%.0f%%", fraction * 100) }

    func run(api: any KubeAPI, namespace: String) async {
        await DemoWatch.follow(api: api, .deployments, namespace: namespace) { self.apply($0) }
    }
}
