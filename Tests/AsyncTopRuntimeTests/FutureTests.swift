import AsyncTopModel
import Testing
@testable import AsyncTopRuntime

@Suite struct FutureTests {
    @Test func manyTasksAwaitOneResult() async throws {
        try await onLoop {
            let future = Future<Int>(name: "answer")
            let called = Recorder<Int>()
            future.addDoneCallback { called.add(try! $0.result()) }
            let awaiters = try (0..<3).map { _ in try spawn { try await future.value } }
            try await settle()
            #expect(info(awaiters[0].id)?.state == .suspended(.resource(kind: "Future", id: future.id, name: "answer")))
            #expect(throws: LoopError.invalidState("result of Future answer, which is pending")) { _ = try future.result() }
            try future.setResult(42)
            #expect(try await gather(awaiters) == [42, 42, 42])
            #expect(throws: ToolkitError.futureAlreadyDone("Future answer")) { try future.setResult(1) }
            try await settle(1)
            #expect(called.items == [42])
            #expect(try future.exception() == nil)
        }
    }

    @Test func errorsAndCancellation() async throws {
        try await onLoop {
            let failing = Future<Int>()
            try failing.setException(Boom())
            await #expect(throws: Boom.self) { _ = try await failing.value }
            #expect(try failing.exception() is Boom)
            let cancelled = Future<Int>()
            let awaiter = try spawn { try await cancelled.value }
            try await settle()
            #expect(cancelled.cancel(message: "no longer needed"))
            #expect(!cancelled.cancel())
            await #expect(throws: CancellationError.self) { _ = try await awaiter.value }
            #expect(cancelled.cancelled && cancelled.cancelMessage == "no longer needed")
            // A cancelled awaiter does not cancel the future.
            let shared = Future<Int>()
            let quitter = try spawn { try await shared.value }
            try await settle()
            quitter.cancel()
            _ = try? await quitter.value
            #expect(!shared.done)
        }
    }

    @Test func awaitingAPendingFutureOfAClosedLoopIsAnError() async throws {
        let loop = EventLoop(name: "closing")
        let future = try await loop.runUntilComplete { Future<Int>(name: "orphan") }
        try loop.close()
        await #expect(throws: LoopError.closed) { _ = try await future.value }
    }
}
