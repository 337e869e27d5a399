import AsyncTopModel
import Foundation
import Synchronization
import Testing
@testable import AsyncTopRuntime

/// A gate a blocking call waits on, opened by the test.
final class Gate: @unchecked Sendable {
    private let semaphore = DispatchSemaphore(value: 0)
    func open() { semaphore.signal() }
    func pass() { semaphore.wait() }
}

@Suite struct ThreadPoolTests {
    @Test func blockingWorkBesideASleepOverlaps() async throws {
        // The seeds' to_thread example, with a unit of 50 ms: 2 units of blocking work and a
        // 1-unit sleep end after about 2 units, the sleep first.
        let unit = 0.05
        let order = Mutex<[String]>([])
        let elapsed = try await onLoop { () -> Double in
            let loop = EventLoop.current!
            let start = loop.time()
            let blocking = try spawn(name: "blocking") { () async throws -> Void in
                try await toThread(label: "usleep") { _ = usleep(UInt32(2 * unit * 1e6)) }
                order.withLock { $0.append("blocking") }
            }
            let sleeper = try spawn(name: "sleeper") { () async throws -> Void in
                try await sleep(unit)
                order.withLock { $0.append("sleeper") }
            }
            try await blocking.value
            try await sleeper.value
            return loop.time() - start
        }
        // Had the blocking call held the loop, the sleeper would have ended after it.
        #expect(order.withLock { $0 } == ["sleeper", "blocking"])
        #expect(elapsed >= 2 * unit)
    }

    @Test func aOneWorkerPoolRunsCallsOneAtATimeInOrder() async throws {
        let pool = try ThreadPoolExecutor(maxWorkers: 1, name: "single")
        let events = Mutex<[String]>([])
        try await onLoop {
            let calls = try (0..<5).map { i in
                try spawn(name: "call \(i)") { () async throws -> Int in
                    try await runInExecutor(pool) { () -> Int in
                        events.withLock { $0.append("start \(i)") }
                        usleep(2_000)
                        events.withLock { $0.append("end \(i)") }
                        return i
                    }
                }
            }
            for (i, call) in calls.enumerated() { #expect(try await call.value == i) }
        }
        pool.shutdown()
        #expect(events.withLock { $0 } == (0..<5).flatMap { ["start \($0)", "end \($0)"] })
    }

    @Test func threadsAreNamedAfterThePool() async throws {
        let pool = try ThreadPoolExecutor(maxWorkers: 2, name: "named")
        let name = try await onLoop { try await runInExecutor(pool) { currentThreadName() } }
        pool.shutdown()
        #expect(name == "named-0")
    }

    @Test func theSnapshotShowsQueuedAndRunningItemsWithTheirTasks() async throws {
        let pool = try ThreadPoolExecutor(maxWorkers: 1, name: "visible")
        let gate = Gate()
        try await onLoop {
            let loop = EventLoop.current!
            let first = try spawn(name: "first") { try await runInExecutor(pool, label: "held") { gate.pass() } }
            let second = try spawn(name: "second") { try await runInExecutor(pool, label: "waiting") {} }
            var info: ExecutorInfo?
            for _ in 0..<200 {
                try await sleep(0.002)
                info = loop.snapshot().executors.first { $0.name == "visible" }
                if info?.busyWorkers == 1 && info?.queueDepth == 1 { break }
            }
            let pane = try #require(info)
            #expect(pane.kind == .threads)
            #expect(pane.workers.first?.awaitingTask == first.id)
            #expect(pane.workers.first?.label == "held")
            #expect(pane.queue.map(\.task) == [second.id])
            let waiting = try #require(loop.snapshot().task(second.id))
            guard case .suspended(.workItem(executor: "visible", _)) = waiting.state else {
                Issue.record("expected a wait on the pool, got \(waiting.state)")
                return
            }
            gate.open()
            try await first.value
            try await second.value
        }
        pool.shutdown()
    }

    @Test func cancellingTheAwaitOfRunningWorkOrphansIt() async throws {
        let pool = try ThreadPoolExecutor(maxWorkers: 1, name: "orphans")
        let gate = Gate()
        let ran = Mutex(0)
        try await onLoop {
            let loop = EventLoop.current!
            let running = try spawn(name: "running") { try await runInExecutor(pool) { gate.pass(); ran.withLock { $0 += 1 } } }
            let queued = try spawn(name: "queued") { try await runInExecutor(pool) { ran.withLock { $0 += 100 } } }
            while loop.snapshot().executors.first(where: { $0.name == "orphans" })?.queueDepth != 1 { try await sleep(0.001) }
            running.cancel(message: "give up")
            queued.cancel(message: "never mind")
            await #expect(throws: CancellationError.self) { try await running.value }
            await #expect(throws: CancellationError.self) { try await queued.value }
            let pane = try #require(loop.snapshot().executors.first { $0.name == "orphans" })
            #expect(pane.queueDepth == 0, "a cancelled queued item leaves the queue")
            #expect(pane.workers.first?.orphaned == true)
            #expect(pane.workers.first?.awaitingTask == running.id)
            #expect(loop.snapshot().task(running.id)?.cancel?.deliveredIn?.hasPrefix("orphans item") == true)
            gate.open()
        }
        pool.shutdown()
        #expect(ran.withLock { $0 } == 1, "the orphan ran to its end; the cancelled queued call never ran")
    }

    @Test func badInputIsRefused() async throws {
        #expect(throws: ExecutorError.invalidWorkerCount(0)) { try ThreadPoolExecutor(maxWorkers: 0) }
        let pool = try ThreadPoolExecutor(maxWorkers: 1, name: "closed")
        pool.shutdown()
        await #expect(throws: ExecutorError.shutDown("closed")) {
            try await onLoop { try await runInExecutor(pool) { 1 } }
        }
        await #expect(throws: LoopError.self) { try await toThread { 1 } }
    }
}
