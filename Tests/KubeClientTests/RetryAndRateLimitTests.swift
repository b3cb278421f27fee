import KubeCore
import Testing

@testable import KubeClient

@Suite("Retry policy, rate limiter, query encoding")
struct RetryAndRateLimitTests {
    let s500 = APIStatus(code: 500, reason: "InternalError", message: "boom")

    @Test func whichFailuresAreRetried() {
        let tooMany = RequestFailure.api(.tooManyRequests(APIStatus(code: 429, reason: "TooManyRequests", message: ""), retryAfterSeconds: 2))
        let server = RequestFailure.api(.serverError(s500))
        let notImpl = RequestFailure.api(.serverError(APIStatus(code: 501, reason: "", message: "")))
        let conflict = RequestFailure.api(.conflict(APIStatus(code: 409, reason: "Conflict", message: "")))
        for repeatable in [true, false] {
            #expect(RetryPolicy.isRetriable(tooMany, repeatable: repeatable))
            #expect(RetryPolicy.isRetriable(.notConnected("refused"), repeatable: repeatable))
            #expect(!RetryPolicy.isRetriable(.tlsFailed("unknown CA"), repeatable: repeatable))
            #expect(!RetryPolicy.isRetriable(conflict, repeatable: repeatable))
            #expect(!RetryPolicy.isRetriable(notImpl, repeatable: repeatable))
        }
        #expect(RetryPolicy.isRetriable(server, repeatable: true))
        #expect(!RetryPolicy.isRetriable(server, repeatable: false))
        #expect(RetryPolicy.isRetriable(.lostConnection("reset"), repeatable: true))
        #expect(!RetryPolicy.isRetriable(.lostConnection("reset"), repeatable: false))
        #expect(tooMany.retryAfterSeconds == 2)
    }

    @Test func delaysGrowWithJitterAndHonourRetryAfter() {
        let p = RetryPolicy(maxAttempts: 5, baseDelay: .milliseconds(100), maxDelay: .milliseconds(350))
        for _ in 0..<50 {
            let d1 = p.delay(afterAttempt: 1, retryAfterSeconds: nil)
            let d2 = p.delay(afterAttempt: 2, retryAfterSeconds: nil)
            let d5 = p.delay(afterAttempt: 5, retryAfterSeconds: nil)
            #expect(d1 >= .milliseconds(50) && d1 <= .milliseconds(100))
            #expect(d2 >= .milliseconds(100) && d2 <= .milliseconds(200))
            #expect(d5 >= .milliseconds(175) && d5 <= .milliseconds(350))  // capped
        }
        #expect(p.delay(afterAttempt: 3, retryAfterSeconds: 7) == .seconds(7))
    }

    func close(_ a: Duration, _ b: Duration) -> Bool { a - b < .milliseconds(1) && b - a < .milliseconds(1) }

    @Test func tokenBucketAllowsBurstThenPacesAtQPS() {
        let limiter = TokenBucketRateLimiter(qps: 10, burst: 3)
        let t0 = ContinuousClock.now
        #expect(limiter.reserve(now: t0) == .zero)
        #expect(limiter.reserve(now: t0) == .zero)
        #expect(limiter.reserve(now: t0) == .zero)
        // Bucket empty: the next callers queue 100 ms apart.
        #expect(close(limiter.reserve(now: t0), .milliseconds(100)))
        #expect(close(limiter.reserve(now: t0), .milliseconds(200)))
        // Time refills the bucket (but reservations already made are owed first).
        #expect(limiter.reserve(now: t0 + .seconds(1)) == .zero)
        #expect(TokenBucketRateLimiter(qps: 0, burst: 1).reserve() == .zero)
    }

    @Test func measuredRateLimit() async throws {
        let limiter = TokenBucketRateLimiter(qps: 10, burst: 1)
        let start = ContinuousClock.now
        for _ in 0..<11 { try await limiter.acquire() }
        let elapsed = ContinuousClock.now - start
        #expect(elapsed >= .milliseconds(950))
        #expect(elapsed < .seconds(3))
    }

    @Test func queryValuesArePercentEncoded() {
        var q = QueryItems()
        q.add("labelSelector", "app in (a,b),tier!=db")
        q.add("continue", "eyJ2Ijoi+/=")
        q.add("limit", nil)
        #expect(q.encoded == "labelSelector=app%20in%20%28a%2Cb%29%2Ctier%21%3Ddb&continue=eyJ2Ijoi%2B%2F%3D")
        let r = APIRequest(verb: "list", method: .GET, path: "/api/v1/pods", query: q, repeatable: true)
        #expect(r.url(base: "https://h:1").hasPrefix("https://h:1/api/v1/pods?labelSelector="))
    }

    @Test func nonJSONErrorBodyBecomesAStatus() {
        let e = KubeClient.apiError(code: 503, retryAfterHeader: "3", body: Array("<html>upstream overloaded</html>".utf8))
        guard case .serverError(let s) = e else { Issue.record("expected serverError, got \(e)"); return }
        #expect(s.code == 503)
        #expect(s.reason == "ServiceUnavailable")
        #expect(s.message == "<html>upstream overloaded</html>")
        #expect(s.retryAfterSeconds == 3)
        let status = APIStatus(code: 409, reason: "AlreadyExists", message: "configmaps \"x\" already exists")
        let e2 = KubeClient.apiError(code: 409, retryAfterHeader: nil, body: status.json.serializedBytes())
        #expect(e2.isAlreadyExists)
        #expect(e2.status?.message == "configmaps \"x\" already exists")
        let e3 = KubeClient.apiError(code: 429, retryAfterHeader: " 4", body: [])
        guard case .tooManyRequests(_, let after) = e3 else { Issue.record("expected 429, got \(e3)"); return }
        #expect(after == 4)
    }
}
