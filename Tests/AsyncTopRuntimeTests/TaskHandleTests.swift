import AsyncTopModel
import Foundation
import Synchronization
import Testing
@testable import AsyncTopRuntime

@Suite struct TaskHandleTests {
    @Test func valueResultAndException() async throws {
        struct Boom: Error {}
        try await onLoop {
            let ok = try spawn(name: "ok") { 41 + 1 }
            let bad = try spawn(name: "bad") { () throws -> Int in throw Boom() }
            #expect(throws: LoopError.self) { try ok.result() }
            #expect(throws: LoopError.self) { try ok.exception() }
            #expect(!ok.done)
            #expect(try await ok.value == 42)
            _ = try? await bad.value
            #expect(ok.done && bad.done)
            #expect(try ok.result() == 42)
            #expect(try ok.exception() == nil)
            #expect(try bad.exception() is Boom)
            #expect(throws: Boom.self) { try bad.result() }
            #expect(ok.name == "ok")
            #expect(ok.id != bad.id && ok.id != 0)
        }
    }

    @Test func takingAFailedTasksErrorIsRecordedOnce() async throws {
        struct Boom: Error {}
        try await onLoop {
            let loop = EventLoop.current!
            func failing(_ name: String) throws -> TaskHandle<Int> { try spawn(name: name) { () throws -> Int in throw Boom() } }
            let awaited = try failing("awaited"), asked = try failing("asked"), gathered = try failing("gathered")
            let forgotten = try failing("forgotten")
            let cancelled = try spawn(name: "cancelled") { try await sleep(10) }
            try await sleep(0.01)
            cancelled.cancel()
            _ = try? await awaited.value
            _ = try asked.exception()
            _ = try? await gather([gathered])
            _ = try? await cancelled.value
            #expect(forgotten.done)  // `done` is no retrieval
            let tasks = loop.snapshot().tasks
            func retrieved(_ name: String) -> Bool? { tasks.first { $0.name == name }.map { $0.retrievedAt != nil } }
            #expect(retrieved("awaited") == true)
            #expect(retrieved("asked") == true)
            #expect(retrieved("gathered") == true)
            #expect(retrieved("forgotten") == false)
            #expect(retrieved("cancelled") == false)  // a cancellation is no error to retrieve
        }
    }

    @Test func cancelReturnsFalseOnAFinishedTask() async throws {
        try await onLoop {
            let task = try spawn { 1 }
            _ = try await task.value
            #expect(task.cancel() == false)
            #expect(!task.cancelled)
        }
    }

    @Test func cancelledTaskReportsCancelledAndRaises() async throws {
        try await onLoop {
            let task = try spawn(name: "sleeper") { try await sleep(10) }
            try await sleep(0)
            #expect(task.cancel(message: "enough"))
            await #expect(throws: CancellationError.self) { try await task.value }
            #expect(task.cancelled)
            #expect(throws: CancellationError.self) { try task.exception() }
            let info = try #require(EventLoop.current!.snapshot().task(task.id))
            #expect(info.state == .cancelled(message: "enough"))
        }
    }

    @Test func doneCallbacksRunOnTheLoopAfterTheEnd() async throws {
        let seen = Mutex<[String]>([])
        try await onLoop {
            let task = try spawn(name: "t") { "r" }
            task.addDoneCallback { handle in
                #expect(EventLoop.current != nil)
                seen.withLock { $0.append("first \(String(describing: try? handle.result()))") }
            }
            _ = try await task.value
            task.addDoneCallback { _ in seen.withLock { $0.append("late") } }
            try await sleep(0.001)
        }
        #expect(seen.withLock { $0 } == ["first Optional(\"r\")", "late"])
    }

    @Test func awaitingATaskFromACancelledTaskCancelsIt() async throws {
        try await onLoop {
            let inner = try spawn(name: "inner") { try await sleep(10) }
            let outer = try spawn(name: "outer") { try await inner.value }
            try await sleep(0.001)
            outer.cancel(message: "stop outer")
            _ = try? await outer.value
            #expect(inner.cancelled && outer.cancelled)
            let snap = EventLoop.current!.snapshot()
            #expect(snap.task(inner.id)?.cancel?.requestedBy == .task(outer.id))
        }
    }
}

@Suite struct CancelByIDTests {
    @Test func theDashboardCancelsByIDFromAnotherThread() async throws {
        let loop = EventLoop(name: "by-id")
        let outcome = try await loop.runUntilComplete { () -> [CancelRequestResult] in
            let target = try spawn(name: "target") { try await sleep(30) }
            let native = try spawn(name: "parent") { () async throws -> Void in
                async let child: Void = sleep(30)
                try await child
            }
            // Until the `async let` child has run (a loaded machine may take a while).
            for _ in 0..<5000 where EventLoop.current!.snapshot().tasks.first(where: { $0.parentID == native.id }) == nil {
                try await sleep(0.001)
            }
            let childID = try #require(EventLoop.current!.snapshot().tasks.first { $0.parentID == native.id }).id
            // A thread of its own, as the dashboard's: a detached task waits for a thread of
            // the cooperative pool, which other tests may hold longer than `target` sleeps.
            let results = await withCheckedContinuation { (done: CheckedContinuation<[CancelRequestResult], Never>) in
                Thread {
                    done.resume(returning: [loop.cancel(task: target.id, message: "from the dashboard"),
                                            loop.cancel(task: childID),
                                            loop.cancel(task: 987_654_321)])
                }.start()
            }
            _ = try? await target.value
            let again = loop.cancel(task: target.id)
            native.cancel()
            _ = try? await native.value
            let info = try #require(EventLoop.current!.snapshot().task(target.id))
            #expect(info.cancel?.requestedBy == .dashboard)
            #expect(info.state == .cancelled(message: "from the dashboard"))
            return results + [again]
        }
        #expect(outcome == [.requested, .notCancellable, .notFound, .alreadyFinished])
        try loop.close()
    }
}
