import AsyncTopModel
import Foundation
import Testing
@testable import AsyncTopRuntime

@Suite struct RunCoroutineThreadsafeTests {
    @Test func aThreadGetsTheResultOfACoroutine() async throws {
        let caller = try ThreadPoolExecutor(maxWorkers: 1, name: "caller")
        let value = try await onLoop { () -> Int in
            let loop = EventLoop.current!
            return try await runInExecutor(caller) { () throws -> Int in
                let onAThread = EventLoop.current == nil
                #expect(onAThread)
                let future = try loop.runCoroutineThreadsafe(name: "from a thread") { () async throws -> Int in
                    try await sleep(0.01)
                    return 42
                }
                return try future.result(timeout: 5)
            }
        }
        caller.shutdown()
        #expect(value == 42)
    }

    @Test func aTimeOutIsAClearErrorAndCancelRecordsTheThread() async throws {
        let caller = try ThreadPoolExecutor(maxWorkers: 1, name: "caller2")
        try await onLoop {
            let loop = EventLoop.current!
            let (id, timedOut, waited) = try await runInExecutor(caller) { () throws -> (TaskID, (any Error)?, Double) in
                let started = Recorder<String>()
                let future = try loop.runCoroutineThreadsafe(name: "slow") { () async throws -> Int in
                    started.add("slow")
                    try await sleep(10)
                    return 1
                }
                // The loop has the task before it is cancelled (a loaded machine can take a while).
                for _ in 0..<500 where started.items.isEmpty { Thread.sleep(forTimeInterval: 0.01) }
                let start = Date()
                var caught: (any Error)?
                do { _ = try future.result(timeout: 0.05) } catch { caught = error }
                let waited = Date().timeIntervalSince(start)
                #expect(!future.done)
                #expect(future.cancel(message: "no more waiting"))
                #expect(throws: CancellationError.self) { try future.result(timeout: 5) }
                return (future.taskID, caught, waited)
            }
            #expect(timedOut as? LoopError == .timedOut(0.05))
            #expect((timedOut as? LoopError)?.description.contains("timed out") == true)
            #expect(waited >= 0.04 && waited < 2)
            let record = try #require(loop.snapshot().task(id))
            #expect(record.cancel?.requestedBy == .thread("caller2-0"))
            #expect(record.cancel?.message == "no more waiting")
        }
        caller.shutdown()
    }

    /// Cancelled from a thread, the coroutine's `result()` throws once the task has ended:
    /// what it did on its way out is done by then.
    @Test func aCancelledCoroutinesResultComesAfterItsCleanUp() async throws {
        let caller = try ThreadPoolExecutor(maxWorkers: 1, name: "caller3")
        let cleaned = Recorder<String>()
        let seen = try await onLoop { () -> [String] in
            let loop = EventLoop.current!
            return try await runInExecutor(caller) { () throws -> [String] in
                let started = Recorder<String>()
                let future = try loop.runCoroutineThreadsafe(name: "cleaning") { () async throws -> Int in
                    do {
                        started.add("cleaning")
                        try await sleep(10)
                    } catch {
                        for _ in 0..<5 { await Task.yield() }
                        cleaned.add("cleaned up")
                        throw error
                    }
                    return 1
                }
                // Cancelled once it waits in its sleep (not before it began: then nothing runs).
                for _ in 0..<500 where started.items.isEmpty { Thread.sleep(forTimeInterval: 0.01) }
                Thread.sleep(forTimeInterval: 0.02)
                future.cancel()
                #expect(throws: CancellationError.self) { try future.result(timeout: 5) }
                return cleaned.items
            }
        }
        caller.shutdown()
        #expect(seen == ["cleaned up"])
    }

    @Test func blockingOnTheLoopThreadIsRefused() async throws {
        try await onLoop {
            let loop = EventLoop.current!
            let future = try loop.runCoroutineThreadsafe { () async throws -> Int in
                try await sleep(5)
                return 1
            }
            #expect(throws: LoopError.self) { try future.result(timeout: 1) }
            future.cancel()
        }
    }
}
