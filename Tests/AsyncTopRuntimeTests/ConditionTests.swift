import AsyncTopModel
import Synchronization
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

    @Test func aNotificationToACancelledWaiterIsPassedOn() async throws {
        try await onLoop {
            let condition = Condition()
            let first = try spawn { try await condition.withLock { try await condition.wait() } }
            let second = try spawn { try await condition.withLock { try await condition.wait(); return 2 } }
            try await settle()
            // Notify then cancel in one step: `first` is woken, then cancelled before it runs.
            try await condition.withLock {
                try condition.notify()
                first.cancel()
            }
            await #expect(throws: CancellationError.self) { try await first.value }
            #expect(try await waitFor(second, timeout: 10) == 2)
            #expect(!condition.locked && condition.resourceInfo.waiters.isEmpty)
        }
    }

    @Test func aNotifierOnAnotherExecutorWakesEveryWait() async throws {
        // The waiter announces its round under the lock and waits; a global-executor task
        // notifies once it sees the announcement under the lock. Enqueued only after the
        // lock was released, a wait missed the notification and the round never ended.
        let rounds = 2000
        let done = try await onLoop { () -> Int in
            let condition = Condition(name: "rounds")
            let announced = Atomic<Int>(0)
            let woken = Atomic<Int>(0)
            let notifier = Task.detached {
                var round = 1
                while round <= rounds, !Task.isCancelled {
                    try await condition.acquire()
                    if announced.load(ordering: .relaxed) == round {
                        try condition.notify()
                        round += 1
                    }
                    try condition.release()
                    await Task.yield()
                }
            }
            defer { notifier.cancel() }
            let waiter = try spawn(name: "waiter") {
                for round in 1...rounds {
                    try await condition.withLock {
                        announced.store(round, ordering: .relaxed)
                        try await condition.wait()
                    }
                    woken.store(round, ordering: .relaxed)
                }
            }
            try await awaitProgress(of: waiter, stalledAfter: 10) { woken.load(ordering: .relaxed) }
            return woken.load(ordering: .relaxed)
        }
        #expect(done == rounds)
    }
}
