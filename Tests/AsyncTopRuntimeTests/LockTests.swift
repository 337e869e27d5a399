import AsyncTopModel
import Testing
@testable import AsyncTopRuntime

@Suite struct LockTests {
    @Test func waitersGetTheLockInFIFOOrder() async throws {
        let order = try await onLoop { () -> [Int] in
            let lock = Lock(name: "db")
            let order = Recorder<Int>()
            try await lock.acquire()
            let tasks = try (0..<4).map { i in
                try spawn { try await lock.withLock { order.add(i) } }
            }
            try await settle()
            #expect(lock.resourceInfo.waiters == tasks.map(\.id))
            try lock.release()
            _ = try await gather(tasks)
            #expect(!lock.locked)
            return order.items
        }
        #expect(order == [0, 1, 2, 3])
    }

    @Test func releasingAnUnheldLockIsAnError() async throws {
        let lock = Lock(name: "db")
        #expect(throws: ToolkitError.lockNotHeld("Lock db")) { try lock.release() }
        #expect(ToolkitError.lockNotHeld("Lock db").description == "Lock db is not acquired: cannot release it")
    }

    @Test func aCancelledWaiterNeverHoldsTheLock() async throws {
        try await onLoop {
            let lock = Lock(name: "db")
            try await lock.acquire()
            let waiter = try spawn(name: "waiter") { try await lock.acquire() }
            let next = try spawn(name: "next") { try await lock.withLock { 1 } }
            try await settle()
            #expect(info(waiter.id)?.state == .suspended(.resource(kind: "Lock", id: lock.id, name: "db")))
            waiter.cancel()
            await #expect(throws: CancellationError.self) { try await waiter.value }
            #expect(info(waiter.id)?.cancel?.deliveredIn == "Lock db")
            try lock.release()
            #expect(try await next.value == 1)
            #expect(!lock.locked)
        }
    }

    @Test func withLockReleasesOnErrorAndIsNotReentrant() async throws {
        try await onLoop {
            let lock = Lock()
            await #expect(throws: Boom.self) { try await lock.withLock { throw Boom() } }
            #expect(!lock.locked)
            try await lock.acquire()
            let me = try #require(currentTask()).id
            #expect(lock.resourceInfo.holders == [me])
            await #expect(throws: TimeoutError.self) { try await withTimeout(0.005) { try await lock.acquire() } }
            #expect(lock.resourceInfo.holders == [me] && lock.resourceInfo.waiters.isEmpty)
            try lock.release()
        }
    }

    @Test func aHandOffToACancelledTaskIsPassedOn() async throws {
        try await onLoop {
            let lock = Lock()
            try await lock.acquire()
            let first = try spawn { try await lock.acquire() }
            let second = try spawn { try await lock.withLock { 2 } }
            try await settle()
            // Release then cancel in one step: the lock is handed to `first`, then it is cancelled.
            try lock.release()
            first.cancel()
            await #expect(throws: CancellationError.self) { try await first.value }
            #expect(try await second.value == 2)
            #expect(!lock.locked)
        }
    }
}

@Suite struct SemaphoreTests {
    @Test func permitsAreCountedAndWaitersServedInOrder() async throws {
        try await onLoop {
            let semaphore = try Semaphore(2, name: "crawl-limit")
            let order = Recorder<Int>()
            try await semaphore.acquire()
            try await semaphore.acquire()
            #expect(semaphore.locked && semaphore.value == 0)
            let tasks = try (0..<3).map { i in try spawn { try await semaphore.withPermit { order.add(i) } } }
            try await settle()
            let waiting = try #require(info(tasks[0].id))
            #expect(waiting.state.description == "suspended on Semaphore crawl-limit")
            #expect(semaphore.resourceInfo.detail == "0/2 permits")
            try semaphore.release()
            try semaphore.release()
            _ = try await gather(tasks)
            #expect(order.items == [0, 1, 2])
            #expect(semaphore.value == 2)
            try semaphore.release()
            #expect(semaphore.value == 3)
        }
    }

    @Test func boundedSemaphoreRefusesOverRelease() async throws {
        let bounded = try BoundedSemaphore(1, name: "one")
        #expect(throws: ToolkitError.overReleased("BoundedSemaphore one")) { try bounded.release() }
        #expect(throws: ToolkitError.negativeValue(-1)) { _ = try Semaphore(-1) }
    }

    @Test func aCancelledWaiterLeaksNoPermit() async throws {
        try await onLoop {
            let semaphore = try Semaphore(1)
            try await semaphore.acquire()
            let waiters = try (0..<3).map { _ in try spawn { try await semaphore.withPermit { try await sleep(0) } } }
            try await settle()
            waiters[1].cancel()
            try semaphore.release()
            waiters[0].cancel()  // handed the permit, then cancelled: it must give it back
            for waiter in waiters { _ = try? await waiter.value }
            #expect(waiters[0].cancelled && waiters[1].cancelled && !waiters[2].cancelled)
            #expect(semaphore.value == 1)
            #expect(semaphore.resourceInfo.holders.isEmpty && semaphore.resourceInfo.waiters.isEmpty)
        }
    }
}

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
