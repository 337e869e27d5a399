import AsyncTopModel
import Testing
@testable import AsyncTopRuntime

@Suite struct WaitForTests {
    @Test func aTimeOutCancelsTheInnerTaskAndThrows() async throws {
        try await onLoop {
            let me = try #require(currentTask()).id
            let inner = try spawn(name: "slow") { () async throws -> Int in try await sleep(10); return 1 }
            await #expect(throws: TimeoutError.self) { _ = try await waitFor(inner, timeout: 0.005) }
            #expect(inner.cancelled)
            let record = try #require(info(inner.id))
            #expect(record.cancel?.requestedBy == .combinator("time-out of waitFor", task: me))
            #expect(record.cancel?.requestedBy.description == "time-out of waitFor in task \(me)")
        }
    }

    @Test func aTaskDoneInTimeGivesItsValue() async throws {
        try await onLoop {
            let quick = try spawn { () async throws -> Int in try await sleep(0.001); return 7 }
            #expect(try await waitFor(quick, timeout: 5) == 7)
            let failing = try spawn { () async throws -> Int in throw Boom() }
            await #expect(throws: Boom.self) { _ = try await waitFor(failing, timeout: 5) }
            let untimed = try spawn { () async throws -> Int in 8 }
            #expect(try await waitFor(untimed, timeout: nil) == 8)
            await #expect(throws: ToolkitError.negativeTimeout(-0.5)) { _ = try await waitFor(untimed, timeout: -0.5) }
        }
    }

    @Test func cancellingTheWaiterCancelsTheInnerTask() async throws {
        try await onLoop {
            let inner = try spawn(name: "inner") { try await sleep(10) }
            let outer = try spawn(name: "outer") { try await waitFor(inner, timeout: 5) }
            try await settle()
            outer.cancel()
            await #expect(throws: CancellationError.self) { try await outer.value }
            _ = try? await inner.value
            #expect(inner.cancelled)
            #expect(info(inner.id)?.cancel?.requestedBy.description == "cancel of waitFor in task \(outer.id)")
        }
    }

    @Test func withTimeoutRunsTheBodyAndCancelsItAtTheDeadline() async throws {
        try await onLoop {
            #expect(try await withTimeout(5) { 5 } == 5)
            let reached = Recorder<String>()
            await #expect(throws: TimeoutError.self) {
                try await withTimeout(0.005, name: "too-slow") {
                    do { try await sleep(10) } catch { reached.add("cancelled"); throw error }
                }
            }
            #expect(reached.items == ["cancelled"])
            let timedOut = try #require(EventLoop.current?.snapshot().tasks.first { $0.name == "too-slow" })
            #expect(timedOut.cancel?.requestedBy.description.hasPrefix("time-out of withTimeout in task") == true)
            #expect(timedOut.state == .cancelled(message: nil))
        }
    }

    @Test func shieldKeepsTheInnerTaskRunning() async throws {
        try await onLoop {
            // Long enough to outlast a loaded machine's stall between the cancel and its delivery.
            let inner = try spawn(name: "inner") { () async throws -> Int in try await sleep(0.5); return 42 }
            let outer = try spawn(name: "outer") { try await shield(inner) }
            try await settle()
            outer.cancel()
            await #expect(throws: CancellationError.self) { _ = try await outer.value }
            #expect(!inner.done)
            #expect(try await inner.value == 42)
            #expect(info(outer.id)?.cancel?.deliveredIn == "shield: outer \(outer.id) cancelled, inner \(inner.id) runs on")
            #expect(try await shield { 3 } == 3)
        }
    }

    @Test func aGroupFailureCancelsTheSiblingsAndCollectsTheErrors() async throws {
        try await onLoop {
            var sibling: TaskHandle<Void>?
            var failing: TaskHandle<Void>?
            var late: TaskHandle<Void>?
            do {
                try await withLoopTaskGroup(name: "crawl") { group in
                    sibling = try group.spawn(name: "sibling") { try await sleep(10) }
                    failing = try group.spawn(name: "failing") { try await sleep(0.005); throw Boom() }
                    try await sleep(0.01)
                    late = try group.spawn(name: "late") { try await sleep(10) }
                }
                Issue.record("the group should throw")
            } catch let error as TaskGroupError {
                #expect(error.errors.count == 1)
                #expect(error.errors.first is Boom)
            }
            let (s, f, l) = (try #require(sibling), try #require(failing), try #require(late))
            #expect(s.cancelled && l.cancelled)
            #expect(info(s.id)?.cancel?.requestedBy.description == "sibling \(f.id) failed")
        }
    }

    @Test func aGroupWaitsForItsChildrenAndReturnsTheBodysValue() async throws {
        let value = try await onLoop { () -> Int in
            let finished = Recorder<Int>()
            let value = try await withLoopTaskGroup { group in
                // 50 ms apart: one late turn of a loaded loop must not fire two of them together.
                for i in 0..<3 { try group.spawn { try await sleep(0.05 * Double(3 - i)); finished.add(i) } }
                return 9
            }
            #expect(finished.items == [2, 1, 0])
            return value
        }
        #expect(value == 9)
    }

    @Test func cancellingTheGroupsTaskCancelsTheChildren() async throws {
        try await onLoop {
            let children = Recorder<TaskHandle<Void>>()
            let owner = try spawn(name: "owner") {
                try await withLoopTaskGroup { group in
                    for _ in 0..<3 { children.add(try group.spawn { try await sleep(10) }) }
                }
            }
            try await settle()
            owner.cancel()
            await #expect(throws: CancellationError.self) { try await owner.value }
            #expect(children.items.count == 3 && children.items.allSatisfy(\.cancelled))
        }
    }

    @Test func aGroupSeesItsCancelAtOnceThoughAChildTakesItsTime() async throws {
        try await onLoop {
            let owner = try spawn(name: "owner") {
                try await withLoopTaskGroup { group in
                    // A child that cleans up for 1 s before it stops: awaiting a Task's
                    // value does not end when the awaiting task is cancelled. The gap between
                    // the two bounds below leaves room for a loaded machine.
                    try group.spawn(name: "slow to stop") {
                        do { try await sleep(10) } catch {
                            await Task.detached { try? await Task.sleep(nanoseconds: 1_000_000_000) }.value
                            throw error
                        }
                    }
                }
            }
            try await settle()
            owner.cancel()
            _ = try? await owner.value
            let cancel = try #require(info(owner.id)?.cancel)
            #expect(cancel.deliveredIn == "task group")
            let delivered = try #require(cancel.deliveredAt)
            #expect(delivered - cancel.requestedAt < 500_000_000, "seen when the join threw, not when the child ended")
            #expect(try #require(info(owner.id)?.finishedAt) - cancel.requestedAt >= 1_000_000_000)
        }
    }
}
