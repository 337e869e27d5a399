import AsyncTopModel
import Testing
@testable import AsyncTopRuntime

@Suite struct ConditionTests {
    @Test func notifyWakesWaitersInOrderAndWaitForChecksThePredicate() async throws {
        try await onLoop {
            let condition = Condition(name: "ready")
            let woken = Recorder<Int>()
            let box = Recorder<Int>()
            let waiters = try (0..<3).map { i in
                try spawn { try await condition.withLock { try await condition.wait(); woken.add(i) } }
            }
            let watcher = try spawn { try await condition.withLock { try await condition.waitFor { box.items.count >= 2 } } }
            try await settle()
            #expect(info(waiters[0].id)?.state == .suspended(.resource(kind: "Condition", id: condition.id, name: "ready")))
            try await condition.withLock { try condition.notify() }
            try await settle()
            #expect(woken.items == [0])
            try await condition.withLock {
                box.add(1)
                box.add(2)
                try condition.notifyAll()
            }
            _ = try await gather(waiters)
            #expect(try await watcher.value == true)
            #expect(woken.items == [0, 1, 2])
            #expect(!condition.locked)
        }
    }

    @Test func waitingOrNotifyingWithoutTheLockIsAnError() async throws {
        try await onLoop {
            let condition = Condition(name: "c")
            await #expect(throws: ToolkitError.conditionLockNotHeld("Condition c")) { try await condition.wait() }
            #expect(throws: ToolkitError.conditionLockNotHeld("Condition c")) { try condition.notify() }
        }
    }

    @Test func aCancelledWaitTakesTheLockBackBeforeThrowing() async throws {
        try await onLoop {
            let condition = Condition()
            let heldAfterCancel = Recorder<Bool>()
            let waiter = try spawn {
                try await condition.acquire()
                do { try await condition.wait() } catch {
                    heldAfterCancel.add(condition.locked)
                    try condition.release()
                    throw error
                }
            }
            try await settle()
            waiter.cancel()
            await #expect(throws: CancellationError.self) { try await waiter.value }
            #expect(heldAfterCancel.items == [true])
            #expect(!condition.locked)
        }
    }
}
