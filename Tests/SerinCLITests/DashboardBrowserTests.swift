import Foundation
import KubeCore
import KubeTestServer
import SerinAPI
import SerinCLI
import SerinTestSupport
import Testing

/// `serin dashboard` in a real headless Chromium against the test API server: the list
/// renders, a change made through the API appears without a reload (server-sent events from
/// the dashboard's watches), a button works through the CLI's own promote path, and is
/// absent for an identity that may not patch (SelfSubjectAccessReview) and in --read-only.
/// Screenshots go to test-artefacts/dashboard/ (gitignored).
@Suite("serin dashboard in headless Chromium", .serialized, .timeLimit(.minutes(2)),
       .enabled(if: HeadlessChromium.available, "needs Debian's chromium (hack/setup)"))
struct DashboardBrowserTests {
    static let artefacts = repoRoot.appendingPathComponent("test-artefacts/dashboard")

    /// Runs `serin dashboard` in-process until `body` returns.
    static func withDashboard(_ cluster: CLITestCluster, _ extra: [String] = [],
                              _ body: (String, HeadlessChromium) async throws -> Void) async throws {
        let sink = CLIOutput.buffer()
        let args = ["dashboard", "--port", "0", "-A", "--kubeconfig", cluster.kubeconfig] + extra
        let task = Task { await CLIOutput.$current.withValue(sink) { await SerinCLI.run(args) } }
        // "serin dashboard on http://127.0.0.1:PORT/ (…)"
        let started = await eventually(timeout: .seconds(10)) { sink.output.contains("serin dashboard on http://") }
        #expect(started, "dashboard did not start: \(sink.output) \(sink.errors)")
        let base = String(sink.output.split(separator: " ").first { $0.hasPrefix("http://") }?.dropLast() ?? "")
        let browser = try await HeadlessChromium.launch()
        do {
            try await body(base, browser)
        } catch {
            browser.close()
            task.cancel()
            _ = await task.value
            throw error
        }
        browser.close()
        task.cancel()
        _ = await task.value
    }

    static func save(_ browser: HeadlessChromium, _ name: String) async throws {
        try FileManager.default.createDirectory(at: artefacts, withIntermediateDirectories: true)
        try await browser.screenshot().write(to: artefacts.appendingPathComponent(name))
    }

    static let row = #"document.querySelector('tr[data-release="Canary/microservices/user-service-canary"]')"#

    @Test("the list renders, a status change shows without reload, and Promote patches the Canary")
    func listLiveAndPromote() async throws {
        try await CLITestCluster.with([.canaries, .rollouts]) { cluster in
            try await cluster.create(.canaries, yaml: seedCanaryYAML(), status: progressingStatus)
            try await Self.withDashboard(cluster) { base, browser in
                try await browser.navigate(base + "/")
                #expect(await browser.waitFor("\(Self.row) && \(Self.row).querySelector('.weight').textContent === '15%'"))
                let cells = try await browser.evaluate("[...\(Self.row).cells].map(c => c.textContent).join('|')")
                #expect(cells.stringValue?.hasPrefix("user-service-canary|Canary|microservices|Progressing|15%|3/") == true, "\(cells)")
                #expect(await browser.waitFor("document.getElementById('live').textContent === 'live'"))
                try await Self.save(browser, "list.png")

                // A change through the API, not the page: the row follows without a reload.
                _ = try await browser.evaluate("window.__marker = 'same page'; true")
                var status = progressingStatus
                status["canaryWeight"] = 30
                status["failedChecks"] = 2
                try await cluster.setStatus(.canaries, "microservices", "user-service-canary", status)
                #expect(await browser.waitFor("\(Self.row).querySelector('.weight').textContent === '30%'"))
                #expect(try await browser.evaluate("window.__marker") == "same page")
                #expect(try await browser.evaluate("\(Self.row).querySelector('.checks').textContent").stringValue?.hasPrefix("2/") == true)

                // The release page: metrics against thresholds, steps, the weight line, buttons.
                try await browser.navigate(base + "/releases/canary/microservices/user-service-canary")
                #expect(await browser.waitFor("document.querySelector('button[data-verb=promote]')"))
                let metrics = try await browser.evaluate("[...document.querySelectorAll('table')[0].rows].map(r => r.textContent).join('\\n')")
                #expect(metrics.stringValue?.contains("request-duration612<= 500Fail") == true, "\(metrics)")
                #expect(try await browser.evaluate("document.querySelector('ol.steps li.current')?.textContent") == "weight 30%")
                #expect(try await browser.evaluate("document.querySelector('svg.chart polyline') !== null") == true)
                let verbs = try await browser.evaluate("[...document.querySelectorAll('button[data-verb]')].map(b => b.dataset.verb).join(',')")
                #expect(verbs == "promote,abort,retry,pause")
                try await Self.save(browser, "release.png")

                _ = try await browser.evaluate("document.querySelector('button[data-verb=promote]').click(); true")
                #expect(await browser.waitFor("document.getElementById('result').textContent.includes('promote requested')"))
                let canary = try await cluster.get(.canaries, "microservices", "user-service-canary")
                #expect(canary["metadata"]["annotations"][ManualControlAnnotations.promote].stringValue?.isEmpty == false)
            }
        }
    }

    @Test("no buttons for an identity that may not patch, nor with --read-only; the action is refused too")
    func buttonsFollowAccess() async throws {
        try await CLITestCluster.with([.canaries, .rollouts]) { cluster in
            try await cluster.create(.canaries, yaml: seedCanaryYAML(), status: progressingStatus)
            cluster.server.access.deny(AccessPolicy.Rule(verb: "patch", group: "serin.dev", resource: "canaries"))
            let page = "/releases/canary/microservices/user-service-canary"
            try await Self.withDashboard(cluster) { base, browser in
                try await browser.navigate(base + page)
                #expect(await browser.waitFor("document.getElementById('no-actions')"))
                #expect(try await browser.evaluate("document.querySelectorAll('button[data-verb]').length") == 0)
                #expect(try await browser.evaluate("document.getElementById('no-actions').textContent") == "You may not change this release.")
                #expect(cluster.server.access.reviewCount > 0)
                try await Self.save(browser, "release-no-rights.png")
                // The API server refuses it as well, and the dashboard says so.
                let answer = try await runCurl(["-s", "-X", "POST", "-H", "X-Serin-Dashboard: 1", base + "/api" + page + "/promote"])
                #expect(answer.contains("not allowed"), "\(answer)")
            }
            cluster.server.access.allowAll()
            try await Self.withDashboard(cluster, ["--read-only"]) { base, browser in
                try await browser.navigate(base + page)
                #expect(await browser.waitFor("document.getElementById('no-actions')"))
                #expect(try await browser.evaluate("document.getElementById('no-actions').textContent") == "Read-only dashboard.")
                let answer = try await runCurl(["-s", "-X", "POST", "-H", "X-Serin-Dashboard: 1", base + "/api" + page + "/abort"])
                #expect(answer.contains("--read-only"))
                // Without the header (what a form on another site could send) nothing is done either.
                let forged = try await runCurl(["-s", "-X", "POST", base + "/api" + page + "/abort"])
                #expect(forged.contains("X-Serin-Dashboard"))
            }
            let canary = try await cluster.get(.canaries, "microservices", "user-service-canary")
            #expect(canary["metadata"]["annotations"][ManualControlAnnotations.abort] == .null)
            #expect(canary["metadata"]["annotations"][ManualControlAnnotations.promote] == .null)
        }
    }
}
