import AsyncTopModel
import Testing
@testable import AsyncTopRuntime

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
