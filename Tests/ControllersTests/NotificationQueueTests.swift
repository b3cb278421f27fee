import Controllers
import Synchronization
import SerinTestSupport
import Testing

/// The operator's notification queue: what is in flight at shutdown finishes within the
/// grace, what outlives it is cancelled, and nothing new starts once draining began.
@Suite struct NotificationQueueTests {
    @Test func drainWaitsForWorkInFlight() async {
        let queue = NotificationQueue()
        let done = Mutex(0)
        for _ in 0..<3 {
            queue.enqueue {
                try? await Task.sleep(for: .milliseconds(50))
                done.withLock { $0 += 1 }
            }
        }
        #expect(queue.count == 3)
        let clock = ContinuousClock()
        let started = clock.now
        let cancelled = await queue.drain(within: .seconds(5))
        let waited = clock.now - started
        #expect(cancelled == 0)
        let finished = done.withLock { $0 }
        #expect(finished == 3)
        #expect(waited < .seconds(2), "drain returned \(waited) after the last job, not at the grace")
        let refused = queue.enqueue {}
        #expect(!refused)
    }

    @Test func whatOutlivesTheGraceIsCancelled() async {
        let queue = NotificationQueue()
        let sawCancellation = Mutex(false)
        queue.enqueue {
            try? await Task.sleep(for: .seconds(60))
            sawCancellation.withLock { $0 = Task.isCancelled }
        }
        let cancelled = await queue.drain(within: .milliseconds(100))
        #expect(cancelled == 1)
        let ended = await eventually(timeout: .seconds(2)) { sawCancellation.withLock { $0 } }
        #expect(ended)
    }

    @Test func anEmptyQueueDrainsAtOnce() async {
        let queue = NotificationQueue()
        let clock = ContinuousClock()
        let started = clock.now
        #expect(await queue.drain(within: .seconds(5)) == 0)
        #expect(clock.now - started < .seconds(1))
    }
}
