import AsyncTopModel
import Synchronization
import Testing
@testable import AsyncTopRuntime

/// Thousands of waits on every primitive, cancelled at random moments; then invariants.
@Suite struct ToolkitStressTests {
    final class Counters: @unchecked Sendable {
        // Touched only on the loop thread.
        var inLock = 0, inSemaphore = 0, maxInLock = 0, maxInSemaphore = 0
        var put: [Int] = [], got: [Int] = []
    }

    @Test func randomCancelsLeaveEveryPrimitiveConsistent() async throws {
        try await onLoop {
            var rng = SplitMix(seed: 2026)
            let lock = Lock(name: "stress")
            let semaphore = try BoundedSemaphore(3, name: "stress")
            let queue = Queue<Int>(maxsize: 4, name: "stress")
            let condition = Condition(name: "stress")
            let event = Event(name: "stress")
            let future = Future<Int>(name: "stress")
            let c = Counters()
            var tasks: [TaskHandle<Void>] = []
            for i in 0..<3000 {
                let op = Int.random(in: 0..<7, using: &rng)
                tasks.append(try spawn {
                    switch op {
                    case 0:
                        try await lock.withLock {
                            c.inLock += 1
                            c.maxInLock = max(c.maxInLock, c.inLock)
                            defer { c.inLock -= 1 }
                            try await sleep(0)
                        }
                    case 1:
                        try await semaphore.withPermit {
                            c.inSemaphore += 1
                            c.maxInSemaphore = max(c.maxInSemaphore, c.inSemaphore)
                            defer { c.inSemaphore -= 1 }
                            try await sleep(0)
                        }
                    case 2:
                        try await queue.put(i)
                        c.put.append(i)
                    case 3:
                        c.got.append(try await queue.get())
                    case 4:
                        try await condition.withLock {
                            try await condition.wait()
                        }
                    case 5:
                        try await event.wait()
                    default:
                        _ = try await future.value
                    }
                })
                if i % 10 == 9 {
                    try await sleep(0)
                    for _ in 0..<4 { tasks[Int.random(in: 0..<tasks.count, using: &rng)].cancel() }
                    if Bool.random(using: &rng) { try? await condition.withLock { try condition.notify(2) } }
                }
            }
            try await settle()
            for task in tasks { task.cancel() }
            for task in tasks { _ = try? await task.value }

            #expect(c.maxInLock == 1 && c.inLock == 0)
            #expect(c.maxInSemaphore <= 3 && c.inSemaphore == 0)
            #expect(!lock.locked && lock.resourceInfo.waiters.isEmpty)
            #expect(semaphore.value == 3 && semaphore.resourceInfo.holders.isEmpty && semaphore.resourceInfo.waiters.isEmpty)
            #expect(!condition.locked && condition.resourceInfo.waiters.isEmpty)
            #expect(event.waiterCount == 0 && future.resourceInfo.waiters.isEmpty)
            var left: [Int] = []
            while let item = try? queue.getNowait() { left.append(item) }
            #expect(Set(c.got).count == c.got.count, "no item taken twice")
            #expect((c.got + left).sorted() == c.put.sorted(), "no item lost")
            #expect(queue.resourceInfo.waiters.isEmpty)
        }
    }
}
