import Foundation
import Testing
@testable import AsyncTopRuntime

/// State isolated to a loop: an actor whose code runs on the loop's thread.
actor Tally: LoopActor {
    let loop: EventLoop
    private(set) var count = 0
    /// Every call that ran off the loop's thread (there must be none).
    private(set) var offLoop = 0

    init(loop: EventLoop) { self.loop = loop }

    func add() {
        if !loop.isOnLoopThread { offLoop += 1 }
        count += 1
    }

    /// Reads and writes with a suspension between them: the actor is reentrant, as a
    /// coroutine of asyncio's is between awaits.
    func addAfterYield() async {
        let before = count
        await Task.yield()
        if !loop.isOnLoopThread { offLoop += 1 }
        count = max(count, before) + 1
    }
}

@MainLoopActor var mainLoopCounter = 0

@MainLoopActor func bumpMainLoopCounter() -> Bool {
    mainLoopCounter += 1
    return EventLoop.main.isOnLoopThread
}

@Suite struct LoopIsolationTests {
    @Test func anActorIsolatedToALoopRunsOnItsThreadForLoopTasksAndOtherThreads() async throws {
        let loop = EventLoop(name: "isolated")
        defer { try? loop.close() }
        let tally = Tally(loop: loop)
        // From tasks of the loop and, at the same time, tasks of the global executor.
        async let fromOutside: Void = withTaskGroup(of: Void.self) { group in
            for _ in 0..<200 { group.addTask { await tally.add() } }
        }
        // The actor's jobs run only while its loop runs: it is read inside the run.
        let (count, offLoop) = try await EventLoop.run(on: loop, reportLeftovers: { _ in }) { () -> (Int, Int) in
            try await withLoopTaskGroup { group in
                for _ in 0..<200 { try group.spawn { await tally.add() } }
                for _ in 0..<50 { try group.spawn { await tally.addAfterYield() } }
            }
            // Keep the loop running until the outside calls are in.
            while await tally.count < 450 { try await sleep(0.001) }
            return (await tally.count, await tally.offLoop)
        }
        await fromOutside
        #expect(count == 450)
        #expect(offLoop == 0)
    }

    @Test func assumeIsolatedHoldsOnTheLoopThread() async throws {
        let loop = EventLoop(name: "assume")
        defer { try? loop.close() }
        let tally = Tally(loop: loop)
        let count = try await EventLoop.run(on: loop, reportLeftovers: { _ in }) { () -> Int in
            // A callback of the loop runs on its thread, synchronously: the actor's state is
            // reachable without an await, as the compiler is told.
            let done = Event()
            loop.callSoon {
                tally.assumeIsolated { $0.add() }
                done.set()
            }
            try await done.wait()
            return await tally.count
        }
        #expect(count == 1)
    }

    @Test func theMainLoopActorRunsOnTheMainLoop() async throws {
        let (onMainLoop, counted) = try await AsyncTopRuntimeTests.onMainLoop { () -> ([Bool], Int) in
            let before = await mainLoopCounter
            var seen: [Bool] = []
            for _ in 0..<3 { seen.append(await bumpMainLoopCounter()) }
            let handle = try spawn { await bumpMainLoopCounter() }
            seen.append(try await handle.value)
            return (seen, await mainLoopCounter - before)
        }
        #expect(onMainLoop == [true, true, true, true])
        #expect(counted == 4)
        #expect(!EventLoop.main.isClosed)
    }

    @Test func theActorsCallsShowAsStepsOfTheirTasks() async throws {
        let loop = EventLoop(name: "steps")
        defer { try? loop.close() }
        let tally = Tally(loop: loop)
        let steps = try await EventLoop.run(on: loop, reportLeftovers: { _ in }) { () -> UInt64 in
            let task = try spawn(name: "caller") { for _ in 0..<10 { await tally.add() } }
            try await task.value
            return loop.snapshot().task(task.id)?.steps ?? 0
        }
        #expect(steps >= 1)
    }
}
