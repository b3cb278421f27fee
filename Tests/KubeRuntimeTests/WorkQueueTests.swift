import Foundation
import Testing
import SerinTestSupport

@testable import KubeRuntime

@Suite("WorkQueue")
struct WorkQueueTests {
    @Test func deduplicatesWaitingKeys() async {
        let q = WorkQueue<String>()
        await q.add("a")
        await q.add("b")
        await q.add("a")
        #expect(await q.depth == 2)
        #expect(await q.get() == "a")
        #expect(await q.get() == "b")
        #expect(await q.depth == 0)
    }

    @Test func keyAddedWhileProcessingRunsOnceAfterDone() async {
        let q = WorkQueue<String>()
        await q.add("a")
        let first = await q.get()
        #expect(first == "a")
        // Added three times while processing: not handed out now, once afterwards.
        await q.add("a")
        await q.add("a")
        await q.add("a")
        #expect(await q.depth == 0)
        await q.add("b")
        #expect(await q.get() == "b")
        await q.done("b")
        #expect(await q.depth == 0)
        await q.done("a")
        #expect(await q.depth == 1)
        #expect(await q.get() == "a")
        await q.done("a")
        #expect(await q.depth == 0)
        #expect(await q.processingCount == 0)
    }

    @Test func neverProcessesOneKeyConcurrently() async {
        let q = WorkQueue<Int>()
        let probe = ReconcileProbe()
        let keys = 5
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    while let k = await q.get() {
                        let key = ObjectKey(namespace: nil, name: "\(k)")
                        probe.enter(key)
                        try? await Task.sleep(for: .microseconds(200))
                        probe.leave(key)
                        await q.done(k)
                    }
                }
            }
            for round in 0..<200 {
                await q.add(round % keys)
                if round % 7 == 0 { try? await Task.sleep(for: .microseconds(300)) }
            }
            _ = await eventually {
                let depth = await q.depth
                let busy = await q.processingCount
                return depth == 0 && busy == 0
            }
            await q.shutDown()
        }
        #expect(probe.maxConcurrentPerKey == 1)
        #expect(probe.keys.count == keys)
    }

    @Test func waitingGetReceivesLaterAdd() async {
        let q = WorkQueue<String>()
        let getter = Task { await q.get() }
        try? await Task.sleep(for: .milliseconds(20))
        await q.add("x")
        #expect(await getter.value == "x")
    }

    @Test func addAfterWaitsForTheClock() async {
        let clock = ManualClock()
        let q = WorkQueue<String>(clock: clock)
        await q.addAfter("a", delay: .seconds(10))
        #expect(await q.depth == 0)
        #expect(await clock.waitForSleepers(1))
        clock.advance(by: .seconds(9))
        try? await Task.sleep(for: .milliseconds(20))
        #expect(await q.depth == 0)
        clock.advance(by: .seconds(1))
        let condition1 = await eventually { await q.depth == 1 }
        #expect(condition1)
    }

    @Test func earlierDelayedAddWins() async {
        let clock = ManualClock()
        let q = WorkQueue<String>(clock: clock)
        await q.addAfter("a", delay: .seconds(60))
        await q.addAfter("a", delay: .seconds(5))
        await q.addAfter("a", delay: .seconds(30))
        #expect(await q.delayedCount == 1)
        _ = await clock.waitForSleepers(1)
        clock.advance(by: .seconds(5))
        let condition2 = await eventually { await q.depth == 1 }
        #expect(condition2)
        _ = await q.get()
        await q.done("a")
        clock.advance(by: .seconds(100))
        try? await Task.sleep(for: .milliseconds(20))
        #expect(await q.depth == 0)
    }

    @Test func rateLimitedBackoffGrowsAndForgetResets() async {
        let clock = ManualClock()
        let q = WorkQueue<String>(backoff: Backoff(initial: .milliseconds(5), maximum: .seconds(1000)), clock: clock)
        // Attempt n waits 5 ms * 2^(n-1): check that the key is not ready a moment before and is after.
        for attempt in 1...6 {
            let expected = 0.005 * pow(2, Double(attempt - 1))
            await q.addRateLimited("k")
            #expect(await q.numRequeues("k") == attempt)
            _ = await clock.waitForSleepers(1)
            clock.advance(by: .seconds(expected * 0.9))
            try? await Task.sleep(for: .milliseconds(5))
            #expect(await q.depth == 0, "attempt \(attempt) released too early")
            clock.advance(by: .seconds(expected * 0.1 + 0.000001))
            let condition3 = await eventually { await q.depth == 1 }
            #expect(condition3, "attempt \(attempt) not released")
            #expect(await q.get() == "k")
            await q.done("k")
        }
        await q.forget("k")
        #expect(await q.numRequeues("k") == 0)
    }

    @Test func shutDownWakesWaitersAndDrainsInFlight() async {
        let q = WorkQueue<String>()
        await q.add("busy")
        let key = await q.get()
        #expect(key == "busy")
        let waiter = Task { await q.get() }
        try? await Task.sleep(for: .milliseconds(10))
        let drained = Task {
            await q.shutDownAndDrain()
            return true
        }
        #expect(await waiter.value == nil)
        try? await Task.sleep(for: .milliseconds(20))
        // Still processing "busy": the drain waits.
        #expect(await q.isShuttingDown)
        await q.add("late")
        #expect(await q.depth == 0)
        await q.done("busy")
        #expect(await drained.value)
        #expect(await q.get() == nil)
    }

    @Test func cancelledGetReturnsNil() async {
        let q = WorkQueue<String>()
        let t = Task { await q.get() }
        try? await Task.sleep(for: .milliseconds(10))
        t.cancel()
        #expect(await t.value == nil)
        // The key is not lost to the cancelled waiter.
        await q.add("a")
        #expect(await q.depth == 1)
    }
}

