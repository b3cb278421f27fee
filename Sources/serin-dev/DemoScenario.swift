import Foundation
import KubeCore
import SerinAPI
import SerinTestApp

/// The story the demo tells: a Canary is set up, a good release is promoted step by step, a
/// bad one (30% errors) is rolled back by itself. Every expectation that fails is collected
/// with what was seen instead; the demo passes only when there are none.
struct DemoScenario {
    let env: DemoEnvironment
    /// DEMO_ERROR_RATE of the bad release (a fraction of requests answered 500).
    var badErrorRate = 0.3
    /// DEMO_LATENCY_MS of the bad release (0: no env var set).
    var badLatencyMs = 0.0
    var timeline: DemoTimeline { env.timeline }
    var api: any KubeAPI { env.api }
    let ns = DemoManifests.namespace
    let target = DemoManifests.target

    static let firstTag = "6.0.0", goodTag = "6.1.0", badTag = "6.2.0"

    /// One expectation and whether it held.
    struct Check: Sendable {
        var ok: Bool
        var text: String
    }

    struct Release: Sendable {
        var title: String
        var image: String
        var phase: String
        var seconds: Double
        var weights: [Int]
        var message: String
        var checks: [Check]
    }

    func run() async throws -> [Release] {
        try await setUp()
        let good = try await release(title: "good release", tag: Self.goodTag, env: [], expect: .succeeded)
        var badEnv = [(DemoManifests.errorRateEnv, "\(badErrorRate)")]
        if badLatencyMs > 0 { badEnv.append((DemoManifests.latencyEnv, "\(Int(badLatencyMs))")) }
        let bad = try await release(
            title: "bad release (\(badEnv.map { "\($0.0)=\($0.1)" }.joined(separator: ", ")))", tag: Self.badTag,
            env: badEnv, expect: .failed)
        return [good, bad]
    }

    // MARK: - Set-up

    func setUp() async throws {
        _ = try await api.create(.namespaces, namespace: nil, DemoManifests.namespaceObject(ns))
        for t in DemoManifests.metricTemplates() { _ = try await api.create(.metricTemplates, namespace: ns, t) }
        _ = try await api.create(.deployments, namespace: ns, DemoManifests.deployment(tag: Self.firstTag))
        timeline.line("demo", "applied Deployment \(ns)/\(target) (podinfo:\(Self.firstTag)) and MetricTemplates "
            + "request-success-rate, request-duration")
        try env.startOperator()
        _ = try await api.create(.canaries, namespace: ns, DemoManifests.canary())
        timeline.line("demo", "applied Canary \(ns)/\(target): gatewayapi router, interval 10s, stepWeight "
            + "\(DemoManifests.stepWeight), maxWeight \(DemoManifests.maxWeight), threshold \(DemoManifests.threshold); "
            + "success rate >= 99%, p99 latency <= 500ms over 30s")
        timeline.line("demo", "watch it live: kubectl --kubeconfig \(env.workspace.kubeconfig) -n \(ns) get canaries -w")
        try await waitForPhase("the Canary to be Initialized", [.initialized], deadline: .seconds(90))
        try await DemoWait.until("HAProxy to follow the HTTPRoute (primary 100 / canary 0)", deadline: .seconds(15)) {
            try env.checkChildren()
            return env.live.router.applied.map { $0 == (100, 0) } == true ? true : nil
        }
        timeline.line("demo", "initialized: \(target)-primary serves all traffic; \(target) scaled to zero")
    }

    // MARK: - A release

