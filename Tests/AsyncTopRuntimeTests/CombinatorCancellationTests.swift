import Testing
@testable import AsyncTopRuntime

/// A task that waits until cancelled, then takes a few loop turns to clean up (as a task
/// closing a connection would), records that it did, and ends cancelled.
private func leaf(_ name: String, _ log: Recorder<String>) -> @Sendable () async throws -> Void {
    {
        do {
            try await sleep(10)
        } catch {
            for _ in 0..<3 { await Task.yield() }
            log.add("\(name) cleaned up")
            throw error
        }
    }
}

/// Cancelling the task that awaits a combinator: the await throws only once what the
/// combinator cancelled has ended, as asyncio's does, so that whatever the children do on
/// their way out has been done when the awaiting task sees its `CancellationError`.
@Suite struct CombinatorCancellationTests {
    @Test func aCancelledNestedGatherThrowsAfterEveryLeafHandledIt() async throws {
        let log = try await onLoop { () -> [String] in
            let log = Recorder<String>()
            let outer = try spawn(name: "outer") { () async throws -> Void in
                do {
                    try await gather({
                        try await gather(leaf("a1", log), leaf("a2", log))
                    }, {
                        try await gather(leaf("b1", log), leaf("b2", log))
                    })
                } catch {
                    log.add("outer saw \(error is CancellationError ? "cancellation" : "\(error)")")
                    throw error
                }
            }
            try await settle(5)
            outer.cancel()
            await #expect(throws: CancellationError.self) { try await outer.value }
            return log.items
        }
        #expect(Set(log.dropLast()) == ["a1 cleaned up", "a2 cleaned up", "b1 cleaned up", "b2 cleaned up"], "\(log)")
        #expect(log.last == "outer saw cancellation", "\(log)")
    }

    @Test func aCancelledWaitForThrowsAfterItsTaskEnded() async throws {
        let log = try await onLoop { () -> [String] in
            let log = Recorder<String>()
            let outer = try spawn(name: "outer") { () async throws -> Void in
                do {
                    try await waitFor(timeout: 10, leaf("inner", log))
                } catch {
                    log.add("outer saw \(error is CancellationError ? "cancellation" : "\(error)")")
                }
            }
            try await settle(3)
            outer.cancel()
            try await outer.value
            return log.items
        }
        #expect(log == ["inner cleaned up", "outer saw cancellation"])
    }

    @Test func aWaitForWhoseTaskSwallowsTheCancellationReturnsItsValue() async throws {
        let value = try await onLoop { () -> Int in
            let outer = try spawn(name: "outer") { () async throws -> Int in
                try await waitFor(timeout: 10) { () async -> Int in
                    try? await sleep(10)
                    return 7
                }
            }
            try await settle(3)
            outer.cancel()
            return try await outer.value
        }
        #expect(value == 7)
    }

    @Test func aTimedOutWithTimeoutThrowsAfterItsBodyCleanedUp() async throws {
        let log = try await onLoop { () -> [String] in
            let log = Recorder<String>()
            do {
                try await withTimeout(0.02, leaf("body", log))
            } catch is TimeoutError {
                log.add("timed out")
            }
            return log.items
        }
        #expect(log == ["body cleaned up", "timed out"])
    }

    /// `shield` and `wait` do not cancel what they wait for: the await throws at once.
    @Test func shieldAndWaitThrowAtOnceAndLeaveTheirTasksRunning() async throws {
        try await onLoop {
            let log = Recorder<String>()
            let inner = try spawn(name: "inner", leaf("inner", log))
            let shielding = try spawn(name: "shielding") { try await shield(inner) }
            let waiting = try spawn(name: "waiting") { _ = try await wait([inner]) }
            try await settle(3)
            shielding.cancel()
            waiting.cancel()
            await #expect(throws: CancellationError.self) { try await shielding.value }
            await #expect(throws: CancellationError.self) { try await waiting.value }
            #expect(!inner.done && log.items.isEmpty)
            #expect(Set(info(inner.id)?.shieldedBy ?? []) == [shielding.id])
            inner.cancel()
            _ = try? await inner.value
        }
    }
}

