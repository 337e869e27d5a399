import AsyncTopModel
import Testing
@testable import AsyncTopRuntime

@Suite struct GatherTests {
    @Test func resultsInArgumentOrderWhileTheTasksFinishInTheirOwn() async throws {
        let (results, order) = try await onLoop { () -> ([String], [String]) in
            let finished = Recorder<String>()
            let make = { (name: String, delay: Double) in
                try spawn(name: name) { () async throws -> String in
                    try await sleep(delay)
                    finished.add(name)
                    return name
                }
            }
            // A tenth of a second apart: a sanitized build under load can stall a loop thread
            // between two tasks' first steps for tens of milliseconds.
            let results = try await gather(make("a", 0.2), make("b", 0.1), make("c", 0.3))
            return (results, finished.items)
        }
        #expect(results == ["a", "b", "c"])
        #expect(order == ["b", "a", "c"])
    }

    @Test func asCompletedYieldsInCompletionOrder() async throws {
        let names = try await onLoop { () -> [String] in
            let tasks = try [("a", 0.2), ("b", 0.1), ("c", 0.3)].map { name, delay in
                try spawn(name: name) { () async throws -> String in try await sleep(delay); return name }
            }
            var names: [String] = []
            for try await task in asCompleted(tasks) { names.append(try await task.value) }
            return names
        }
        #expect(names == ["b", "a", "c"])
    }

    @Test func asCompletedTimesOutWithoutCancelling() async throws {
        try await onLoop {
            let never = Event()
            let quick = try spawn(name: "quick") { () async throws -> Int in 1 }
            let stuck = try spawn(name: "stuck") { () async throws -> Int in try await never.wait(); return 2 }
            var iterator = asCompleted([stuck, quick], timeout: 0.01).makeAsyncIterator()
            #expect(try await iterator.next() == quick)
            await #expect(throws: TimeoutError.self) { _ = try await iterator.next() }
            #expect(!stuck.done)
            stuck.cancel()
            var bad = asCompleted([quick], timeout: -1).makeAsyncIterator()
            await #expect(throws: ToolkitError.negativeTimeout(-1)) { _ = try await bad.next() }
        }
    }

    @Test func returnExceptionsTrueListsTheErrors() async throws {
        try await onLoop {
            let a = try spawn { () async throws -> Int in 1 }
            let b = try spawn { () async throws -> Int in try await sleep(0.005); throw Boom() }
            let c = try spawn { () async throws -> Int in try await sleep(0.01); return 3 }
            let d = try spawn { () async throws -> Int in try await sleep(10); return 4 }
            d.cancel()
            let results = try await gather([a, b, c, d], returnExceptions: true)
            #expect(try results[0].get() == 1)
            #expect(throws: Boom.self) { try results[1].get() }
            #expect(try results[2].get() == 3)
            #expect(throws: CancellationError.self) { try results[3].get() }
        }
    }

    @Test func returnExceptionsFalseThrowsTheFirstErrorAndTheOthersRunOn() async throws {
        try await onLoop {
            // Far apart, so a loop woken late on a busy machine still sees the failure first.
            let slow = try spawn(name: "slow") { () async throws -> Int in try await sleep(0.3); return 3 }
            let failing = try spawn(name: "failing") { () async throws -> Int in try await sleep(0.005); throw Boom() }
            await #expect(throws: Boom.self) { _ = try await gather([slow, failing], returnExceptions: false) }
            #expect(!slow.done)
            #expect(try await slow.value == 3)
            let cancelled = try spawn { () async throws -> Int in try await sleep(10); return 0 }
            cancelled.cancel()
            await #expect(throws: CancellationError.self) { _ = try await gather([cancelled]) }
        }
    }

    @Test func cancellingTheGatherCancelsEveryChild() async throws {
        try await onLoop {
            let kids = try (0..<3).map { i in try spawn(name: "kid\(i)") { try await sleep(10) } }
            let gatherer = try spawn(name: "gatherer") { _ = try await gather(kids) }
            try await settle()
            #expect(info(gatherer.id)?.state == .suspended(.other("gather of 3")))
            gatherer.cancel()
            await #expect(throws: CancellationError.self) { try await gatherer.value }
            for kid in kids {
                _ = try? await kid.value
                #expect(kid.cancelled)
                #expect(info(kid.id)?.cancel?.requestedBy.description == "cancel of gather in task \(gatherer.id)")
            }
        }
    }

    @Test func waitModesSplitDoneAndPending() async throws {
        try await onLoop {
            let never = Event(), release = Event()
            let fast = try spawn(name: "fast") { () async throws -> Int in try await sleep(0.005); return 1 }
            // Fails only once released: a busy machine cannot make both end in one iteration.
            let failing = try spawn(name: "failing") { () async throws -> Int in try await release.wait(); throw Boom() }
            let stuck = try spawn(name: "stuck") { () async throws -> Int in try await never.wait(); return 3 }

            var (done, pending) = try await wait([fast, failing, stuck], returnWhen: .firstCompleted)
            #expect(done == [fast] && pending == [failing, stuck])
            release.set()
            (done, pending) = try await wait([fast, failing, stuck], returnWhen: .firstException)
            #expect(done == [fast, failing] && pending == [stuck])
            (done, pending) = try await wait([stuck], timeout: 0.005)
            #expect(done.isEmpty && pending == [stuck])
            #expect(!stuck.done)
            never.set()
            (done, pending) = try await wait([fast, failing, stuck], returnWhen: .allCompleted)
            #expect(done == [fast, failing, stuck] && pending.isEmpty)
            await #expect(throws: ToolkitError.emptyWait) { _ = try await wait([TaskHandle<Int>]()) }
        }
    }

    @Test func firstExceptionIgnoresCancelledTasks() async throws {
        try await onLoop {
            let cancelled = try spawn { () async throws -> Int in try await sleep(10); return 0 }
            let slow = try spawn { () async throws -> Int in try await sleep(0.01); return 1 }
            cancelled.cancel()
            let (done, pending) = try await wait([cancelled, slow], returnWhen: .firstException)
            #expect(done == [cancelled, slow] && pending.isEmpty)
        }
    }
}
