import Foundation
import SerinTestApp
import Testing
@testable import Analysis

@Suite struct TestAppTests {
    @Test func servesConfiguredErrorsAndExportsMetrics() async throws {
        let app = try await TestApp.start(service: "shop")
        defer { Task { await app.stop() } }
        let client = PrometheusClient()
        defer { Task { try? await client.shutdown() } }
        // Change the error rate over HTTP, as a demo operator would.
        let admin = try await LoadGenerator(urls: [app.baseURL + "/admin/config?errorRate=0.1&latencyMs=0"], rate: 1000,
                                            concurrency: 1, duration: 0.0005).run()
        #expect(admin.statuses == [200: 1])
        #expect(app.config == TestApp.Config(errorRate: 0.1, latencyMs: 0))
        let stats = try await LoadGenerator(urls: [app.baseURL + "/api/items", app.baseURL + "/"], rate: 400,
                                            concurrency: 4, duration: 0.5).run()
        #expect(stats.sent == 200)
        #expect(stats.statuses[500] == 20 && stats.statuses[200] == 180, "exactly 10% errors: \(stats)")
        let text = app.metrics.exposition()
        #expect(text.contains("http_requests_total{service=\"shop\",status=\"200\"} 180\n"))
        #expect(text.contains("http_requests_total{service=\"shop\",status=\"500\"} 20\n"))
        #expect(text.contains("# TYPE http_request_duration_seconds histogram\n"))
        #expect(text.contains("http_request_duration_seconds_bucket{service=\"shop\",le=\"+Inf\"} 200\n"))
        #expect(text.contains("http_request_duration_seconds_count{service=\"shop\"} 200\n"))
        let bad = try await LoadGenerator(urls: [app.baseURL + "/admin/config?errorRate=2"], rate: 1000, concurrency: 1,
                                          duration: 0.0005).run()
        #expect(bad.statuses == [400: 1])
    }

    @Test func latencyIsAddedAndObserved() async throws {
        let app = try await TestApp.start(service: "slow", config: TestApp.Config(latencyMs: 200))
        let stats = try await LoadGenerator(urls: [app.baseURL + "/api/x"], rate: 50, concurrency: 10, duration: 0.2).run()
        #expect(stats.statuses[200] == 10)
        let text = app.metrics.exposition()
        #expect(text.contains("http_request_duration_seconds_bucket{service=\"slow\",le=\"0.1\"} 0\n"))
        #expect(text.contains("http_request_duration_seconds_bucket{service=\"slow\",le=\"0.25\"} 10\n"))
        app.setConfig(TestApp.Config(errorRate: 1, latencyMs: 0))
        let failing = try await LoadGenerator(urls: [app.baseURL + "/"], rate: 100, concurrency: 2, duration: 0.05).run()
        #expect(failing.statuses == [500: 5])
        await app.stop()
    }
}