    /// `env`: pod template env vars the release sets, in order.
    func release(title: String, tag: String, env vars: [(String, String)], expect: CanaryPhase) async throws -> Release {
        let image = "\(DemoManifests.imageRepo):\(tag)"
        let before = try await status()
        let primaryBefore = try await primaryImage()
        timeline.say("")
        timeline.line("demo", "=== \(title): \(target) image -> podinfo:\(tag)"
            + vars.map { ", \($0.0)=\($0.1)" }.joined())
        try await updateTarget(image: image, env: vars)
        let started = timeline.elapsed

        try await DemoWait.until("Serin to detect the new release", deadline: .seconds(30)) {
            try env.checkChildren()
            let s = try await status()
            return s.lastAppliedSpec != nil && s.lastAppliedSpec != before.lastAppliedSpec ? true : nil
        }
        var weights: [Int] = []
        let final = try await DemoWait.until("the release to end (Succeeded or Failed)", deadline: .seconds(180),
                                             poll: .milliseconds(100)) { () -> CanaryStatus? in
            try env.checkChildren()
            let s = try await status()
            if let w = s.canaryWeight, w != 0, weights.last != w { weights.append(w) }
            return s.phase == .succeeded || s.phase == .failed ? s : nil
        }
        let seconds = timeline.elapsed - started
        var checks: [Check] = []
        func expectThat(_ ok: Bool, _ text: String) { checks.append(Check(ok: ok, text: text)) }

        expectThat(final.phase == expect, "phase \(expect.rawValue) (saw \(final.phase?.rawValue ?? "none"))")
        // Traffic must end back on the primary; the route adapter needs a moment to follow.
        let settled = try? await DemoWait.until("HAProxy weights primary 100 / canary 0", deadline: .seconds(15)) {
            env.live.router.applied.map { $0 == (100, 0) } == true ? true : nil
        }
        let route = try? await routeWeights()
        expectThat(final.canaryWeight ?? 0 == 0, "canary weight 0 in status (saw \(final.canaryWeight ?? 0))")
        expectThat(route.map { $0 == (100, 0) } == true,
                   "HTTPRoute primary 100 / canary 0 (saw \(route.map { "\($0.0) / \($0.1)" } ?? "no route"))")
        let ha = env.live.router.applied
        expectThat(settled == true, "haproxy primary 100 / canary 0 (saw \(ha.map { "\($0.primary) / \($0.canary)" } ?? "nothing applied"))")

        let primaryNow = try await primaryImage()
        let primaryRuns = env.live.kubelet.running("\(target)-primary")
        if expect == .succeeded {
            let plan = Array(stride(from: DemoManifests.stepWeight, through: DemoManifests.maxWeight, by: DemoManifests.stepWeight))
            expectThat(weights == plan, "weights stepped \(plan.map(String.init).joined(separator: " -> ")) "
                + "(saw \(weights.map(String.init).joined(separator: " -> ")))")
            expectThat(primaryNow == image, "primary Deployment runs \(short(image)) (saw \(short(primaryNow)))")
            expectThat(primaryRuns?.image == image, "primary pods serve \(short(image)) (saw \(short(primaryRuns?.image ?? "-")))")
        } else {
            expectThat(primaryNow == primaryBefore, "primary Deployment still runs \(short(primaryBefore)) (saw \(short(primaryNow)))")
            expectThat(primaryRuns?.image == primaryBefore && primaryRuns?.config == TestApp.Config(),
                       "primary pods still serve \(short(primaryBefore)) without errors or added latency "
                       + "(saw \(short(primaryRuns?.image ?? "-")), errors \(DemoKubelet.percent(primaryRuns?.config.errorRate ?? -1)))")
            expectThat((final.failedChecks ?? 0) >= DemoManifests.threshold,
                       "rolled back after \(DemoManifests.threshold) failed checks (saw \(final.failedChecks ?? 0))")
        }
        let verdict = checks.allSatisfy(\.ok) ? "as expected" : "NOT as expected"
        timeline.line("demo", "=== \(title) ended \(final.phase?.rawValue ?? "?") after \(String(format: "%.0f", seconds))s, \(verdict)")
        return Release(title: title, image: short(image), phase: final.phase?.rawValue ?? "?", seconds: seconds,
                       weights: weights, message: final.message ?? "", checks: checks)
    }

    // MARK: - Reading and writing the cluster

    func status() async throws -> CanaryStatus {
        let c = try await api.get(.canaries, namespace: ns, name: target)
        if c["status"] == .null { return CanaryStatus() }
        return try c["status"].decode(as: CanaryStatus.self)
    }

    func waitForPhase(_ what: String, _ phases: Set<CanaryPhase>, deadline: Duration) async throws {
        try await DemoWait.until(what, deadline: deadline) {
            try env.checkChildren()
            let s = try await status()
            if s.phase == .failed, !phases.contains(.failed) {
                throw DemoFailure("the Canary failed while waiting for \(what): \(s.message ?? "no message")")
            }
            return s.phase.map { phases.contains($0) } == true ? true : nil
        }
    }

    func primaryImage() async throws -> String {
        let d = try await api.get(.deployments, namespace: ns, name: "\(target)-primary")
        return d[path: ["spec", "template", "spec", "containers"]].arrayValue?.first?["image"].stringValue ?? "-"
    }

    func routeWeights() async throws -> (Int, Int)? {
        let route = try await api.get(.httpRoutes, namespace: ns, name: target)
        return DemoRouteAdapter.weights(in: route, primary: "\(target)-primary", canary: "\(target)-canary")
    }

    /// A new release as a user makes one: the target Deployment's image (and env) changed.
    func updateTarget(image: String, env vars: [(String, String)]) async throws {
        for attempt in 1...5 {
            var d = try await api.get(.deployments, namespace: ns, name: target)
            var containers = d[path: ["spec", "template", "spec", "containers"]].arrayValue ?? []
            guard !containers.isEmpty else { throw DemoFailure("Deployment \(target) has no containers") }
            containers[0]["image"] = .string(image)
            var env = containers[0]["env"].arrayValue ?? []
            for (name, value) in vars {
                env.removeAll { $0["name"].stringValue == name }
                env.append(["name": .string(name), "value": .string(value)])
            }
            containers[0]["env"] = .array(env)
            d[path: ["spec", "template", "spec", "containers"]] = .array(containers)
            do {
                _ = try await api.update(.deployments, namespace: ns, d)
                return
            } catch let e as KubeAPIError where e.isConflict && attempt < 5 {
                continue
            }
        }
    }

    func short(_ image: String) -> String { image.split(separator: "/").last.map(String.init) ?? image }
}