@Suite("Backoff")
struct BackoffTests {
    @Test func doublesUpToTheCap() {
        let b = Backoff.workQueueDefault
        #expect(b.baseDelay(attempt: 1) == .milliseconds(5))
        #expect(abs(b.baseDelay(attempt: 2).seconds - 0.010) < 1e-9)
        #expect(abs(b.baseDelay(attempt: 11).seconds - 5.12) < 1e-9)
        #expect(b.baseDelay(attempt: 30) == .seconds(1000))
        #expect(b.baseDelay(attempt: 10_000) == .seconds(1000))
    }

    @Test func jitterStaysWithinBounds() {
        let b = Backoff(initial: .seconds(1), maximum: .seconds(30), jitter: 0.5)
        var sawAbove = false
        for _ in 0..<200 {
            let d = b.delay(attempt: 3).seconds
            #expect(d >= 4 && d < 6)
            if d > 4.01 { sawAbove = true }
        }
        #expect(sawAbove)
        for _ in 0..<50 { #expect(b.delay(attempt: 100).seconds < 45) }
    }
}

@Suite("ManualClock")
struct ManualClockTests {
    @Test func sleepersWakeInOrderWhenAdvanced() async throws {
        let clock = ManualClock()
        let start = clock.now()
        let order = OrderLog()
        let a = Task { try await clock.sleep(for: .seconds(5)); order.append("a") }
        let b = Task { try await clock.sleep(for: .seconds(2)); order.append("b") }
        #expect(await clock.waitForSleepers(2))
        clock.advance(by: .seconds(1))
        try await Task.sleep(for: .milliseconds(10))
        #expect(order.items.isEmpty)
        clock.advance(by: .seconds(1))
        try await b.value
        #expect(order.items == ["b"])
        clock.advance(by: .seconds(3))
        try await a.value
        #expect(order.items == ["b", "a"])
        #expect(clock.now().timeIntervalSince(start) == 5)
        #expect(clock.sleeperCount == 0)
    }

    @Test func cancellingASleeperThrows() async {
        let clock = ManualClock()
        let t = Task { () -> Bool in
            do {
                try await clock.sleep(for: .seconds(100))
                return false
            } catch { return error is CancellationError }
        }
        _ = await clock.waitForSleepers(1)
        t.cancel()
        #expect(await t.value)
        #expect(clock.sleeperCount == 0)
    }

    @Test func zeroSleepReturnsAtOnce() async throws {
        let clock = ManualClock()
        try await clock.sleep(for: .zero)
        #expect(clock.sleeperCount == 0)
    }
}

final class OrderLog: Sendable {
    private let m = Mutex<[String]>([])
    func append(_ s: String) { m.withLock { $0.append(s) } }
    var items: [String] { m.withLock { $0 } }
}

import Synchronization
