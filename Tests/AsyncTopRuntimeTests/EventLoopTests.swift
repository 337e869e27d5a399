import AsyncTopModel
import Foundation
import Synchronization
import Testing
@testable import AsyncTopRuntime

/// Runs `main` on a fresh loop that stays silent about leftovers.
@discardableResult
func onLoop<T: Sendable>(_ main: @escaping @Sendable () async throws -> T) async throws -> T {
    try await EventLoop.run(name: "test-loop", reportLeftovers: { _ in }, main: main)
}

@Suite struct EventLoopTests {
    @Test func runReturnsTheValueAndRunsOnTheLoopThread() async throws {
        let value = try await onLoop { () -> String in
            #expect(EventLoop.current != nil)
            #expect(EventLoop.current!.isOnLoopThread)
            return "ok"
        }
        #expect(value == "ok")
        #expect(EventLoop.current == nil)
    }

    @Test func runRethrowsTheError() async throws {
        struct Boom: Error {}
        await #expect(throws: Boom.self) { try await onLoop { () -> Int in throw Boom() } }
    }

    @Test func runInsideARunningLoopIsAnError() async throws {
        let thrown = try await onLoop { () -> LoopError? in
            do { _ = try await EventLoop.run { 1 }; return nil } catch let error as LoopError { return error }
        }
        #expect(thrown == .runningInsideLoop)
    }

    @Test func theLoopThreadIsNamed() async throws {
        let name = try await EventLoop.run(name: "named-loop", reportLeftovers: { _ in }) { currentThreadName() }
        #expect(name == "named-loop")
    }

    @Test func runClosesTheLoopAndReportsLeftovers() async throws {
        let reported = Mutex<[TaskInfo]>([])
        let loopBox = Mutex<EventLoop?>(nil)
        try await EventLoop.run(reportLeftovers: { tasks in reported.withLock { $0 = tasks } }) {
            loopBox.withLock { $0 = EventLoop.current }
            try spawn(name: "forever") { try await sleep(3600) }
            try spawn(name: "quick") { 1 }
            try await sleep(0.01)
        }
        let leftovers = reported.withLock { $0 }
        #expect(leftovers.map(\.name) == ["forever"])
        #expect(leftovers.first?.state == .suspended(leftovers.first!.state.waitTarget!))
        let loop = try #require(loopBox.withLock { $0 })
        #expect(loop.isClosed)
        #expect(throws: LoopError.closed) { try loop.spawn { 1 } }
    }

    @Test func runUntilCompleteTwiceThenClose() async throws {
        let loop = EventLoop(name: "twice")
        let a = try await loop.runUntilComplete { () -> Int in try await sleep(0.001); return 1 }
        let b = try await loop.runUntilComplete { () -> Int in 2 }
        #expect(a + b == 3)
        #expect(!loop.isRunning)
        try loop.close()
        #expect(loop.isClosed)
        await #expect(throws: LoopError.closed) { try await loop.runUntilComplete { 3 } }
    }

    @Test func runForeverUntilStop() async throws {
        let loop = EventLoop(name: "forever")
        let hits = Mutex(0)
        loop.callSoonThreadsafe { hits.withLock { $0 += 1 } }
        try loop.callLater(0.005) { hits.withLock { $0 += 1 }; loop.stop() }
        try await loop.runForever()
        #expect(hits.withLock { $0 } == 2)
        try loop.close()
    }

    @Test func closeWhileRunningIsRefused() async throws {
        let loop = EventLoop(name: "busy")
        let thrown = try await loop.runUntilComplete { () -> Bool in
            // From another thread, while the loop runs.
            await Task.detached { (try? loop.close()) == nil }.value
        }
        #expect(thrown)
        try loop.close()
    }

    @Test func callbacksRunInOrderAndAThrowingOneDoesNotStopTheLoop() async throws {
        struct Oops: Error {}
        let order = Mutex<[Int]>([])
        let loopBox = Mutex<EventLoop?>(nil)
        try await onLoop {
            let loop = EventLoop.current!
            loopBox.withLock { $0 = loop }
            loop.callSoon { order.withLock { $0.append(1) } }
            loop.callSoon { throw Oops() }
            let skipped = loop.callSoon { order.withLock { $0.append(99) } }
            skipped.cancel()
            loop.callSoon { order.withLock { $0.append(2) } }
            try await sleep(0.001)
        }
        #expect(order.withLock { $0 } == [1, 2])
        #expect(loopBox.withLock { $0 }!.callbackErrorLog.count == 1)
    }