@Suite struct ClosureFormTests {
    @Test func gatherOfClosuresReturnsATupleOfTheirTypes() async throws {
        let (number, text, names) = try await onLoop { () -> (Int, String, [String]) in
            let (number, text) = try await gather({ () async throws -> Int in
                try await sleep(0.02)
                return 1
            }, { () async throws -> String in "two" })
            let names = try allTasks().map(\.displayName)
            return (number, text, names)
        }
        #expect(number == 1 && text == "two")
        #expect(!names.contains { $0.hasPrefix("gather[") }, "finished children are not in allTasks: \(names)")
    }

    @Test func theTasksAreNamedAfterTheCallSiteUnlessNamed() async throws {
        let (named, unnamed) = try await onLoop { () -> ([String], [String]) in
            let seen = Recorder<String>()
            let record: @Sendable () async throws -> Int = {
                seen.add(currentTask()?.displayName ?? "?")
                return 0
            }
            try await gather(name: "fetch", [record, record])
            let named = seen.items
            try await gather(record, record)
            return (named, Array(seen.items.dropFirst(2)))
        }
        #expect(named == ["fetch[0]", "fetch[1]"])
        #expect(unnamed.count == 2 && unnamed[0].hasPrefix("gather[0]@CombinatorCancellationTests.swift:"), "\(unnamed)")
        #expect(unnamed[1].hasPrefix("gather[1]@"))
    }

    @Test func gatherOfAnArrayOfClosuresKeepsArgumentOrderAndReturnsErrors() async throws {
        let results = try await onLoop { () -> [Result<Int, any Error>] in
            let bodies: [@Sendable () async throws -> Int] = [
                { try await sleep(0.02); return 1 },
                { throw Boom() },
                { 3 },
            ]
            return try await gather(bodies, returnExceptions: true)
        }
        #expect(try results[0].get() == 1)
        #expect(throws: Boom.self) { try results[1].get() }
        #expect(try results[2].get() == 3)
    }

    @Test func waitAndAsCompletedAndWaitForTakeClosures() async throws {
        try await onLoop {
            let quick: @Sendable () async throws -> String = { try await sleep(0.01); return "quick" }
            let slow: @Sendable () async throws -> String = { try await sleep(0.3); return "slow" }
            let (done, pending) = try await wait(returnWhen: .firstCompleted, [slow, quick])
            #expect(try done.map { try $0.result() } == ["quick"])
            #expect(pending.count == 1)
            var order: [String] = []
            for try await task in try asCompleted([slow, quick]) { order.append(try await task.value) }
            #expect(order == ["quick", "slow"])
            // Written out, as a user writes them.
            order = []
            for try await task in try asCompleted({ try await sleep(0.2); return "b" }, { "a" }) {
                order.append(try await task.value)
            }
            #expect(order == ["a", "b"])
            #expect(try await waitFor(timeout: 1, quick) == "quick")
            await #expect(throws: TimeoutError.self) { try await waitFor(timeout: 0.01, slow) }
            for task in pending { task.cancel() }
        }
    }

    @Test func asCompletedThrowsOnlyWhileIterating() async throws {
        try await onLoop {
            let quick = try spawn { () async throws -> Int in 1 }
            let sequence = asCompleted([quick], timeout: -1)
            var iterator = sequence.makeAsyncIterator()
            await #expect(throws: ToolkitError.negativeTimeout(-1)) { _ = try await iterator.next() }
        }
    }

    @Test func gatherOfVoidTasksNeedsNoDiscard() async throws {
        try await onLoop {
            let a = try spawn { try await sleep(0.001) }
            let b = try spawn { try await sleep(0.002) }
            try await gather(a, b)
            #expect(a.done && b.done)
        }
    }

    @Test func aTaskGroupErrorSplitsAsExceptStarDoes() {
        struct Other: Error {}
        let group = TaskGroupError(errors: [Boom(), Other(), TimeoutError(seconds: 1), Boom()])
        let (booms, rest) = group.split(Boom.self)
        #expect(booms.count == 2)
        #expect(rest?.errors.count == 2)
        let (timeouts, others) = rest!.split { $0 is TimeoutError }
        #expect(timeouts.count == 1 && others?.errors.count == 1 && others?.errors.first is Other)
        #expect(group.split { _ in true }.rest == nil)
    }
}
