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