    @Test func timersFireInDeadlineOrderAndNeverEarly() async throws {
        let fired = Mutex<[(Int, Double)]>([])
        let set = Mutex<[Double]>([])
        try await onLoop {
            let loop = EventLoop.current!
            // Tens of milliseconds apart: a thread descheduled while it sets them (a loaded
            // machine, a sanitizer) must not change their order.
            let delays = [0.30, 0.10, 0.20, 0.0, 0.15, 0.10]
            for (index, delay) in delays.enumerated() {
                // The loop's time just before the call: the deadline is at least `delay` after it.
                let start = loop.time()
                try loop.callLater(delay) { fired.withLock { $0.append((index, loop.time() - start - delay)) } }
                set.withLock { $0.append(start + delay) }
            }
            try await sleep(0.35)
        }
        let events = fired.withLock { $0 }
        // In deadline order, ties in the order they were set: [3, 1, 5, 4, 2, 0] unless a
        // descheduled thread set them far apart; the order of the deadlines is what counts.
        let deadlines = set.withLock { $0 }
        let expected = deadlines.indices.sorted { (deadlines[$0], $0) < (deadlines[$1], $1) }
        #expect(events.map(\.0) == expected)
        #expect(events.allSatisfy { $0.1 >= 0 })
    }

    @Test func badDurationsAreErrorsAndNegativeOnesAreZero() async throws {
        try await onLoop {
            await #expect(throws: LoopError.invalidDuration(.infinity)) { try await sleep(.infinity) }
            await #expect(throws: LoopError.self) { try await sleep(.nan) }
            #expect(throws: LoopError.self) { try EventLoop.current!.callLater(.nan) {} }
            try await sleep(-1)
        }
    }
}

extension TaskState {
    var waitTarget: WaitTarget? {
        if case .suspended(let target) = self { return target }
        return nil
    }
}

@Suite struct NativeSleepTests {
    @Test func taskSleepOnTheLoopUsesTheLoopsTimersAndIsVisible() async throws {
        try await onLoop {
            let loop = EventLoop.current!
            let sleeper = try spawn(name: "native-sleeper") { try await Task.sleep(for: .seconds(30)) }
            let short = try spawn(name: "short") { () async throws -> Bool in
                let start = loop.time()
                try await Task.sleep(for: .milliseconds(200))
                return loop.time() - start >= 0.2
            }
            try await sleep(0)
            let info = try #require(loop.snapshot().task(sleeper.id))
            guard case .suspended(.sleep) = info.state else {
                Issue.record("Task.sleep should show as a sleep, got \(info.state)")
                return
            }
            #expect(loop.snapshot().stats.pendingTimers >= 2)
            #expect(try await short.value, "Task.sleep returned early")
            sleeper.cancel(message: "no more")
            await #expect(throws: CancellationError.self) { try await sleeper.value }
        }
    }
}

@Suite struct IdleLoopSnapshotTests {
    /// A dashboard may ask before the loop runs, or after it stopped: the snapshot is built
    /// on the asking thread under the loop's lock, and must not take that lock again.
    @Test(.timeLimit(.minutes(1))) func aSnapshotOfAnIdleLoopComesBack() async throws {
        let loop = EventLoop(name: "idle")
        let before = loop.snapshot()
        #expect(before.stats.phase == "stopped")
        #expect(loop.delta(since: 0).toVersion == before.version)
        _ = try await loop.runUntilComplete { 1 }
        #expect(loop.snapshot().tasks.map(\.displayName) == ["main"])
        try loop.close()
        #expect(loop.snapshot().stats.phase == "closed")
    }
}

/// The header's "Lag X (max Y)": how late timers fired, lately.
@Suite struct LoopLagTests {
    @Test(.timeLimit(.minutes(2))) func lagLastNeverExceedsMaxAndBothSettleWhenNothingFallsDue() async throws {
        let loop = EventLoop(name: "lag")
        let samples = try await loop.runUntilComplete { () -> [LoopStats] in
            var samples: [LoopStats] = []
            // A ticker: timers fall due every few milliseconds.
            for _ in 0..<50 {
                try await sleep(0.002)
                samples.append(loop.snapshot().stats)
            }
            // Busy without timers for more than two measuring windows.
            let start = loop.time()
            while loop.time() - start < 2.5 {
                await Task.yield()
                if samples.count < 5000 { samples.append(loop.snapshot().stats) }
            }
            samples.append(loop.snapshot().stats)
            return samples
        }
        for stats in samples {
            #expect(stats.lagLast <= stats.lagMax, "lag \(stats.lagLast) above its max \(stats.lagMax)")
        }
        #expect(samples.prefix(50).contains { $0.lagMax > 0 }, "fifty timers and never a lag")
        let busy = try #require(samples.last)
        #expect(busy.lagLast == 0 && busy.lagMax == 0, "no timer fell due for 2.5 s: \(busy.lagLast) (max \(busy.lagMax))")
        // Idle: the loop sleeps; a snapshot from another thread.
        let idle = loop.snapshot()
        #expect(idle.stats.lagLast <= idle.stats.lagMax)
        try loop.close()
    }
}

/// A cancel that comes after a sleep's timer fired but before the sleeper ran again wins, as
/// in asyncio (`task.cancel()` while `__step` is scheduled throws `CancelledError` into the
/// coroutine): checked against CPython by hand with the same program, which prints
/// "cancelled". A busy loop gets there when a time-out and the work it limits fall due in
/// one iteration: `wait_for` then reported the work done instead of timed out.
@Suite struct SleepCancelRaceTests {
    @Test func aCancelAfterTheTimerFiredButBeforeTheSleeperRanWins() async throws {
        let outcome = try await onLoop { () async throws -> String in
            let loop = EventLoop.current!
            let query = try spawn(name: "query") { () async throws -> String in
                try await sleep(0.05)
                return "done"
            }
            try await sleep(0)  // the query sleeps
            try loop.callLater(0.01) { query.cancel() }
            usleep(100_000)  // the loop is held past both deadlines: both fire in one iteration
            do { return try await query.value } catch is CancellationError { return "cancelled" }
        }
        #expect(outcome == "cancelled")
    }

    @Test func aTimeOutDueWithTheWorkItLimitsCancelsTheWork() async throws {
        let outcome = try await onLoop { () async throws -> String in
            let work = try spawn(name: "slow-query") { () async throws -> String in
                try await sleep(0.05)
                return "done"
            }
            let limited = try spawn(name: "waiter") { () async throws -> String in
                do { return try await waitFor(work, timeout: 0.01) } catch is TimeoutError { return "timed out" }
            }
            try await sleep(0)
            usleep(100_000)
            return try await limited.value
        }
        #expect(outcome == "timed out")
    }
}

/// The same races with the other order of deadlines, each checked against CPython 3.11 by
/// hand (the programs are in the tests' comments' words: a sleep of 0.01 s, a deadline of
/// 0.02 s, the loop held 0.1 s).
@Suite struct DeadlineOrderTests {
    /// `task.cancel()` after the sleep's timer fired, in the same iteration: cancelled.
    @Test func aCancelDueAfterTheSleepInOneIterationStillWins() async throws {
        let outcome = try await onLoop { () async throws -> String in
            let loop = EventLoop.current!
            let query = try spawn(name: "query") { () async throws -> String in
                try await sleep(0.01)
                return "done"
            }
            try await sleep(0)
            try loop.callLater(0.02) { query.cancel() }
            usleep(100_000)
            do { return try await query.value } catch is CancellationError { return "cancelled" }
        }
        #expect(outcome == "cancelled")
    }

    /// `wait_for` whose deadline falls due with the work, after it: the work ended by the
    /// time the waiting task looks, so its result is given ("done").
    @Test func waitForGivesTheResultOfWorkThatEndedInTheDeadlinesIteration() async throws {
        let outcome = try await onLoop { () async throws -> String in
            let work = try spawn(name: "slow-query") { () async throws -> String in
                try await sleep(0.01)
                return "done"
            }
            let limited = try spawn(name: "waiter") { () async throws -> String in
                do { return try await waitFor(work, timeout: 0.02) } catch is TimeoutError { return "timed out" }
            }
            try await sleep(0)
            usleep(100_000)
            return try await limited.value
        }
        #expect(outcome == "done")
    }

    /// `asyncio.timeout` cancels in the timer's callback: the work is cancelled even though
    /// its sleep fell due first in that iteration ("timed out").
    @Test func withTimeoutCancelsWorkWhoseSleepFellDueInTheSameIteration() async throws {
        let outcome = try await onLoop { () async throws -> String in
            let limited = try spawn(name: "waiter") { () async throws -> String in
                do {
                    return try await withTimeout(0.02) { () async throws -> String in
                        try await sleep(0.01)
                        return "done"
                    }
                } catch is TimeoutError { return "timed out" }
            }
            try await sleep(0)
            try await sleep(0)  // the body's task sleeps
            usleep(100_000)
            return try await limited.value
        }
        #expect(outcome == "timed out")
    }
}
